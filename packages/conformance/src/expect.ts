// What a case expects from the peer, and the checks that compare it with what the peer sent:
// frame-level rules (RFC 6455 §5), message assembly and decompression, then the ordered match.

import { type BytesLike, describeBytes, diffBytes, isValidUtf8, toBytes } from './bytes.js';
import type { RawConnection } from './connection.js';
import { isControlOpcode, Opcode, type ReceivedFrame } from './frame.js';

/** A close frame without a status code (RFC 6455 §7.1.5 reports it as 1005). */
export const NO_STATUS = 1005;

export type MessageType = 'text' | 'binary';

export type Expected =
  /** A data message with exactly this payload. */
  | { kind: 'message'; type: MessageType; data: Uint8Array }
  /** A pong with exactly this payload. */
  | { kind: 'pong'; payload: Uint8Array }
  /**
   * The answers to several pings sent in a row: all of them in order, or an ordered subset that
   * includes the last one (RFC 6455 §5.5.3 lets an endpoint answer only the most recent ping).
   */
  | { kind: 'pongs'; payloads: Uint8Array[] };

export type ExpectedEnd =
  /**
   * A clean close: the peer sends a close frame with one of `codes` ({@link NO_STATUS} for an
   * empty close frame) and the TCP connection closes, the server closing first.
   */
  | { kind: 'close'; codes: number[] }
  /**
   * The peer fails the connection (RFC 6455 §7.1.7): either a close frame with one of `codes`
   * (any code when empty) followed by the TCP close, or just the TCP close.
   */
  | { kind: 'fail'; codes: number[] };

export interface Expectation {
  /** What the peer must send, in order, before its close frame. Its own pings are ignored. */
  receive: Expected[];
  end: ExpectedEnd;
}

export const expectMessage = (type: MessageType, data: BytesLike): Expected => ({
  kind: 'message',
  type,
  data: toBytes(data),
});
export const expectText = (data: BytesLike): Expected => expectMessage('text', data);
export const expectBinary = (data: BytesLike): Expected => expectMessage('binary', data);
export const expectPong = (payload: BytesLike = ''): Expected => ({
  kind: 'pong',
  payload: toBytes(payload),
});

/** One thing the peer said, after frames are assembled into messages. */
export type Observation =
  | { kind: 'message'; type: MessageType; data: Uint8Array; compressed: boolean }
  | { kind: 'ping'; payload: Uint8Array }
  | { kind: 'pong'; payload: Uint8Array }
  | { kind: 'close'; code: number; reason: Uint8Array };

/** Close codes an endpoint may put in a close frame (RFC 6455 §7.4.1, §7.4.2, IANA registry). */
export function isSendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

export function describeObservation(observation: Observation): string {
  switch (observation.kind) {
    case 'message':
      return `${observation.type} message of ${observation.data.length} bytes ${describeBytes(observation.data, 12)}`;
    case 'ping':
    case 'pong':
      return `${observation.kind} ${describeBytes(observation.payload, 12)}`;
    case 'close':
      return observation.code === NO_STATUS
        ? 'close without status code'
        : `close ${observation.code}`;
  }
}

function describeExpected(expected: Expected): string {
  switch (expected.kind) {
    case 'message':
      return `${expected.type} message of ${expected.data.length} bytes ${describeBytes(expected.data, 12)}`;
    case 'pong':
      return `pong ${describeBytes(expected.payload, 12)}`;
    case 'pongs':
      return `pongs for ${expected.payloads.length} pings`;
  }
}

/**
 * Assembles the peer's frames into observations, decompressing permessage-deflate messages in
 * order; every breach of the framing rules the peer itself must follow becomes a violation.
 */
