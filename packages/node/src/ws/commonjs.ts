/**
 * The CommonJS face of @wskit/node/ws: `module.exports` is the WebSocket class, as with
 * `require('ws')`; `WebSocket.Server`, `WebSocket.WebSocketServer` and
 * `WebSocket.createWebSocketStream` hang off it (set in ./index.ts).
 */
import WebSocket from './index.js';

export default WebSocket;
