import { RespClient } from '@wskit/app-shared/resp';
import type { StoredNotification } from '../shared/schema.js';
import { redisLogging } from './redis-store.js';

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

/** Several processes: Redis pub/sub on one channel (a second connection in subscriber mode). */
export class RedisBroker implements Broker {
  readonly #publisher: RespClient;
  readonly #subscriber: RespClient;
  readonly #channel: string;
  #handler: ((notification: StoredNotification) => void) | undefined;

  private constructor(publisher: RespClient, subscriber: RespClient, channel: string) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  static async open(url: string, channel = 'push:notifications'): Promise<RedisBroker> {
    const [publisher, subscriber] = await Promise.all([
      RespClient.connect(url, redisLogging),
      RespClient.connect(url, redisLogging),
    ]);
    const broker = new RedisBroker(publisher, subscriber, channel);
    await subscriber.subscribe(channel, (_channel, payload) => {
      try {
        broker.#handler?.(JSON.parse(payload) as StoredNotification);
      } catch {
        // A malformed payload is ignored; the next notification's gap triggers a catch-up.
      }
    });
    return broker;
  }

  async publish(notification: StoredNotification): Promise<void> {
    await this.#publisher.command('PUBLISH', this.#channel, JSON.stringify(notification));
  }

  onNotification(handler: (notification: StoredNotification) => void): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    await Promise.all([this.#publisher.close(), this.#subscriber.close()]);
  }
}
