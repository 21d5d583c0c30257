/**
 * Durable topics: a Redis Stream per topic is its log; a publish appends to it and, in the
 * same script, PUBLISHes the message on the topic's channel for live delivery. A subscriber
 * replays the log from where it was, then takes the live messages (replay.ts). See the
 * README's "Durable topics" for the guarantees and why they hold.
 */
import { Buffer } from 'node:buffer';
import type { Redis } from 'ioredis';
import { end, whenReady } from './broker.js';
import type { ResolvedDurableOptions } from './durable-options.js';
import { PUBLISH_SCRIPT, READ_SCRIPT, Script } from './durable-scripts.js';
import type { DurableLogReader, DurableMessage, DurableSubscriber } from './durable-types.js';
import { PREFIX } from './options.js';
import { ReplayingSubscription } from './replay.js';

/** One subscriber's handle, from {@link DurableTopics.subscribe}. */
export interface DurableSubscription {
  readonly topic: string;
  /** The last sequence number delivered (or skipped with a gap report). */
  readonly position: number;
  /**
   * Resolves with `position` once the replay reached the end of the log (live from then on).
   * While Redis is unreachable it waits: the replay is retried.
   */
  caughtUp(): Promise<number>;
  /** Stops delivery at once. */
  close(): void;
}

/** From {@link createDurableTopics}. */
export interface DurableTopics {
  /**
   * Appends `data` to the topic's log and sends it to the live subscribers of every process.
   * Resolves with its sequence number once Redis has it; rejects if Redis did not take it.
   */
  publish(topic: string, data: string | Uint8Array): Promise<number>;
  /**
   * Delivers the topic's messages after `after` (the last seq the subscriber saw), then live
   * ones. Without `after`: only messages published from now on.
   */
  subscribe(
    topic: string,
    options: { after?: number | undefined },
    subscriber: DurableSubscriber,
  ): DurableSubscription;
  /** Up to `limit` stored messages with seq > `after`, in order, and the topic's head. */
  read(
    topic: string,
    options: { after: number; limit: number },
  ): Promise<{ head: number; messages: DurableMessage[] }>;
  /** The last sequence number assigned in the topic (0 if never published to). */
  head(topic: string): Promise<number>;
  /** Resolves once both connections are ready. */
  ready(): Promise<void>;
  /** Ends every subscription and closes the connections it opened (not a `redis` of yours). */
  close(): Promise<void>;
}

const publishScript = new Script(PUBLISH_SCRIPT);
const readScript = new Script(READ_SCRIPT);
const TEXT = 0x74; // 't'
const SPACE = 0x20;
/** After a failed replay (Redis unreachable), the next attempt. */
const RETRY_MS = 500;

/** A topic with subscribers in this process: its channel and who listens. */
interface ListenedTopic {
  readonly subscriptions: Set<ReplayingSubscription>;
  /** Settles when the SUBSCRIBE is confirmed: replays start after it, never before. */
  subscribed: Promise<boolean>;
}

export class RedisDurableTopics implements DurableTopics {
  readonly #commands: Redis;
  readonly #listener: Redis;
  readonly #ownsCommands: boolean;
  readonly #options: ResolvedDurableOptions;
  readonly #topics = new Map<string, ListenedTopic>();
  readonly #reader: DurableLogReader;
  #closed = false;

