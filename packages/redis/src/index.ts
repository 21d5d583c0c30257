/**
 * @wskit/redis: a `TopicBroker` (from @wskit/server) over Redis pub/sub for @wskit/node's `WebSocketServer`
 * and @wskit/deno-bun's Bun and Deno servers (their `broker` option), on ioredis: `redis://`
 * and `rediss://` URLs with credentials, reconnect with backoff, automatic resubscribe.
 */
import { Redis } from 'ioredis';
import { type RedisBroker, RedisTopicBroker } from './broker.js';
import { type RedisBrokerOptions, resolveRedisOptions } from './options.js';

export type { RedisBroker } from './broker.js';
export type { RedisBrokerOptions, RedisClient } from './options.js';

/**
 * A broker that carries every `peer.publish` and `server.publish` to the servers of every
 * other process connected to the same Redis, and theirs to this one:
 *
 * ```ts
 * const broker = createRedisBroker({ url: 'redis://localhost:6379' });
 * const server = new WebSocketServer({ port: 8080, broker, hooks });
 * ```
 *
 * Throws (a `WebSocketError`, code `WS_ERR_INVALID_ARGUMENT`) on an unknown option, a URL
 * that is not `redis://` or `rediss://`, or neither/both of `url` and `redis`. Connection
 * failures are never thrown: they go to `onError` while ioredis retries.
 */
export function createRedisBroker(options: RedisBrokerOptions): RedisBroker {
  return new RedisTopicBroker(resolveRedisOptions(options, Redis));
}
