/**
 * Network status for `ReconnectingWebSocket`: retries pause while the device is offline and
 * start at once when it comes back. Browsers (windows and workers) fire 'online'/'offline' on
 * the global scope and expose `navigator.onLine`; Node has neither, so there this is off unless
 * a source is passed in.
 */

export type ConnectivityEventType = 'online' | 'offline';

/** A source of network status: the browser's global scope, or anything shaped like it. */
export interface Connectivity {
  /** false means certainly offline; true means "maybe online" (browsers cannot know more). */
  readonly onLine: boolean;
  addEventListener(type: ConnectivityEventType, listener: () => void): void;
  removeEventListener(type: ConnectivityEventType, listener: () => void): void;
}

interface GlobalScope {
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
  navigator?: { onLine?: unknown };
}

/** The global scope as a `Connectivity`, when it is an EventTarget with `navigator.onLine`. */
export function globalConnectivity(): Connectivity | undefined {
  const scope = globalThis as GlobalScope;
  const { addEventListener: add, removeEventListener: remove, navigator } = scope;
  if (typeof add !== 'function' || typeof remove !== 'function') return undefined;
  if (typeof navigator?.onLine !== 'boolean') return undefined;
  return {
    // Read at each use: it changes.
    get onLine() {
      return navigator.onLine !== false;
    },
    addEventListener: add.bind(scope),
    removeEventListener: remove.bind(scope),
  };
}
