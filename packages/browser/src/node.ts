/**
 * @wskit/browser on Node.js (the "node" export condition, and `@wskit/browser/node` anywhere):
 * our WHATWG WebSocket over @wskit/node, since Node 20 has no global WebSocket without a flag.
 */

import { ReconnectingWebSocket as ReconnectingWebSocketBase } from './reconnecting-websocket.js';
import { WebSocket } from './websocket.js';
import type { WebSocketLikeConstructor } from './websocket-like.js';
import { WebSocketStream as WebSocketStreamBase } from './websocket-stream.js';

/** ReconnectingWebSocket over our Node class (`options.WebSocket` still picks another). */
export class ReconnectingWebSocket extends ReconnectingWebSocketBase {
  static override defaultWebSocket: WebSocketLikeConstructor | undefined = WebSocket;
}

/** WebSocketStream over our Node class, with its read backpressure (`options.WebSocket` still picks another). */
export class WebSocketStream extends WebSocketStreamBase {
  static override defaultWebSocket: WebSocketLikeConstructor | undefined = WebSocket;
}

export * from './helper-exports.js';
export { WebSocket, type WebSocketOptions } from './websocket.js';
