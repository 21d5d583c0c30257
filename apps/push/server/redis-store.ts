import { RespClient, type RespClientOptions, type RespValue } from '@wskit/app-shared/resp';
import type { NotificationInput, StoredNotification } from '../shared/schema.js';
import { DEFAULT_MAX_PER_TOPIC, type NotificationStore, newId } from './store.js';

/** Every push Redis connection logs its losses and recoveries (it reconnects by itself). */
export const redisLogging: RespClientOptions = {
  onError: (error) => console.error(`push: redis: ${error.message}`),
  onReconnect: () => console.error('push: redis: connection re-established'),
};

export interface RedisStoreOptions {
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
  readonly #client: RespClient;
  readonly #max: number;
  readonly #prefix: string;

  private constructor(client: RespClient, max: number, prefix: string) {
    this.#client = client;
    this.#max = max;
    this.#prefix = prefix;
  }

  static async open(options: RedisStoreOptions): Promise<RedisStore> {
    const max = options.maxPerTopic ?? DEFAULT_MAX_PER_TOPIC;
    const client = await RespClient.connect(options.url, redisLogging);
    return new RedisStore(client, max, options.prefix ?? 'push:');
  }

  async append(input: NotificationInput): Promise<StoredNotification> {
    const id = newId();
    const time = Date.now();
    const payload = JSON.stringify({ id, time, ...input });
    const seq = await this.#client.command(
      'EVAL',
      APPEND_SCRIPT,
      2,
      `${this.#prefix}stream:${input.topic}`,
      `${this.#prefix}seq:${input.topic}`,
      payload,
      this.#max,
    );
    return { id, seq: Number(seq), time, ...input };
  }

  async readAfter(topic: string, after: number, limit: number): Promise<StoredNotification[]> {
    const reply = await this.#client.command(
      'XRANGE',
      `${this.#prefix}stream:${topic}`,
      `${after + 1}-0`,
      '+',
      'COUNT',
      limit,
    );
    return (reply as RespValue[][]).map(([entryId, fields]) => {
      const list = fields as string[];
      const payload = JSON.parse(list[list.indexOf('n') + 1] as string) as Omit<
        StoredNotification,
        'seq'
      >;
      return { ...payload, seq: Number.parseInt(entryId as string, 10) } as StoredNotification;
    });
  }

  async head(topic: string): Promise<number> {
    return Number((await this.#client.command('GET', `${this.#prefix}seq:${topic}`)) ?? 0);
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