export async function observe(
  connection: RawConnection,
): Promise<{ observations: Observation[]; violations: string[] }> {
  const observations: Observation[] = [];
  const violations: string[] = [];
  const peer = connection.role === 'client' ? 'server' : 'client';
  let message: { type: MessageType; compressed: boolean; parts: Uint8Array[] } | undefined;
  let closed = false;

  for (const [index, frame] of connection.frames.entries()) {
    const where = `frame ${index + 1} (opcode ${frame.opcode})`;
    if (closed) {
      violations.push(`the ${peer} sent ${where} after its close frame (RFC 6455 §5.5.1)`);
      continue;
    }
    // RFC 6455 §5.1: a client MUST mask, a server MUST NOT.
    if (peer === 'client' && !frame.masked)
      violations.push(`${where} from the client is not masked (RFC 6455 §5.1)`);
    if (peer === 'server' && frame.masked)
      violations.push(`${where} from the server is masked (RFC 6455 §5.1)`);
    if (frame.rsv2 || frame.rsv3)
      violations.push(`${where} has RSV2/RSV3 set without an extension (RFC 6455 §5.2)`);
    if (
      frame.rsv1 &&
      (connection.deflate === undefined ||
        isControlOpcode(frame.opcode) ||
        frame.opcode === Opcode.continuation)
    ) {
      violations.push(
        `${where} has RSV1 set where no extension allows it (RFC 6455 §5.2, RFC 7692 §6)`,
      );
    }
    if (isControlOpcode(frame.opcode)) {
      if (!frame.fin) violations.push(`${where} is a fragmented control frame (RFC 6455 §5.5)`);
      if (frame.payload.length > 125)
        violations.push(`${where} is a control frame over 125 bytes (RFC 6455 §5.5)`);
    }
    switch (frame.opcode) {
      case Opcode.text:
      case Opcode.binary:
      case Opcode.continuation: {
        if (frame.opcode === Opcode.continuation) {
          if (message === undefined) {
            violations.push(`${where} continues no message (RFC 6455 §5.4)`);
            continue;
          }
        } else {
          if (message !== undefined)
            violations.push(`${where} starts a message inside another one (RFC 6455 §5.4)`);
          message = {
            type: frame.opcode === Opcode.text ? 'text' : 'binary',
            compressed: frame.rsv1,
            parts: [],
          };
        }
        message.parts.push(frame.payload);
        if (!frame.fin) continue;
        const { type, compressed, parts } = message;
        message = undefined;
        let data = joinParts(parts);
        if (compressed && connection.deflate) {
          try {
            data = await connection.deflate.decompress(data);
          } catch (error) {
            violations.push(
              `a compressed ${type} message does not inflate with the negotiated parameters: ${(error as Error).message}`,
            );
            continue;
          }
        }
        if (type === 'text' && !isValidUtf8(data))
          violations.push(`a text message from the ${peer} is not valid UTF-8`);
        observations.push({ kind: 'message', type, data, compressed });
        break;
      }
      case Opcode.ping:
      case Opcode.pong:
        observations.push({
          kind: frame.opcode === Opcode.ping ? 'ping' : 'pong',
          payload: frame.payload,
        });
        break;
      case Opcode.close: {
        closed = true;
        observations.push(readClose(frame, violations));
        break;
      }
      default:
        violations.push(`${where} uses a reserved opcode (RFC 6455 §5.2)`);
    }
  }
  return { observations, violations };
}

function joinParts(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.length;
  }
  return data;
}

function readClose(frame: ReceivedFrame, violations: string[]): Observation {
  const payload = frame.payload;
  if (payload.length === 0) return { kind: 'close', code: NO_STATUS, reason: payload };
  if (payload.length === 1) {
    violations.push('the close frame has a 1-byte payload (RFC 6455 §5.5.1)');
    return { kind: 'close', code: NO_STATUS, reason: payload };
  }
  const code = ((payload[0] as number) << 8) | (payload[1] as number);
  const reason = payload.subarray(2);
  if (!isSendableCloseCode(code))
    violations.push(`the close frame carries code ${code}, which may not be sent (RFC 6455 §7.4)`);
  if (!isValidUtf8(reason))
    violations.push('the close reason is not valid UTF-8 (RFC 6455 §5.5.1)');
  return { kind: 'close', code, reason };
}

/**
 * Compares what the peer sent with `expectation`; returns the failures (empty when it passed).
 * Call it once the connection has ended (see the runner), so the TCP state is final; pass the
 * result of {@link observe} if you already called it.
 */
