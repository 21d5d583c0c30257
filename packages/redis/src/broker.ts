import type {
  BrokerAttachment,
  BrokerDeliver,
  BrokerErrorSink,
  BrokerPayload,
  TopicBroker,
} from '@wskit/server';
import type { Redis } from 'ioredis';
import { decodeEnvelope, encodeEnvelope, originId } from './envelope.js';
import { PREFIX, type ResolvedRedisOptions } from './options.js';

/** A `TopicBroker` (from @wskit/server) over Redis pub/sub, from {@link createRedisBroker}. */
export interface RedisBroker extends TopicBroker {
  /**
   * Resolves once both connections are ready. Not needed before use (commands wait for the
   * connection), but handy at startup to fail fast on a wrong address.
   */
  ready(): Promise<void>;
  /**
   * Closes the connections the broker opened (not a `redis` client you passed) and stops
   * delivering. Close the servers first; they detach, they never close the broker.
   */
  close(): Promise<void>;
}

/** One attached server. */
interface Attachment {
  readonly origin: { readonly bytes: Uint8Array; readonly hex: string };
  readonly deliver: BrokerDeliver;
  readonly reportError: BrokerErrorSink;
  /** The topics this server has subscribers for: only those are delivered to it. */
  readonly topics: Set<string>;
}

/**
 * One channel per topic (`channelPrefix + topic`), SUBSCRIBEd while at least one attached
 * server has a subscriber for it, so a process receives only the topics it needs. One
 * connection publishes, a second one subscribes (a subscribed Redis connection can do
 * nothing else); ioredis reconnects both with backoff and resubscribes by itself.
 */
export class RedisTopicBroker implements RedisBroker {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #ownsPublisher: boolean;
  readonly #prefix: string;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #attachments = new Map<string, Attachment>();
  /** Attached servers per subscribed topic. */
  readonly #listeners = new Map<string, number>();
  #closed = false;

  constructor(options: ResolvedRedisOptions) {
    const { publisher, subscriber, ownsPublisher } = options.connect();
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#ownsPublisher = ownsPublisher;
    this.#prefix = options.channelPrefix;
    this.#onError = options.onError;
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#receive(channel, message),
    );
    // Without a listener ioredis prints every connection error itself; ours routes them.
    const connectionError = (which: string) => (error: Error) =>
      this.#report(new Error(`${PREFIX} ${which} connection: ${error.message}`, { cause: error }));
    subscriber.on('error', connectionError('subscriber'));
    if (ownsPublisher) publisher.on('error', connectionError('publisher'));
    // ioredis resubscribes what Redis had confirmed; a SUBSCRIBE that failed while Redis was
    // down (out of retries) would be missing for good. Subscribing again to every listened
    // channel on each reconnect covers it: SUBSCRIBE is idempotent.
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) this.#resubscribe();
      connectedBefore = true;
    });
  }

  attach(deliver: BrokerDeliver, reportError: BrokerErrorSink): BrokerAttachment {
    const attachment: Attachment = { origin: originId(), deliver, reportError, topics: new Set() };
    this.#attachments.set(attachment.origin.hex, attachment);
    return {
      publish: (topic, payload) => this.#publish(attachment, topic, payload),
      topicOpened: (topic) => {
        if (attachment.topics.has(topic)) return;
        attachment.topics.add(topic);
        this.#listen(topic, 1);
      },
      topicClosed: (topic) => {
        if (attachment.topics.delete(topic)) this.#listen(topic, -1);
      },
      detach: () => {
        if (!this.#attachments.delete(attachment.origin.hex)) return;
        for (const topic of attachment.topics) this.#listen(topic, -1);
        attachment.topics.clear();
      },
    };
  }

  async ready(): Promise<void> {
    await Promise.all([whenReady(this.#publisher), whenReady(this.#subscriber)]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#attachments.clear();
    this.#listeners.clear();
    await Promise.all([
      end(this.#subscriber),
      this.#ownsPublisher ? end(this.#publisher) : undefined,
    ]);
  }

  /** Resolves when Redis took it (or the failure was reported): never rejects. */
  async #publish(attachment: Attachment, topic: string, payload: BrokerPayload): Promise<void> {
    if (this.#closed) {
      this.#report(new Error(`${PREFIX} publish to ${topic} after the broker was closed`));
      return;
    }
    try {
      await this.#publisher.publish(
        this.#prefix + topic,
        encodeEnvelope(attachment.origin.bytes, payload),
      );
    } catch (error) {
      this.#report(
        new Error(`${PREFIX} publish to ${topic} failed: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  }

  /** Counts a server in or out of `topic`; SUBSCRIBE on the first, UNSUBSCRIBE after the last. */
  #listen(topic: string, change: 1 | -1): void {
    if (this.#closed) return;
    const before = this.#listeners.get(topic) ?? 0;
    const after = before + change;
    if (after <= 0) this.#listeners.delete(topic);
    else this.#listeners.set(topic, after);
    const channel = this.#prefix + topic;
    const failed = (command: string) => (error: Error) =>
      this.#report(new Error(`${PREFIX} ${command} ${channel} failed: ${error.message}`));
    if (before === 0 && after === 1) {
      this.#subscriber.subscribe(channel).catch(failed('SUBSCRIBE'));
    } else if (before === 1 && after === 0) {
      this.#subscriber.unsubscribe(channel).catch(failed('UNSUBSCRIBE'));
    }
  }

  #resubscribe(): void {
    if (this.#closed || this.#listeners.size === 0) return;
    const channels = [...this.#listeners.keys()].map((topic) => this.#prefix + topic);
    this.#subscriber
      .subscribe(...channels)
      .catch((error: Error) =>
        this.#report(new Error(`${PREFIX} SUBSCRIBE after a reconnect failed: ${error.message}`)),
      );
  }

  #receive(channelBytes: Buffer, message: Buffer): void {
    const channel = channelBytes.toString('utf8');
    if (!channel.startsWith(this.#prefix)) return;
    const topic = channel.slice(this.#prefix.length);
    const envelope = decodeEnvelope(message);
    if (envelope instanceof Error) {
      this.#report(new Error(`${PREFIX} on ${channel}: ${envelope.message}; dropped`));
      return;
    }
    for (const attachment of this.#attachments.values()) {
      // Its own publish: delivered locally already.
      if (attachment.origin.hex === envelope.origin || !attachment.topics.has(topic)) continue;
      attachment.deliver(topic, envelope.payload);
    }
  }

  #report(error: Error): void {
    if (this.#onError !== undefined) {
      try {
        this.#onError(error);
      } catch (thrown) {
        console.error(`${PREFIX} onError threw:`, thrown);
      }
      return;
    }
    // The oldest attached server's error routing: one line per failure, not one per server.
    const first = this.#attachments.values().next();
    if (!first.done) first.value.reportError(error);
    else console.error(`${PREFIX} broker error:`, error);
  }
}

export function whenReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      client.off('ready', onReady);
      reject(new Error(`${PREFIX} the connection ended before it was ready`));
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** QUIT when connected (pending replies arrive first), else drop the reconnect loop at once. */
export async function end(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {}
  }
  client.disconnect();
}
