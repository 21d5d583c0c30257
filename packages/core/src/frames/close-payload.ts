import { CloseCode, invalidArgument, protocolError, type WebSocketError } from '../errors.js';
import { decodeUtf8, utf8Encoder } from '../text/utf8.js';
import { isValidUtf8 } from '../text/utf8-validator.js';

/**
 * RFC 6455 §7.4: which status codes may appear in a close frame on the wire.
 * 1000-1003 and 1007-1011 are defined by §7.4.1; 1012-1014 were registered later with IANA
 * (service restart, try again later, bad gateway); 3000-4999 are for libraries and
 * applications (§7.4.2). 1004 is reserved, and 1005, 1006 and 1015 "MUST NOT be set as a
 * status code in a Close control frame by an endpoint".
 */
export function isValidWireCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/** RFC 6455 §5.5: a close reason must fit the 125-byte control payload after the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** The decoded body of a close frame (RFC 6455 §5.5.1). */
export interface ClosePayload {
  /** The status code, or 1005 (`NO_STATUS_RECEIVED`) when the frame carried none. */
  readonly code: number;
  readonly reason: string;
}

/** Parses a received close frame body (RFC 6455 §5.5.1). Returns an error, never throws. */
export function parseClosePayload(payload: Uint8Array): ClosePayload | WebSocketError {
  if (payload.length === 0) return { code: CloseCode.NO_STATUS_RECEIVED, reason: '' };
  // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
  // integer" — a 1-byte body cannot be valid.
  if (payload.length === 1) {
    return protocolError('WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame body of 1 byte');
  }
  const code = ((payload[0] as number) << 8) | (payload[1] as number);
  if (!isValidWireCloseCode(code)) {
    return protocolError('WS_ERR_INVALID_CLOSE_CODE', `invalid close code ${code}`);
  }
  const reasonBytes = payload.subarray(2);
  // §5.5.1: the reason is UTF-8; §8.1: invalid UTF-8 fails the connection with 1007.
  if (!isValidUtf8(reasonBytes)) {
    return protocolError(
      'WS_ERR_INVALID_UTF8',
      'close reason is not valid UTF-8',
      CloseCode.INVALID_PAYLOAD,
    );
  }
  return { code, reason: decodeUtf8(reasonBytes) };
}

/**
 * Builds a close frame body for sending. `code` undefined sends an empty body (allowed by
 * §5.5.1); a reason needs a code. Throws on local misuse.
 */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw invalidArgument('a close reason requires a close code');
    return new Uint8Array(0);
  }
  if (!Number.isInteger(code) || !isValidWireCloseCode(code)) {
    throw invalidArgument(
      `close code ${String(code)} cannot be sent: use 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 §7.4)`,
    );
  }
  if (typeof reason !== 'string') throw invalidArgument('close reason must be a string');
  const payload = new Uint8Array(2 + reason.length * 3);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  // The usual close (a code, often the peer's echoed, and no reason) needs no encoder call and
  // no views: closing is on every connection's path.
  if (reason === '') return payload;
  const { written } = utf8Encoder.encodeInto(reason, payload.subarray(2));
  if (written > MAX_CLOSE_REASON_BYTES) {
    throw invalidArgument(
      `close reason is ${written} bytes of UTF-8; the limit is ${MAX_CLOSE_REASON_BYTES} (RFC 6455 §5.5)`,
    );
  }
  return payload.subarray(0, 2 + written);
}
