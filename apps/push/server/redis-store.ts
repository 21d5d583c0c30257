import { type AppRedis, connectAppRedis } from '@wskit/app-shared/redis';
import { createDurableTopics, type DurableMessage, type DurableTopics } from '@wskit/redis';
import type { NotificationInput, StoredNotification } from '../shared/schema.js';
import {
  DEFAULT_MAX_PER_TOPIC,
  type NotificationStore,
  newId,
  type StoreSubscription,
} from './store.js';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://`. */
  url: string;
  maxPerTopic?: number;
  /** Key prefix. Default `push:`; a topic's log is the stream `push:log:<topic>`. */
  prefix?: string;
}

/**
 * Notifications as durable topics of `@wskit/redis`: a Redis Stream per topic, numbered by
 * Redis, kept to `maxPerTopic`, and carried live to every push process. The library does the
 * replay-then-live hand-over; what is left here is push's own: the notification as JSON
 * (`id`, `time` and the input), and "Redis unavailable" for the API's 503.
 */
export class RedisStore implements NotificationStore {
  readonly #topics: DurableTopics;
  readonly #redis: AppRedis;

  private constructor(redis: AppRedis, topics: DurableTopics) {
    this.#redis = redis;
    this.#topics = topics;
  }

  /**
   * Connects through the apps' shared connection (a wrong URL stops the process at start, an
   * outage is logged once), with durable topics on it where the apps' plain broker would be.
   */
  static async open(options: RedisStoreOptions): Promise<RedisStore> {
    let topics: DurableTopics | undefined;
    const redis = await connectAppRedis({
      url: options.url,
      label: 'push',
      createBroker: ({ redis: client, onError }) => {
        const created = createDurableTopics({
          redis: client,
          keyPrefix: `${options.prefix ?? 'push:'}log:`,
          retention: { maxLen: options.maxPerTopic ?? DEFAULT_MAX_PER_TOPIC, exact: true },
          onError,
        });
        topics = created;
        return {
          ready: () => created.ready(),
          close: () => created.close(),
          attach: () => {
            throw new Error('push carries notifications as durable topics, not plain ones');
          },
        };
      },
    });
    return new RedisStore(redis, topics as DurableTopics);
  }

  async append(input: NotificationInput): Promise<StoredNotification> {
    const id = newId();
    const time = Date.now();
    const seq = await unavailable(
      this.#topics.publish(input.topic, JSON.stringify({ id, time, ...input })),
    );
    return { id, seq, time, ...input };
  }

  async readAfter(topic: string, after: number, limit: number): Promise<StoredNotification[]> {
    const { messages } = await unavailable(this.#topics.read(topic, { after, limit }));
    return messages.map(toNotification);
  }

  async head(topic: string): Promise<number> {
    return await unavailable(this.#topics.head(topic));
  }

  subscribe(
    topic: string,
    after: number,
    deliver: (notification: StoredNotification) => void,
  ): StoreSubscription {
    return this.#topics.subscribe(
      topic,
      { after },
      {
        message: (message) => deliver(toNotification(message)),
        // Retention dropped notifications this subscriber had not read: the page sees the
        // jump in `seq` (and a log that restarted begins again at 1).
        gap: () => undefined,
      },
    );
  }

  async close(): Promise<void> {
    await this.#redis.close();
  }
}

function toNotification(message: DurableMessage): StoredNotification {
  const stored = JSON.parse(String(message.data)) as Omit<StoredNotification, 'seq'>;
  return { ...stored, seq: message.seq } as StoredNotification;
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
