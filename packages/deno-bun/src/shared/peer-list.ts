/** What a peer carries to be in a PeerList: its neighbours and the list it is in. */
export interface Linked<T> {
  /** @internal */ listPrev: T | undefined;
  /** @internal */ listNext: T | undefined;
  /** @internal */ listOwner: object | undefined;
}

/**
 * The open peers, in connection order, as a live `ReadonlySet`: a doubly linked list through
 * the peers themselves, where a `Set` would do one add and one delete per connection. On Deno
 * that churn of a long-lived `Set` kept every closed peer alive through V8's young-generation
 * collections until the next full one (30–35 MB surviving each scavenge in most handshake runs
 * of packages/bench's runtimes.mjs, none without the `Set`): see its README, "Bun and Deno".
 * A removed peer's links are cleared, so a dead peer never holds a live one.
 */
export class PeerList<T extends Linked<T>> implements ReadonlySet<T> {
  #head: T | undefined;
  #tail: T | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(value: T): boolean {
    return value.listOwner === this;
  }

  add(value: T): void {
    if (value.listOwner !== undefined) return;
    value.listOwner = this;
    value.listPrev = this.#tail;
    if (this.#tail === undefined) this.#head = value;
    else this.#tail.listNext = value;
    this.#tail = value;
    this.#size++;
  }

  delete(value: T): boolean {
    if (value.listOwner !== this) return false;
    const { listPrev: prev, listNext: next } = value;
    if (prev === undefined) this.#head = next;
    else prev.listNext = next;
    if (next === undefined) this.#tail = prev;
    else next.listPrev = prev;
    value.listPrev = undefined;
    value.listNext = undefined;
    value.listOwner = undefined;
    this.#size--;
    return true;
  }

  /**
   * Iteration walks a copy: peers that close meanwhile (closeAllPeers, a user's loop that
   * closes peers) neither end it early nor are skipped.
   */
  #copy(): Set<T> {
    const copy = new Set<T>();
    for (let peer = this.#head; peer !== undefined; peer = peer.listNext) copy.add(peer);
    return copy;
  }

  forEach(callback: (value: T, key: T, set: ReadonlySet<T>) => void, thisArg?: unknown): void {
    for (const peer of this.#copy()) callback.call(thisArg, peer, peer, this);
  }

  entries(): SetIterator<[T, T]> {
    return this.#copy().entries();
  }

  keys(): SetIterator<T> {
    return this.#copy().keys();
  }

  values(): SetIterator<T> {
    return this.#copy().values();
  }

  [Symbol.iterator](): SetIterator<T> {
    return this.#copy().values();
  }
}
