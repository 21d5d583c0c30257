// RFC 6455 §5.2 frames: a builder that can produce any frame, valid or not, and a small
// incremental parser for the frames the endpoint under test sends back.

import { applyMask, type BytesLike, concatBytes, toBytes } from './bytes.js';

export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Everything a frame header can say, including things a valid frame never says. */
export interface FrameSpec {
  /** Default true. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** 4-bit opcode; reserved values are allowed. */
  opcode: number;
  payload?: BytesLike;
  /**
   * The payload length written in the header when it should lie about the payload that follows
   * (larger values are encoded with the 64-bit form, so 2 ** 63 sets the forbidden top bit).
   */
  declaredLength?: number | bigint;
  /** Send the opposite of what the role requires: a client frame unmasked, a server frame masked. */
  wrongMasking?: boolean;
}

export interface EncodeOptions {
  /** Mask the payload (client to server). */
  mask: boolean;
  /** Masking key; random when omitted. */
  maskingKey?: Uint8Array;
}

function randomMaskingKey(): Uint8Array {
  const key = new Uint8Array(4);
  crypto.getRandomValues(key);
  return key;
}

/** Bytes of one frame exactly as `spec` describes it. */
export function encodeFrame(spec: FrameSpec, options: EncodeOptions): Uint8Array {
  const payload = toBytes(spec.payload ?? new Uint8Array(0));
  const mask = spec.wrongMasking ? !options.mask : options.mask;
  const declared = BigInt(spec.declaredLength ?? payload.length);
  const lengthBytes = declared < 126n ? 0 : declared < 65536n ? 2 : 8;
  const headerLength = 2 + lengthBytes + (mask ? 4 : 0);
  const frame = new Uint8Array(headerLength + payload.length);
  frame[0] =
    (spec.fin === false ? 0 : 0x80) |
    (spec.rsv1 ? 0x40 : 0) |
    (spec.rsv2 ? 0x20 : 0) |
    (spec.rsv3 ? 0x10 : 0) |
    (spec.opcode & 0x0f);
  frame[1] =
    (mask ? 0x80 : 0) | (lengthBytes === 0 ? Number(declared) : lengthBytes === 2 ? 126 : 127);
  const view = new DataView(frame.buffer);
  if (lengthBytes === 2) view.setUint16(2, Number(declared));
  if (lengthBytes === 8) view.setBigUint64(2, BigInt.asUintN(64, declared));
  frame.set(payload, headerLength);
  if (mask) {
    const key = options.maskingKey ?? randomMaskingKey();
    frame.set(key, headerLength - 4);
    applyMask(frame.subarray(headerLength), key);
  }
  return frame;
}

/** Frames for one message split into `fragmentSize`-byte pieces (at least one frame). */
export function fragmentMessage(
  opcode: number,
  payload: BytesLike,
  fragmentSize: number,
  firstFrame: Partial<FrameSpec> = {},
): FrameSpec[] {
  const bytes = toBytes(payload);
  const frames: FrameSpec[] = [];
  let offset = 0;
  do {
    const end = Math.min(bytes.length, offset + fragmentSize);
    frames.push({
      ...(offset === 0 ? firstFrame : {}),
      opcode: offset === 0 ? opcode : Opcode.continuation,
      fin: end === bytes.length,
      payload: bytes.subarray(offset, end),
    });
    offset = end;
  } while (offset < bytes.length);
  return frames;
}

/** Payload of a close frame: the code (omitted when undefined) and the reason. */
export function closePayload(code?: number, reason: BytesLike = ''): Uint8Array {
  if (code === undefined) return new Uint8Array(0);
  const reasonBytes = toBytes(reason);
  const payload = new Uint8Array(2 + reasonBytes.length);
  new DataView(payload.buffer).setUint16(0, code);
  payload.set(reasonBytes, 2);
  return payload;
}

export interface ReceivedFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** Unmasked payload. */
  payload: Uint8Array;
}

/**
 * Incremental frame parser: feed it chunks as they arrive, it returns the complete frames.
 * It accepts anything it can delimit (the checks decide what is a violation) and only gives up
 * on a length that cannot be buffered.
 */
export class FrameParser {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Set when the stream cannot be parsed any further. */
  error: string | undefined;

  constructor(private readonly maxPayload = 512 * 1024 * 1024) {}

  push(chunk: Uint8Array): ReceivedFrame[] {
    const frames: ReceivedFrame[] = [];
    if (this.error !== undefined) return frames;
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    for (;;) {
      const frame = this.#next();
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  #peek(length: number): Uint8Array | undefined {
    if (this.#buffered < length) return undefined;
    const first = this.#chunks[0] as Uint8Array;
    if (first.length >= length) return first.subarray(0, length);
    // Merge just enough head chunks for the header to be read from one array.
    let count = 0;
    let covered = 0;
    while (covered < length) covered += (this.#chunks[count++] as Uint8Array).length;
    const merged = concatBytes(this.#chunks.slice(0, count));
    this.#chunks.splice(0, count, merged);
    return merged.subarray(0, length);
  }

  #consume(length: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let needed = length;
    let used = 0; // whole chunks consumed, removed in one splice (shift per chunk is quadratic)
    while (needed > 0) {
      const chunk = this.#chunks[used] as Uint8Array;
      if (chunk.length <= needed) {
        parts.push(chunk);
        used++;
        needed -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, needed));
        this.#chunks[used] = chunk.subarray(needed);
        needed = 0;
      }
    }
    this.#chunks.splice(0, used);
    this.#buffered -= length;
    // Copy, so the payload can be unmasked in place and starts 4-byte aligned for the word-wise
    // helpers in bytes.ts.
    const payload = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      payload.set(part, offset);
      offset += part.length;
    }
    return payload;
  }

  #next(): ReceivedFrame | undefined {
    const start = this.#peek(2);
    if (start === undefined) return undefined;
    const first = start[0] as number;
    const second = start[1] as number;
    const masked = (second & 0x80) !== 0;
    const shortLength = second & 0x7f;
    const lengthBytes = shortLength === 126 ? 2 : shortLength === 127 ? 8 : 0;
    const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
    const header = this.#peek(headerLength);
    if (header === undefined) return undefined;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    let length: number;
    if (lengthBytes === 0) length = shortLength;
    else if (lengthBytes === 2) length = view.getUint16(2);
    else {
      const long = view.getBigUint64(2);
      if (long > BigInt(this.maxPayload)) {
        this.error = `frame declares a payload of ${long} bytes`;
        return undefined;
      }
      length = Number(long);
    }
    if (this.#buffered < headerLength + length) return undefined;
    const maskingKey = masked ? header.slice(headerLength - 4, headerLength) : undefined;
    this.#consume(headerLength);
    const payload = this.#consume(length);
    if (maskingKey) applyMask(payload, maskingKey);
    return {
      fin: (first & 0x80) !== 0,
      rsv1: (first & 0x40) !== 0,
      rsv2: (first & 0x20) !== 0,
      rsv3: (first & 0x10) !== 0,
      opcode: first & 0x0f,
      masked,
      payload,
    };
  }
}
