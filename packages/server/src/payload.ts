import { type SendData, WebSocketError } from '@wskit/core';

/**
 * A send payload as every adapter takes it: a string is text, anything else bytes (a view over
 * the same memory, never a copy). Throws, naming `operation`, for anything that is neither.
 */
export function toPayload(data: SendData, operation: string): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new WebSocketError(
    'WS_ERR_INVALID_ARGUMENT',
    `${operation} expects a string, an ArrayBuffer or an ArrayBufferView, got ${data === null ? 'null' : typeof data}`,
  );
}

/** Length in UTF-16 units for text, bytes for binary: what size thresholds compare. */
export function payloadLength(payload: string | Uint8Array): number {
  return typeof payload === 'string' ? payload.length : payload.byteLength;
}

/** True when the payload is over `limit` bytes, encoding a string only when it could be. */
export function byteLengthOver(data: string | Uint8Array | ArrayBuffer, limit: number): boolean {
  if (typeof data !== 'string') return data.byteLength > limit;
  // UTF-8 needs at least one byte per UTF-16 unit and at most three.
  if (data.length > limit) return true;
  if (data.length * 3 <= limit) return false;
  return new TextEncoder().encode(data).byteLength > limit;
}

/** Topics are strings; anything else is a bug in the caller. */
export function checkTopic(topic: unknown, operation: string): asserts topic is string {
  if (typeof topic !== 'string') {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `${operation} expects a topic string`);
  }
}
