import { utf8Length } from './reconnect-queue.js';

/**
 * The argument checks of `WebSocket.close(code, reason)`
 * (https://websockets.spec.whatwg.org/#dom-websocket-close), for the wrappers that must throw
 * them even when no socket exists to do it (a `ReconnectingWebSocket` between attempts, a
 * `WebSocketStream` whose handshake is still running).
 */
export function checkCloseArguments(
  owner: string,
  code: number | undefined,
  reason: string | undefined,
): void {
  // Step 1: a code must be 1000 or in 3000-4999 (the others are reserved for the protocol).
  if (
    code !== undefined &&
    code !== 1000 &&
    !(Number.isInteger(code) && code >= 3000 && code <= 4999)
  ) {
    throw new DOMException(
      `${owner}: the close code must be either 1000, or between 3000 and 4999; got ${code}`,
      'InvalidAccessError',
    );
  }
  // Step 2: the reason must fit a control frame: 125 bytes minus the 2-byte code.
  if (reason !== undefined && utf8Length(reason) > 123) {
    throw new DOMException(`${owner}: the close reason must be at most 123 bytes`, 'SyntaxError');
  }
}
