import { type AppRedis, connectAppRedis } from '@wskit/app-shared/redis';
import { createRedisBroker } from '@wskit/redis';
import type { Redis } from 'ioredis';
import type { NotificationInput, StoredNotification } from '../shared/schema.js';
import { DEFAULT_MAX_PER_TOPIC, type NotificationStore, newId } from './store.js';

/** The one Redis connection of a push process: the store's commands and the broker. */
export function connectPushRedis(url: string): Promise<AppRedis> {
  return connectAppRedis({
    url,
    label: 'push',
    createBroker: createRedisBroker,
  });
}

export interface RedisStoreOptions {
  /** `redis://` or `rediss://`. */
  url: string;
  maxPerTopic?: number;
  /** Key prefix. Default `push:`. */
  prefix?: string;
}

/**
 * Redis Streams: one stream per topic (`push:stream:<topic>`) whose entry id is `<seq>-1`, so
 * XRANGE from `<after + 1>-0` is the replay query. The counter and the XADD run in one Lua
 * script: two processes accepting for the same topic cannot interleave a gap or a reversal.
 * Retention is XADD's MAXLEN (exact, so tests can count).
 */
const APPEND_SCRIPT = `
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], seq .. '-1', 'n', ARGV[1])
return seq
`;

export class RedisStore implements NotificationStore {
  readonly #client: Redis;
  readonly #max: number;
  readonly #prefix: string;
  /** The connection, when this store is the one to close it. */
  readonly #owned: AppRedis | undefined;

  /** Over a connection opened by `connectAppRedis`; `owned` makes `close()` close it. */
  constructor(
    redis: AppRedis,
    options: { maxPerTopic?: number; prefix?: string; owned?: boolean } = {},
  ) {
    this.#client = redis.client;
    this.#max = options.maxPerTopic ?? DEFAULT_MAX_PER_TOPIC;
    this.#prefix = options.prefix ?? 'push:';
    this.#owned = options.owned === true ? redis : undefined;
  }

  /** With a connection of its own. */
  static async open(options: RedisStoreOptions): Promise<RedisStore> {
    const redis = await connectPushRedis(options.url);
    return new RedisStore(redis, { ...options, owned: true });
  }

  async append(input: NotificationInput): Promise<StoredNotification> {
    const id = newId();
    const time = Date.now();
    const payload = JSON.stringify({ id, time, ...input });
    const seq = await unavailable(
      this.#client.eval(
        APPEND_SCRIPT,
        2,
        `${this.#prefix}stream:${input.topic}`,
        `${this.#prefix}seq:${input.topic}`,
        payload,
        this.#max,
      ),
    );
    return { id, seq: Number(seq), time, ...input };
  }

  async readAfter(topic: string, after: number, limit: number): Promise<StoredNotification[]> {
    const entries = await unavailable(
      this.#client.xrange(`${this.#prefix}stream:${topic}`, `${after + 1}-0`, '+', 'COUNT', limit),
    );
    return entries.map(([entryId, fields]) => {
      const payload = JSON.parse(fields[fields.indexOf('n') + 1] as string) as Omit<
        StoredNotification,
        'seq'
      >;
      return { ...payload, seq: Number.parseInt(entryId, 10) } as StoredNotification;
    });
  }

  async head(topic: string): Promise<number> {
    return Number((await unavailable(this.#client.get(`${this.#prefix}seq:${topic}`))) ?? 0);
  }

  async close(): Promise<void> {
    await this.#owned?.close();
  }
}

/**
 * Names a connection failure as such ("Redis unavailable"), which the API answers with; an
 * error reply from Redis itself (a ReplyError) is passed on as it is.
 */
async function unavailable<T>(command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    if (error instanceof Error && error.name !== 'ReplyError') {
      throw new Error(`Redis unavailable (${error.message})`, { cause: error });
    }
    throw error;
  }
}
