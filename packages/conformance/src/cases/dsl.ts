// The vocabulary the case groups are written in: a case is data (an id, a description and a
// script of steps plus an expectation), played by the runner from either side.

import { type BytesLike, pseudoRandomBytes, toBytes } from '../bytes.js';
import type { Chop } from '../connection.js';
import type { DeflateParams } from '../deflate.js';
import {
  type Expectation,
  type Expected,
  expectBinary,
  expectText,
  type MessageType,
} from '../expect.js';
import { closePayload, type FrameSpec, Opcode } from '../frame.js';

export type Step =
  /** Frames written back to back, or chopped into small writes, or one write per frame. */
  | { kind: 'send'; frames: FrameSpec[]; chop?: Chop; frameDelayMs?: number }
  /**
   * A data message built when the step runs: compressed with the connection's negotiated
   * permessage-deflate state when `compress` is set (sent plain if nothing was negotiated),
   * then split into `fragmentSize`-byte frames.
   */
  | {
      kind: 'message';
      type: MessageType;
      data: Uint8Array;
      compress?: boolean;
      fragmentSize?: number;
      chop?: Chop;
    }
  | { kind: 'wait'; ms: number }
  /** Pause, and require that the peer neither closes nor fails meanwhile. */
  | { kind: 'quiet'; ms: number; because: string }
  /** Require a pong with this payload before going on. */
  | { kind: 'awaitPong'; payload: Uint8Array; timeoutMs: number; because: string }
  /** Require a close frame or TCP close from the peer before going on (fail-fast checks). */
  | { kind: 'awaitClose'; timeoutMs: number; because: string };

export interface CaseScript {
  steps: Step[];
  expect: Expectation;
}

export interface ConformanceCase {
  /** Autobahn-like id, such as `5.6` or `9.1.5`. */
  id: string;
  description: string;
  /** Only played against servers or only against clients; both when omitted. */
  side?: 'server' | 'client';
  /**
   * permessage-deflate for this case. Against a server: the offers sent, in order. Against a
   * client: the raw server accepts the client's first offer asking for the first entry's
   * parameters. Omitted: nothing is offered or accepted.
   */
  deflate?: DeflateParams[];
  /**
   * Against a server, a declined offer fails the case (plain offers); otherwise declining is a
   * legitimate answer (RFC 7692 §5) and the case still checks the uncompressed echo.
   */
  deflateRequired?: boolean;
  /**
   * How long the peer has to finish once the script is done: 3000 ms by default for an echo and
   * a clean close, 1500 ms to fail the connection.
   */
  endTimeoutMs?: number;
  /** Test timeout; default 15000 ms. */
  timeoutMs?: number;
  /** Builds the script; lazy so the megabyte payloads exist only while their case runs. */
  script(): CaseScript;
}

export interface CaseGroup {
  id: string;
  title: string;
  cases: ConformanceCase[];
}

// Frames ----------------------------------------------------------------------------------------

export const textFrame = (payload: BytesLike, extra: Partial<FrameSpec> = {}): FrameSpec => ({
  opcode: Opcode.text,
  payload,
  ...extra,
});
export const binaryFrame = (payload: BytesLike, extra: Partial<FrameSpec> = {}): FrameSpec => ({
  opcode: Opcode.binary,
  payload,
  ...extra,
});
export const continuationFrame = (
  payload: BytesLike,
  fin: boolean,
  extra: Partial<FrameSpec> = {},
): FrameSpec => ({
  opcode: Opcode.continuation,
  payload,
  fin,
  ...extra,
});
export const pingFrame = (payload: BytesLike = '', extra: Partial<FrameSpec> = {}): FrameSpec => ({
  opcode: Opcode.ping,
  payload,
  ...extra,
});
export const pongFrame = (payload: BytesLike = '', extra: Partial<FrameSpec> = {}): FrameSpec => ({
  opcode: Opcode.pong,
  payload,
  ...extra,
});
export const closeFrame = (
  code?: number,
  reason: BytesLike = '',
  extra: Partial<FrameSpec> = {},
): FrameSpec => ({
  opcode: Opcode.close,
  payload: closePayload(code, reason),
  ...extra,
});

