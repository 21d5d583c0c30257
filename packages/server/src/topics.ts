import { PeerState, type SendData } from '@wskit/core';
import type { BrokerAttachment, BrokerPayload, TopicBroker } from './broker.js';
import { asError } from './hooks.js';
import { checkTopic, toPayload } from './payload.js';

/** A peer as the registry sees it. `Prepared` is what the adapter built once per publish. */
export interface TopicSubscriber<Prepared> {
  readonly readyState: number;
  /** Queues a published message; called only while the peer is open. */
  deliverPublished(message: Prepared): void;
}

const NO_TOPICS: ReadonlySet<string> = new Set();

/** How a registry reaches other processes. */
export interface TopicRegistryOptions {
  /** Carries publishes to and from other servers. Default: none (this process only). */
  readonly broker?: TopicBroker;
  /** Where the broker's failures go: the server's unhandled-error routing. */
  readonly reportError?: (error: Error) => void;
  /**
   * How a publish from another server reaches this server's subscribers. Default: the
   * registry's own delivery (`deliverLocal`). Bun passes its native server-wide publish, since
   * its subscribers live in Bun's pub/sub.
   */
  readonly deliverRemote?: (topic: string, payload: BrokerPayload) => void;
}

/**
 * Pub/sub for one server: topic → subscribers and subscriber → topics. A publish checks and
 * converts its payload once and lets the adapter prepare it once (`prepare`: on Node a frame
 * built once, since server frames are unmasked and identical for every peer) instead of once
 * per subscriber. Runtimes with a native pub/sub (Bun) keep their bookkeeping here and
 * publish natively.
 */
export class TopicRegistry<Subscriber extends TopicSubscriber<Prepared>, Prepared> {
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  readonly #topicsOf = new Map<Subscriber, Set<string>>();
  readonly #prepare: (payload: string | Uint8Array) => Prepared;
  readonly #report: (error: Error) => void;
  /** Undefined once detached (the server closed): nothing is forwarded or delivered after. */
  #broker: BrokerAttachment | undefined;

  constructor(
    prepare: (payload: string | Uint8Array) => Prepared,
    options: TopicRegistryOptions = {},
  ) {
    this.#prepare = prepare;
    this.#report = options.reportError ?? NO_REPORT;
    if (options.broker !== undefined) {
      const deliverRemote =
        options.deliverRemote ?? ((topic, payload) => this.deliverLocal(topic, payload));
      const deliver = (topic: string, payload: BrokerPayload) => {
        if (this.#broker === undefined) return;
        // The broker's event handler calls this: a bad message or a failing delivery is
        // reported, never thrown into the broker's client library.
        try {
          checkTopic(topic, 'broker delivery');
          deliverRemote(topic, toPayload(payload, 'broker delivery'));
        } catch (error) {
          this.#report(asError(error));
        }
      };
      this.#broker = options.broker.attach(deliver, (error) => this.#report(asError(error)));
    }
  }

  /** Subscribes an open peer; false if it was already subscribed or is not open. */
  subscribe(peer: Subscriber, topic: string): boolean {
    checkTopic(topic, 'subscribe');
    if (peer.readyState !== PeerState.OPEN) return false;
    let topics = this.#topicsOf.get(peer);
    if (topics === undefined) {
      topics = new Set();
      this.#topicsOf.set(peer, topics);
    } else if (topics.has(topic)) return false;
    topics.add(topic);
    let set = this.#subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(topic, set);
    }
    set.add(peer);
    if (set.size === 1) this.#call((broker) => broker.topicOpened?.(topic));
    return true;
  }

  /** False if the peer was not subscribed. */
  unsubscribe(peer: Subscriber, topic: string): boolean {
    const topics = this.#topicsOf.get(peer);
    if (topics === undefined || !topics.delete(topic)) return false;
    if (topics.size === 0) this.#topicsOf.delete(peer);
    this.#removeSubscriber(topic, peer);
    return true;
  }

  /** The topics `peer` is subscribed to. */
  topicsOf(peer: Subscriber): ReadonlySet<string> {
    return this.#topicsOf.get(peer) ?? NO_TOPICS;
  }

  /** A peer closed: it leaves every topic. */
  removePeer(peer: Subscriber): void {
    const topics = this.#topicsOf.get(peer);
    if (topics === undefined) return;
    this.#topicsOf.delete(peer);
    for (const topic of topics) this.#removeSubscriber(topic, peer);
  }

  /** How many peers are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /**
   * Sends `data` to every open subscriber of `topic` except `exclude`, then forwards it to the
   * broker for the other servers; returns how many local subscribers got it.
   */
  publish(topic: string, data: SendData, exclude?: Subscriber): number {
    checkTopic(topic, 'publish');
    // Checked before the early return: a bad payload is a bug even with no subscriber.
    const payload = toPayload(data, 'publish');
    const count = this.deliverLocal(topic, payload, exclude);
    this.forward(topic, payload);
    return count;
  }

  /**
   * Hands a publish that was already delivered here to the broker. Runtimes that publish
   * natively (Bun) call it after their own publish; `publish` calls it itself.
   */
  forward(topic: string, payload: string | Uint8Array): void {
    if (this.#broker !== undefined) this.#call((broker) => broker.publish(topic, payload));
  }

  /** Stops forwarding and receiving (the server closed); the broker itself stays open. */
  detachBroker(): void {
    const broker = this.#broker;
    if (broker === undefined) return;
    this.#broker = undefined;
    this.#call(() => broker.detach(), broker);
  }

  /**
   * This server's subscribers only, payload already checked: the frame is prepared once, on the
   * first subscriber that is open. Publishes from other servers arrive here.
   */
  deliverLocal(topic: string, payload: string | Uint8Array, exclude?: Subscriber): number {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return 0;
    let message: Prepared | undefined;
    let count = 0;
    for (const peer of set) {
      // A closing peer stays subscribed until it closes, but gets nothing more.
      if (peer === exclude || peer.readyState !== PeerState.OPEN) continue;
      message ??= this.#prepare(payload);
      peer.deliverPublished(message);
      count++;
    }
    return count;
  }

  #removeSubscriber(topic: string, peer: Subscriber): void {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return;
    set.delete(peer);
    if (set.size === 0) {
      this.#subscribers.delete(topic);
      this.#call((broker) => broker.topicClosed?.(topic));
    }
  }

  /** Runs a broker call; a throw or a rejection is reported, never raised to the caller. */
  #call(
    action: (broker: BrokerAttachment) => unknown,
    broker: BrokerAttachment | undefined = this.#broker,
  ): void {
    if (broker === undefined) return;
    try {
      const result = action(broker);
      if (result !== undefined && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (error: unknown) =>
          this.#report(asError(error)),
        );
      }
    } catch (error) {
      this.#report(asError(error));
    }
  }
}

/** Without a reporter a broker failure is still never thrown: it goes to stderr. */
const NO_REPORT = (error: Error) => console.error('[@wskit/server] topic broker failed:', error);
