/**
 * Which zlib streams stay alive: at most `capacity` at once in the process, and none that sat
 * unused for an idle interval. By default one pool serves every codec (`zlibStreamPool` in
 * `./zlib-codec.ts`), so peak zlib memory is `capacity` streams whatever the number of
 * connections.
 */
import { WebSocketError } from '@wskit/core';
import { IdleSweeper, type Sweepable } from './idle-sweeper.js';

/** A stream the pool may free between operations; its holder recreates it when needed. */
export interface PooledStream {
  /** Frees the stream now. Only called while no operation is running on it. */
  evict(): void;
}

interface Use {
  /** Operations running on the stream: while above 0 it is never evicted. */
  running: number;
  /** The pool's sweep count at the last use: older than the current one means idle. */
  sweep: number;
}

export class LiveStreamPool implements Sweepable {
  /** The most streams kept alive at once (exceeded only while more are in use). */
  readonly capacity: number;
  /** How long a stream may sit unused before it is freed: between one and two intervals. */
  readonly idleMs: number;
  readonly #sweeper: IdleSweeper;
  /** The live streams, least recently used first: a Map iterates in insertion order. */
  readonly #live = new Map<PooledStream, Use>();
  #sweeps = 0;
  #evicted = 0;

  /**
   * `capacity`: a positive integer, or `Infinity` to free streams only when idle.
   * `idleMs`: a positive number of milliseconds.
   */
  constructor(capacity: number, idleMs: number) {
    if (
      !(capacity === Number.POSITIVE_INFINITY || (Number.isSafeInteger(capacity) && capacity >= 1))
    ) {
      throw new WebSocketError(
        'WS_ERR_INVALID_ARGUMENT',
        `The live stream capacity must be a positive integer or Infinity, got ${String(capacity)}`,
      );
    }
    if (!(Number.isFinite(idleMs) && idleMs > 0)) {
      throw new WebSocketError(
        'WS_ERR_INVALID_ARGUMENT',
        `The idle interval must be a positive number of milliseconds, got ${String(idleMs)}`,
      );
    }
    this.capacity = capacity;
    this.idleMs = idleMs;
    this.#sweeper = new IdleSweeper(idleMs);
  }

  /** How many streams are alive. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * How many streams were freed to make room for another. Growing with nearly every message
   * means `capacity` is below the number of busy connections' streams, and each message pays
   * for a new stream.
   */
  get evicted(): number {
    return this.#evicted;
  }

  /**
   * Call before running an operation on `stream`, whether it is alive yet or about to be
   * created: counts it as alive, most recently used and in use, and evicts the least recently
   * used streams not in use while more than `capacity` are alive.
   */
  checkOut(stream: PooledStream): void {
    let use = this.#live.get(stream);
    if (use === undefined) {
      use = { running: 0, sweep: 0 };
      this.#sweeper.add(this);
    } else {
      // Re-inserted below, at the most recently used end.
      this.#live.delete(stream);
    }
    use.running++;
    use.sweep = this.#sweeps;
    this.#live.set(stream, use);
    if (this.#live.size > this.capacity) this.#evictLeastRecentlyUsed();
  }

  /** Call when the operation `checkOut` preceded has ended, however it ended. */
  checkIn(stream: PooledStream): void {
    const use = this.#live.get(stream);
    if (use === undefined) return; // Freed by its holder meanwhile.
    use.running--;
    use.sweep = this.#sweeps;
    // More were alive than `capacity` while all were in use: back down now.
    if (this.#live.size > this.capacity) this.#evictLeastRecentlyUsed();
  }

  /** Call when the holder freed `stream` itself: it no longer counts. */
  delete(stream: PooledStream): void {
    this.#live.delete(stream);
    if (this.#live.size === 0) this.#sweeper.delete(this);
  }

  /** Called by the sweeper once per `idleMs`: evicts what was not used since the last call. */
  sweep(): boolean {
    for (const [stream, use] of this.#live) {
      if (use.running === 0 && use.sweep < this.#sweeps) this.#evict(stream);
    }
    this.#sweeps++;
    return this.#live.size > 0;
  }

  #evictLeastRecentlyUsed(): void {
    for (const [stream, use] of this.#live) {
      if (this.#live.size <= this.capacity) return;
      if (use.running === 0) {
        this.#evicted++;
        this.#evict(stream);
      }
    }
  }

  #evict(stream: PooledStream): void {
    // Deleting while iterating a Map is safe: the loops above go on with the next entry.
    this.#live.delete(stream);
    stream.evict();
  }
}
