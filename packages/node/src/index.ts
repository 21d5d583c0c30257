/**
 * @wskit/node: WebSocket server and client for Node.js on the @wskit/core protocol engine.
 */

export {
  CloseCode,
  type CloseDetails,
  defineHooks,
  type Hooks,
  type Message,
  type Peer,
  type PerMessageDeflateOptions,
  type UpgradeRequest,
  type UpgradeResult,
  WebSocketError,
  type WebSocketErrorCode,
} from '@wskit/core';
export { DEFAULTS } from '@wskit/server';
export { type ClientOptions, connect, UnexpectedResponseError } from './client.js';
export { ConcurrencyLimiter } from './concurrency-limiter.js';
export type { DriverInit } from './driver.js';
export type { AnyHttp2Server } from './http2-server.js';
export type { Sweepable } from './idle-sweeper.js';
export { LiveStreamPool, type PooledStream } from './live-stream-pool.js';
export type { ConnectionOptions, HeartbeatOptions, NodeDeflateOptions } from './options.js';
export { proxyForUrl } from './proxy.js';
export {
  type CloseServerOptions,
  type OriginPolicy,
  type ServerOptions,
  type StreamCallback,
  WebSocketServer,
  type WebSocketServerEvents,
} from './server.js';
export { type Http2RequestSource, NodeUpgradeRequest } from './upgrade-request.js';
export {
  type ConnectingInit,
  type NodeSendOptions,
  type PeerContext,
  type SendCallback,
  WebSocket,
  type WebSocketEvents,
  type WebSocketInit,
} from './websocket.js';
export {
  createZlibCodec,
  type ZlibCodecOptions,
  zlibLimiter,
  zlibStreamPool,
} from './zlib-codec.js';
