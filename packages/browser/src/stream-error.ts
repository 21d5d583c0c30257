/**
 * The error a `WebSocketStream` rejects and errors its streams with when the connection does
 * not close cleanly; also the reason to pass to `readable.cancel()` / `writable.abort()` to
 * close with a given code. The proposal calls this class `WebSocketError`
 * (https://github.com/whatwg/websockets/pull/48); it is named `WebSocketCloseError` here so it
 * cannot be confused with `@wskit/core`'s protocol `WebSocketError`. Its DOMException `name`
 * is the proposal's, 'WebSocketError'.
 */

import { DOMExceptionBase } from './runtime-globals.js';
/** A close code and reason, for `close()` and in `WebSocketCloseError`. */
export interface WebSocketCloseInfo {
  /** 1000 or 3000-4999 when passed to `close()`; any received code in `closed`. */
  closeCode?: number;
  reason?: string;
}

/**
 * The error a `WebSocketStream` rejects and errors its streams with when the connection does not
 * close cleanly, and the reason to pass to `readable.cancel()` / `writable.abort()` to close with
 * a code (the proposal's `WebSocketError`, see the top of this file).
 */
export class WebSocketCloseError extends DOMExceptionBase {
  /** The close code, when one is known (1006 for a connection that dropped). */
  readonly closeCode: number | undefined;
  readonly reason: string;

  constructor(message = '', init: WebSocketCloseInfo = {}) {
    super(message, 'WebSocketError');
    this.reason = init.reason ?? '';
    // As in the proposal: a reason without a code means a normal closure.
    this.closeCode = init.closeCode ?? (this.reason !== '' ? 1000 : undefined);
  }
}
