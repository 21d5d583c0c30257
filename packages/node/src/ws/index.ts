/**
 * @wskit/node/ws: the shape of the `ws` package on @wskit/node, so a ws program runs after
 * changing its import. `import WebSocket, { WebSocketServer } from '@wskit/node/ws'`, or
 * `const WebSocket = require('@wskit/node/ws')` with `WebSocket.Server`. ws's option names are
 * accepted here (and mapped to wskit's); the deliberate differences are listed in the README's
 * migration guide.
 */
import { WebSocketServer } from './server.js';
import { createWebSocketStream } from './stream.js';
import { WebSocket } from './websocket.js';

WebSocket.Server = WebSocketServer;
WebSocket.WebSocketServer = WebSocketServer;
WebSocket.WebSocket = WebSocket;
WebSocket.createWebSocketStream = createWebSocketStream;

export type { WsCommonOptions, WsDeflateOptions } from './options.js';
export type {
  VerifyClient,
  VerifyClientCallback,
  VerifyClientInfo,
  WsServerOptions,
} from './server.js';
export type {
  BinaryType,
  HandshakeRequestInfo,
  HandshakeResponseInfo,
  WebSocketEvents,
  WsClientOptions,
  WsSendOptions,
} from './websocket.js';
export { createWebSocketStream, WebSocket, WebSocketServer };
export default WebSocket;
