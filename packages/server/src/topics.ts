import { PeerState, type SendData } from '@wskit/core';
import { checkTopic, toPayload } from './payload.js';

/** A peer as the registry sees it. `Prepared` is what the adapter built once per publish. */
export interface TopicSubscriber<Prepared> {
  readonly readyState: number;
  /** Queues a published message; called only while the peer is open. */
  deliverPublished(message: Prepared): void;
}

const NO_TOPICS: ReadonlySet<string> = new Set();

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

  constructor(prepare: (payload: string | Uint8Array) => Prepared) {
    this.#prepare = prepare;
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

  /** Sends `data` to every open subscriber of `topic` except `exclude`; returns how many. */
  publish(topic: string, data: SendData, exclude?: Subscriber): number {
    checkTopic(topic, 'publish');
    // Checked before the early return: a bad payload is a bug even with no subscriber.
    const payload = toPayload(data, 'publish');
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
    if (set.size === 0) this.#subscribers.delete(topic);
  }
}