  constructor(options: ResolvedDurableOptions) {
    const { commands, listener, ownsCommands } = options.connect();
    this.#commands = commands;
    this.#listener = listener;
    this.#ownsCommands = ownsCommands;
    this.#options = options;
    this.#reader = {
      pageSize: options.pageSize,
      retryMs: RETRY_MS,
      read: (topic, after, headOnly) => this.#read(topic, after, headOnly ? 1 : options.pageSize),
      reportError: (error) => this.#report(error),
    };
    listener.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#receive(channel, message),
    );
    const connectionError = (which: string) => (error: Error) =>
      this.#report(
        new Error(`${PREFIX} durable ${which} connection: ${error.message}`, { cause: error }),
      );
    listener.on('error', connectionError('listener'));
    if (ownsCommands) commands.on('error', connectionError('command'));
    // Live messages sent while the listener was away are lost: after each (re)connect, every
    // topic is SUBSCRIBEd again and then every subscription reads the log from its position.
    // The first `ready` too: a SUBSCRIBE sent before it may have failed (no offline queue).
    listener.on('ready', () => {
      for (const [topic, listened] of this.#topics) this.#listen(topic, listened, true);
    });
  }

  async publish(topic: string, data: string | Uint8Array): Promise<number> {
    if (this.#closed) throw new Error(`${PREFIX} publish to ${topic} after close()`);
    checkTopic(topic);
    const text = typeof data === 'string';
    if (!text && !(data instanceof Uint8Array)) {
      throw new TypeError(`${PREFIX} publish: data must be a string or a Uint8Array`);
    }
    const { maxLen, maxAgeMs, exact } = this.#options;
    const reply = await publishScript.run(this.#commands, this.#options.keyPrefix + topic, [
      text ? 't' : 'b',
      text ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      String(maxLen ?? 0),
      exact ? '=' : '~',
      String(maxAgeMs ?? 0),
      this.#options.keyPrefix + topic,
    ]);
    return Number(String(reply));
  }

  subscribe(
    topic: string,
    options: { after?: number | undefined },
    subscriber: DurableSubscriber,
  ): DurableSubscription {
    if (this.#closed) throw new Error(`${PREFIX} subscribe to ${topic} after close()`);
    checkTopic(topic);
    const after = options?.after;
    if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) {
      throw new TypeError(
        `${PREFIX} subscribe: after must be a non-negative integer, not ${String(after)}`,
      );
    }
    if (subscriber === null || typeof subscriber?.message !== 'function') {
      throw new TypeError(`${PREFIX} subscribe: the subscriber needs a message(message) function`);
    }
    const subscription = new ReplayingSubscription(topic, after, this.#reader, subscriber);
    let listened = this.#topics.get(topic);
    if (listened === undefined) {
      listened = { subscriptions: new Set(), subscribed: Promise.resolve(false) };
      this.#topics.set(topic, listened);
      listened.subscriptions.add(subscription);
      this.#listen(topic, listened, false);
    } else {
      listened.subscriptions.add(subscription);
      const current = listened;
      void current.subscribed.then((ok) => {
        // A SUBSCRIBE that failed (Redis was down) is tried again now rather than left to the
        // next reconnect; its success starts every replay of the topic, this one included.
        if (ok) subscription.replay();
        else if (!this.#closed && this.#topics.get(topic) === current)
          this.#listen(topic, current, false);
      });
    }
    return {
      topic,
      get position() {
        return subscription.position;
      },
      caughtUp: () => subscription.caughtUp(),
      close: () => {
        if (subscription.closed) return;
        subscription.close();
        const current = this.#topics.get(topic);
        if (current === undefined || !current.subscriptions.delete(subscription)) return;
        if (current.subscriptions.size > 0 || this.#closed) return;
        this.#topics.delete(topic);
        this.#listener
          .unsubscribe(this.#options.keyPrefix + topic)
          .catch((error: Error) =>
            this.#report(new Error(`${PREFIX} UNSUBSCRIBE ${topic} failed: ${error.message}`)),
          );
      },
    };
  }

  async read(
    topic: string,
    options: { after: number; limit: number },
  ): Promise<{ head: number; messages: DurableMessage[] }> {
    checkTopic(topic);
    const { after, limit } = options;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new TypeError(`${PREFIX} read: after must be a non-negative integer`);
    }
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new TypeError(`${PREFIX} read: limit must be a positive integer`);
    }
    const { head, entries } = await this.#read(topic, after, limit);
    return { head, messages: entries };
  }

  async head(topic: string): Promise<number> {
    checkTopic(topic);
    return (await this.#read(topic, 0, 1)).head;
  }

  async ready(): Promise<void> {
    await Promise.all([whenReady(this.#commands), whenReady(this.#listener)]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const listened of this.#topics.values()) {
      for (const subscription of listened.subscriptions) subscription.close();
    }
    this.#topics.clear();
    await Promise.all([end(this.#listener), this.#ownsCommands ? end(this.#commands) : undefined]);
  }

  /** SUBSCRIBEs the topic's channel, then starts (or restarts) its subscriptions' replays. */
  #listen(topic: string, listened: ListenedTopic, reconnected: boolean): void {
    listened.subscribed = this.#listener.subscribe(this.#options.keyPrefix + topic).then(
      () => true,
      (error: Error) => {
        // Retried by the next reconnect (the listener's `ready`), which subscribes again.
        if (!this.#closed) {
          this.#report(
            new Error(
              `${PREFIX} SUBSCRIBE ${topic} failed${reconnected ? ' after a connect' : ''}: ${error.message}`,
            ),
          );
        }
        return false;
      },
    );
    void listened.subscribed.then((ok) => {
      if (!ok) return;
      for (const subscription of listened.subscriptions) subscription.replay();
    });
  }

  async #read(
    topic: string,
    after: number,
    count: number,
  ): Promise<{ head: number; entries: DurableMessage[] }> {
    const reply = (await readScript.run(this.#commands, this.#options.keyPrefix + topic, [
      String(after),
      String(count),
      String(this.#options.maxAgeMs ?? 0),
    ])) as [Buffer, Array<[Buffer, Buffer[]]>];
    const head = Number(reply[0].toString());
    const entries = reply[1].map(([id, fields]) => ({
      topic,
      seq: Number(id.toString().slice(2)),
      data: decodeData(fields[1] as Buffer, fields[3] as Buffer),
      time: Number((fields[5] as Buffer).toString()),
    }));
    return { head, entries };
  }

  /** A live message: `<seq> <time> <kind><data>`. */
  #receive(channelBytes: Buffer, message: Buffer): void {
    const channel = channelBytes.toString('utf8');
    if (!channel.startsWith(this.#options.keyPrefix)) return;
    const topic = channel.slice(this.#options.keyPrefix.length);
    const listened = this.#topics.get(topic);
    if (listened === undefined) return;
    const first = message.indexOf(SPACE);
    const second = first < 0 ? -1 : message.indexOf(SPACE, first + 1);
    const seq = Number(message.toString('latin1', 0, first));
    const time = Number(message.toString('latin1', first + 1, second));
    if (second < 0 || !Number.isSafeInteger(seq) || seq < 1 || !Number.isFinite(time)) {
      this.#report(
        new Error(
          `${PREFIX} on ${channel}: a message that is not a durable-topic message; dropped`,
        ),
      );
      return;
    }
    const kind = message.subarray(second + 1, second + 2);
    const data = decodeData(kind, message.subarray(second + 2));
    for (const subscription of listened.subscriptions) {
      subscription.live({ topic, seq, data, time });
    }
  }

  #report(error: Error): void {
    const prefixed = error.message.startsWith(PREFIX)
      ? error
      : new Error(`${PREFIX} ${error.message}`, { cause: error });
    if (this.#options.onError === undefined) {
      console.error(prefixed);
      return;
    }
    try {
      this.#options.onError(prefixed);
    } catch (thrown) {
      console.error(`${PREFIX} onError threw:`, thrown);
    }
  }
}

function decodeData(kind: Buffer, bytes: Buffer): string | Uint8Array {
  if (kind[0] === TEXT) return bytes.toString('utf8');
  // A copy: a live message's buffer is shared by every subscriber of the topic.
  return new Uint8Array(bytes);
}

function checkTopic(topic: unknown): void {
  if (typeof topic !== 'string' || topic === '') {
    throw new TypeError(`${PREFIX} a topic must be a non-empty string`);
  }
}
