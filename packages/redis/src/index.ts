/**
 * @wskit/redis: a `TopicBroker` (from @wskit/server) over Redis pub/sub for @wskit/node's `WebSocketServer`
 * and @wskit/deno-bun's Bun and Deno servers (their `broker` option), on ioredis: `redis://`
 * and `rediss://` URLs with credentials, reconnect with backoff, automatic resubscribe.
 */
import { Redis } from 'ioredis';
import { type RedisBroker, RedisTopicBroker } from './broker.js';
import { type DurableTopics, RedisDurableTopics } from './durable.js';
import { type DurableTopicsOptions, resolveDurableOptions } from './durable-options.js';
import { type RedisBrokerOptions, resolveRedisOptions } from './options.js';

export type { RedisBroker } from './broker.js';
export type { DurableSubscription, DurableTopics } from './durable.js';
export type { DurableRetention, DurableTopicsOptions } from './durable-options.js';
export type { DurableGap, DurableMessage, DurableSubscriber } from './durable-types.js';
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

/**
 * Durable topics, opted into per topic by publishing through this object: each publish gets
 * a sequence number in the topic's Redis Stream (kept by `retention`), and a subscriber that
 * comes back with the last sequence number it saw gets what it missed, then live messages,
 * in order, with no gap and no duplicate; trimmed messages are reported, never skipped
 * silently. Topics published with `createRedisBroker` stay plain (at most once, nothing kept).
 *
 * ```ts
 * const topics = createDurableTopics({ url, retention: { maxLen: 10_000, maxAgeMs: 86_400_000 } });
 * const seq = await topics.publish('orders', JSON.stringify(order));
 * topics.subscribe('orders', { after: lastSeen }, { message: ({ seq, data }) => send(seq, data) });
 * ```
 *
 * Needs Redis 7.0 or later. Throws (`WS_ERR_INVALID_ARGUMENT`) on a bad option, naming it.
 */
export function createDurableTopics(options: DurableTopicsOptions): DurableTopics {
  return new RedisDurableTopics(resolveDurableOptions(options, Redis));
}
