import { type AppRedis, type BrokerChannel, openBrokerChannel } from '@wskit/app-shared/redis';
import type { StoredNotification } from '../shared/schema.js';
import { connectPushRedis } from './redis-store.js';

/**
 * Tells every server process about accepted notifications, so each can deliver to its own
 * peers. Delivery does not depend on the broker being reliable: a peer that sees a gap in a
 * topic's sequence numbers catches up from the store, so a lost or reordered broker message
 * costs latency, never a notification.
 */
export interface Broker {
  publish(notification: StoredNotification): Promise<void>;
  /** Registers the one handler of this process. */
  onNotification(handler: (notification: StoredNotification) => void): void;
  close(): Promise<void>;
}

/** One process: hands the notification straight to the handler. */
export class LocalBroker implements Broker {
  #handler: ((notification: StoredNotification) => void) | undefined;

  async publish(notification: StoredNotification): Promise<void> {
    this.#handler?.(notification);
  }

  onNotification(handler: (notification: StoredNotification) => void): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {}
}

/**
 * Several processes: the notifications travel on one topic of an `@wskit/redis` broker. The
 * broker hands a process only the other processes' publishes, so its own go to the handler
 * directly.
 */
export class RedisBroker implements Broker {
  readonly #channel: BrokerChannel;
  readonly #owned: AppRedis | undefined;
  #handler: ((notification: StoredNotification) => void) | undefined;

  /** On a connection opened by `connectAppRedis`; `owned` makes `close()` close it. */
  constructor(redis: AppRedis, topic = 'push:notifications', owned = false) {
    this.#owned = owned ? redis : undefined;
    this.#channel = openBrokerChannel(
      redis.broker,
      topic,
      (payload) => {
        try {
          this.#handler?.(JSON.parse(payload) as StoredNotification);
        } catch {
          // A malformed payload is ignored; the next notification's gap triggers a catch-up.
        }
      },
      (error) => console.error(`push: redis: ${error.message}`),
    );
  }

  /** With a connection of its own. */
  static async open(url: string, topic?: string): Promise<RedisBroker> {
    const redis = await connectPushRedis(url);
    return new RedisBroker(redis, topic, true);
  }

  async publish(notification: StoredNotification): Promise<void> {
    this.#handler?.(notification);
    await this.#channel.publish(JSON.stringify(notification));
  }

  onNotification(handler: (notification: StoredNotification) => void): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    await this.#channel.close();
    await this.#owned?.close();
  }
}
