/**
 * What both entries re-export from ReconnectingWebSocket and WebSocketStream besides the two
 * classes themselves, which each entry binds to its own WebSocket class (see native.ts and
 * node.ts). Runtime-neutral.
 */
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
export {
  WebSocketCloseError,
  type WebSocketCloseInfo,
  type WebSocketCloseResult,
  type WebSocketOpenInfo,
  type WebSocketStreamChunk,
  type WebSocketStreamOptions,
  type WebSocketStreamWriteChunk,
} from './websocket-stream.js';