export async function checkExpectation(
  connection: RawConnection,
  expectation: Expectation,
  observed?: { observations: Observation[]; violations: string[] },
): Promise<string[]> {
  const failures: string[] = [];
  // Observe once only: decompression advances the connection's inflater.
  const { observations, violations } = observed ?? (await observe(connection));
  failures.push(...violations);
  const peer = connection.role === 'client' ? 'server' : 'client';
  const unparsable = connection.events.find((event) => event.type === 'unparsable');
  if (unparsable?.type === 'unparsable')
    failures.push(`the ${peer}'s bytes stopped making frames: ${unparsable.reason}`);

  // The peer's own pings were answered by the connection; they are no part of the exchange.
  const said = observations.filter((observation) => observation.kind !== 'ping');
  const closeIndex = said.findIndex((observation) => observation.kind === 'close');
  const beforeClose = closeIndex === -1 ? said : said.slice(0, closeIndex);
  const close = closeIndex === -1 ? undefined : said[closeIndex];

  let position = 0;
  for (const expected of expectation.receive) {
    const next = beforeClose[position];
    if (expected.kind === 'pongs') {
      const pongs: Uint8Array[] = [];
      while (beforeClose[position]?.kind === 'pong') {
        pongs.push((beforeClose[position] as { payload: Uint8Array }).payload);
        position++;
      }
      const problem = checkPongs(pongs, expected.payloads);
      if (problem) failures.push(problem);
      continue;
    }
    if (next === undefined) {
      failures.push(
        `expected ${describeExpected(expected)}, but the ${peer} sent nothing more${close ? ' before closing' : ''}`,
      );
      break;
    }
    position++;
    if (expected.kind === 'pong') {
      if (next.kind !== 'pong')
        failures.push(`expected ${describeExpected(expected)}, got ${describeObservation(next)}`);
      else if (diffBytes(next.payload, expected.payload)) {
        failures.push(`pong payload: ${diffBytes(next.payload, expected.payload)}`);
      }
      continue;
    }
    if (next.kind !== 'message') {
      failures.push(`expected ${describeExpected(expected)}, got ${describeObservation(next)}`);
      continue;
    }
    if (next.type !== expected.type)
      failures.push(`expected a ${expected.type} message, got a ${next.type} message`);
    const difference = diffBytes(next.data, expected.data);
    if (difference) failures.push(`echoed ${expected.type} message ${difference}`);
  }
  for (const extra of beforeClose.slice(position)) {
    failures.push(`unexpected ${describeObservation(extra)} from the ${peer}`);
  }

  const end = expectation.end;
  const codes = end.codes
    .map((code) => (code === NO_STATUS ? 'no status code' : String(code)))
    .join(' or ');
  if (end.kind === 'close') {
    if (close?.kind !== 'close') {
      failures.push(
        connection.peerGone
          ? `the ${peer} closed TCP without a close frame; expected close ${codes}`
          : `no close frame from the ${peer}; expected close ${codes}`,
      );
    } else if (!end.codes.includes(close.code)) {
      failures.push(`expected close ${codes}, got ${describeObservation(close)}`);
    }
  } else if (close?.kind === 'close') {
    if (end.codes.length > 0 && !end.codes.includes(close.code)) {
      failures.push(
        `the ${peer} failed the connection with ${describeObservation(close)}, expected ${codes}`,
      );
    }
  } else if (!connection.peerGone) {
    failures.push(
      `the ${peer} did not fail the connection (no close frame, TCP still open); expected close ${codes} or a TCP close`,
    );
  }
  return failures;
}

function checkPongs(received: Uint8Array[], pings: Uint8Array[]): string | undefined {
  // Each pong must answer a ping sent after the one answered before it, and the last ping must
  // be answered.
  let pingIndex = 0;
  for (const pong of received) {
    while (
      pingIndex < pings.length &&
      diffBytes(pong, pings[pingIndex] as Uint8Array) !== undefined
    )
      pingIndex++;
    if (pingIndex === pings.length)
      return `pong ${describeBytes(pong, 12)} answers none of the remaining pings`;
    pingIndex++;
  }
  const last = pings[pings.length - 1];
  const lastPong = received[received.length - 1];
  if (last && (lastPong === undefined || diffBytes(lastPong, last) !== undefined)) {
    return `${received.length} pongs for ${pings.length} pings; the last ping was not answered (RFC 6455 §5.5.2)`;
  }
  return undefined;
}
