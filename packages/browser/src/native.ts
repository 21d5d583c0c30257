/**
 * @wskit/browser in browsers, workers, Deno, Bun, Cloudflare Workers and any other runtime
 * with a WHATWG WebSocket of its own (every export condition but "node"): that class, as is.
 *
 * No Node code may be reached from here (test/browser-bundle.test.ts bundles this entry for
 * the browser and checks). Importing never throws, even in a runtime without a WebSocket: the
 * class then throws when constructed.
 */
import type { WebSocketLike, WebSocketLikeConstructor } from './websocket-like.js';

const PREFIX = '@wskit/browser';

/**
 * The native class behind a Proxy that only checks the argument count: instances, prototype,
 * constants, `name` and `instanceof` are the native class's own. A third argument that is an
 * object (our Node class's options: headers, TLS, proxy...) is rejected loudly rather than
 * silently ignored.
 */
function rejectingOptions(native: WebSocketLikeConstructor): WebSocketLikeConstructor {
  return new Proxy(native, {
    construct(target, args, newTarget) {
      // Only an object can be our options; other extra arguments are ignored, as WebIDL does.
      if (typeof args[2] === 'object' && args[2] !== null) {
        throw new TypeError(
          `${PREFIX}: the native WebSocket of this runtime cannot honour a third (options) argument; headers, proxy and TLS options exist only in the Node.js class ('@wskit/browser/node')`,
        );
      }
      return Reflect.construct(target, args, newTarget);
    },
  });
}

/** Stands in where the runtime has no WebSocket: importable, but not constructible. */
function missingWebSocket(): WebSocketLikeConstructor {
  const WebSocket = class {
    constructor() {
      throw new TypeError(
        `${PREFIX}: this runtime has no global WebSocket; on Node.js the "node" export condition selects our implementation`,
      );
    }
  };
  // Spelled out: bundlers rename a nested class that shadows an outer binding.
  Object.defineProperty(WebSocket, 'name', { value: 'WebSocket' });
  for (const [name, value] of [
    ['CONNECTING', 0],
    ['OPEN', 1],
    ['CLOSING', 2],
    ['CLOSED', 3],
  ] as const) {
    Object.defineProperty(WebSocket, name, { value, enumerable: true });
    Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
  }
  return WebSocket as unknown as WebSocketLikeConstructor;
}

// Read through a pure call: a bundle that imports only the helpers drops it.
const native = /* @__PURE__ */ (() => (globalThis as { WebSocket?: unknown }).WebSocket)();

/** The runtime's own WebSocket class. */
export const WebSocket: WebSocketLikeConstructor =
  typeof native === 'function'
    ? /* @__PURE__ */ rejectingOptions(native as WebSocketLikeConstructor)
    : /* @__PURE__ */ missingWebSocket();
export type WebSocket = WebSocketLike;

export * from './helper-exports.js';
// ReconnectingWebSocket and WebSocketStream as they are: with no `defaultWebSocket` they use
// `globalThis.WebSocket`, the class above without its wrapper (they never pass a third
// argument), or say there is none. Not bound here, so a bundle that imports only them carries
// neither the wrapper nor the stand-in.
export { ReconnectingWebSocket } from './reconnecting-websocket.js';
export { WebSocketStream } from './websocket-stream.js';
