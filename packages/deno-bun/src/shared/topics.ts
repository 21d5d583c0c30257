import { PeerState } from '@wskit/core';
import { checkTopic } from './peer.js';

interface Subscriber<Payload> {
  readonly readyState: number;
  /** Sends an already converted payload; the registry never converts per subscriber. */
  sendNative(payload: Payload): void;
}

/**
 * Pub/sub for runtimes without a native one (Deno): topic → subscribers. The payload is
 * converted once per publish, not once per subscriber.
 */
export class TopicRegistry<Peer extends Subscriber<Payload>, Payload> {
  readonly #subscribers = new Map<string, Set<Peer>>();

  add(topic: string, peer: Peer): void {
    let set = this.#subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(topic, set);
    }
    set.add(peer);
  }

  remove(topic: string, peer: Peer): void {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return;
    set.delete(peer);
    if (set.size === 0) this.#subscribers.delete(topic);
  }

  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** Sends to every open subscriber of `topic` except `exclude`; returns how many got it. */
  publish(topic: string, payload: Payload, exclude?: Peer): number {
    checkTopic(topic, 'publish');
    const set = this.#subscribers.get(topic);
    if (set === undefined) return 0;
    let count = 0;
    for (const peer of set) {
      if (peer === exclude || peer.readyState !== PeerState.OPEN) continue;
      peer.sendNative(payload);
      count++;
    }
    return count;
  }
}
