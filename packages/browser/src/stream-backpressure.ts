/**
 * Flow-control hooks between `WebSocketStream` and a WebSocket class that can do more than the
 * WHATWG interface allows. The native class cannot stop reading its socket nor report a drain;
 * our Node class can, and says so by implementing these symbol-keyed methods. Registered
 * symbols (`Symbol.for`), so a second copy of this package (or the class's own copy) agrees on
 * them without importing this module.
 *
 * The contract, for a class that implements them:
 * - `[kPause](): void` stops reading from the transport, so TCP flow control pushes back on the
 *   peer. Messages already read may still be dispatched; after that no 'message' event fires
 *   until `[kResume]()`. Calling it twice, or on a closing/closed socket, is a no-op.
 * - `[kResume](): void` starts reading again. Idempotent; a no-op once closed.
 * - `[kOnDrain](listener): () => void` (optional) calls `listener` (no arguments) each time the
 *   transport's write buffer empties (`bufferedAmount` went down), until the returned function
 *   is called. Without it, writers poll `bufferedAmount`.
 * A class implements `kPause` and `kResume` together or neither.
 */

/** Stop reading the transport (see the contract above). */
export const kPause: unique symbol = Symbol.for('wskit.pause');
/** Start reading the transport again. */
export const kResume: unique symbol = Symbol.for('wskit.resume');
/** Subscribe to "the write buffer drained"; returns the unsubscribe function. */
export const kOnDrain: unique symbol = Symbol.for('wskit.onDrain');

/** A WebSocket whose reading can be paused (our Node class). */
export interface PausableSocket {
  [kPause](): void;
  [kResume](): void;
}

/** A WebSocket that reports when its write buffer drains. */
export interface DrainNotifyingSocket {
  [kOnDrain](listener: () => void): () => void;
}

export function isPausable(socket: object): socket is PausableSocket {
  const candidate = socket as Partial<PausableSocket>;
  return typeof candidate[kPause] === 'function' && typeof candidate[kResume] === 'function';
}

export function notifiesDrain(socket: object): socket is DrainNotifyingSocket {
  return typeof (socket as Partial<DrainNotifyingSocket>)[kOnDrain] === 'function';
}