// Steps -----------------------------------------------------------------------------------------

export const send = (...frames: FrameSpec[]): Step => ({ kind: 'send', frames });
/** Frames written in `size`-byte pieces with a pause between pieces ("octet-wise chops"). */
export const sendChopped = (chop: Chop, ...frames: FrameSpec[]): Step => ({
  kind: 'send',
  frames,
  chop,
});
/** One write per frame with a pause between them ("frame-wise chops"). */
export const sendFramewise = (frameDelayMs: number, ...frames: FrameSpec[]): Step => ({
  kind: 'send',
  frames,
  frameDelayMs,
});
export const wait = (ms: number): Step => ({ kind: 'wait', ms });
export const quiet = (ms: number, because: string): Step => ({ kind: 'quiet', ms, because });
export const awaitPong = (payload: BytesLike, because: string, timeoutMs = 2000): Step => ({
  kind: 'awaitPong',
  payload: toBytes(payload),
  timeoutMs,
  because,
});
export const awaitClose = (because: string, timeoutMs = 1000): Step => ({
  kind: 'awaitClose',
  timeoutMs,
  because,
});
export const closeNormally: Step = send(closeFrame(1000));

// Expectations ----------------------------------------------------------------------------------

/** The peer sends exactly `receive` and then echoes our close with one of `codes`. */
export const thenClose = (receive: Expected[], codes: number[] = [1000]): Expectation => ({
  receive,
  end: { kind: 'close', codes },
});
/** The peer sends exactly `receive` and then fails the connection with one of `codes`. */
export const thenFail = (codes: number[], receive: Expected[] = []): Expectation => ({
  receive,
  end: { kind: 'fail', codes },
});

/** Script: send each message as one frame, close, expect every message echoed. */
export function echoScript(
  messages: Array<{ type: MessageType; data: Uint8Array }>,
  extraSteps: Step[] = [],
): CaseScript {
  return {
    steps: [
      ...messages.map(
        (message): Step =>
          send(message.type === 'text' ? textFrame(message.data) : binaryFrame(message.data)),
      ),
      ...extraSteps,
      closeNormally,
    ],
    expect: thenClose(
      messages.map((message) =>
        message.type === 'text' ? expectText(message.data) : expectBinary(message.data),
      ),
    ),
  };
}

// Payloads --------------------------------------------------------------------------------------

const TEXT_PATTERN = toBytes('Hello, WebSocket! κόσμε – ¡señal! 𝄞 ∮ E⋅da = Q; ');

/**
 * `size` bytes of valid UTF-8 mixing 1- to 4-byte code points, so fragment and chop boundaries
 * fall inside code points.
 */
export function textPayload(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += TEXT_PATTERN.length) {
    bytes.set(TEXT_PATTERN.subarray(0, Math.min(TEXT_PATTERN.length, size - offset)), offset);
  }
  return repairUtf8Edges(bytes);
}

/** Replaces a code point cut at either end of `bytes` with spaces, keeping the length. */
export function repairUtf8Edges(bytes: Uint8Array): Uint8Array {
  for (let index = 0; index < bytes.length && ((bytes[index] as number) & 0xc0) === 0x80; index++)
    bytes[index] = 0x20;
  // Walk back to the start of the last code point and check it is complete.
  let start = bytes.length - 1;
  while (start > 0 && ((bytes[start] as number) & 0xc0) === 0x80) start--;
  if (start >= 0 && start < bytes.length) {
    const lead = bytes[start] as number;
    const needed = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (bytes.length - start < needed) bytes.fill(0x20, start);
  }
  return bytes;
}

export const binaryPayload = (size: number, seed?: number): Uint8Array =>
  pseudoRandomBytes(size, seed);

export const KiB = 1024;
export const MiB = 1024 * 1024;

export function sizeName(size: number): string {
  if (size >= MiB && size % MiB === 0) return `${size / MiB} MiB`;
  if (size >= KiB && size % KiB === 0) return `${size / KiB} KiB`;
  return `${size} bytes`;
}
