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
  const { addEventListener, removeEventListener } = scope;
  if (typeof addEventListener !== 'function' || typeof removeEventListener !== 'function') {
    return undefined;
  }
  if (typeof scope.navigator?.onLine !== 'boolean') return undefined;
  return {
    get onLine() {
      return scope.navigator?.onLine !== false;
    },
    addEventListener: addEventListener.bind(scope),
    removeEventListener: removeEventListener.bind(scope),
  };
}
