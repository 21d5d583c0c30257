/**
 * What both entries re-export besides the WebSocket class and the two classes built on it,
 * which each entry binds to its own WebSocket class (see native.ts and node.ts): CloseEvent,
 * the WebSocket-like types, and what ReconnectingWebSocket and WebSocketStream come with.
 * Runtime-neutral.
 */
export {
  CloseEvent,
  type CloseEventConstructor,
  type CloseEventInit,
} from './close-event.js';
export type { BackoffOptions } from './reconnect-backoff.js';
export {
  ReconnectedEvent,
  type ReconnectedEventInit,
  ReconnectingCloseEvent,
  type ReconnectingCloseEventInit,
  ReconnectingErrorEvent,
  type ReconnectingErrorEventInit,
  ReconnectingEvent,
  type ReconnectingEventInit,
} from './reconnect-events.js';
export type { QueueOverflow, SendQueueOptions } from './reconnect-queue.js';
export {
  HEARTBEAT_TIMEOUT_CODE,
  type ReconnectCloseInfo,
  type ReconnectDebugLogger,
  type ReconnectHeartbeatOptions,
  type ReconnectingProtocols,
  type ReconnectingSendData,
  type ReconnectingUrl,
  type ReconnectingWebSocketEventMap,
  type ReconnectingWebSocketOptions,
} from './reconnecting-websocket.js';
export type {
  BinaryType,
  WebSocketEventListener,
  WebSocketLike,
  WebSocketLikeConstructor,
  WebSocketLikeEventMap,
  WebSocketListenerOptions,
  WebSocketSendData,
} from './websocket-like.js';
export {
  WebSocketCloseError,
  type WebSocketCloseInfo,
  type WebSocketCloseResult,
  type WebSocketOpenInfo,
  type WebSocketStreamChunk,
  type WebSocketStreamOptions,
  type WebSocketStreamWriteChunk,
} from './websocket-stream.js';
