import { WebSocketError } from '@wskit/core';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { LiveStreamPool, type PooledStream } from './live-stream-pool.js';

const IDLE_MS = 1000;

/** A stand-in for a zlib stream holder that records when the pool frees it. */
class Holder implements PooledStream {
  readonly name: string;
  readonly log: string[];
  constructor(name: string, log: string[]) {
    this.name = name;
    this.log = log;
  }
  evict(): void {
    this.log.push(this.name);
  }
}

function holders(count: number): { streams: Holder[]; evicted: string[] } {
  const evicted: string[] = [];
  const streams = Array.from({ length: count }, (_, index) => new Holder(`s${index}`, evicted));
  return { streams, evicted };
}

/** One complete operation: what a codec does for one message. */
function use(pool: LiveStreamPool, stream: PooledStream): void {
  pool.checkOut(stream);
  pool.checkIn(stream);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LiveStreamPool: capacity', () => {
  test('a stream needed beyond capacity frees the least recently used one', () => {
    const pool = new LiveStreamPool(2, IDLE_MS);
    const { streams, evicted } = holders(4);
    const [a, b, c, d] = streams as [Holder, Holder, Holder, Holder];
    use(pool, a);
    use(pool, b);
    expect(evicted).toEqual([]);
    use(pool, c);
    expect(evicted).toEqual(['s0']);
    // Using b again makes c the least recently used.
    use(pool, b);
    use(pool, d);
    expect(evicted).toEqual(['s0', 's2']);
    expect(pool.size).toBe(2);
    expect(pool.evicted).toBe(2);
    for (const stream of streams) pool.delete(stream);
  });

  test('a stream in use is never evicted; the pool shrinks back once it is not', () => {
    const pool = new LiveStreamPool(1, IDLE_MS);
    const { streams, evicted } = holders(3);
    const [a, b, c] = streams as [Holder, Holder, Holder];
    pool.checkOut(a);
    pool.checkOut(b);
    // Twice: two queued operations of one codec run one after the other, never together,
    // but a stream checked out twice must stay until both are done.
    pool.checkOut(c);
    pool.checkOut(c);
    expect(evicted).toEqual([]);
    expect(pool.size).toBe(3);
    pool.checkIn(b);
    // b is idle now, but a (older) and c are still in use: b goes.
    expect(evicted).toEqual(['s1']);
    pool.checkIn(c);
    expect(pool.size).toBe(2);
    pool.checkIn(a);
    // a and c are idle, a is the least recently used.
    expect(evicted).toEqual(['s1', 's0']);
    expect(pool.size).toBe(1);
    pool.checkIn(c);
    expect(pool.size).toBe(1);
    pool.delete(c);
    expect(pool.size).toBe(0);
  });

  test('a stream its holder released no longer counts, and a late checkIn is ignored', () => {
    const pool = new LiveStreamPool(1, IDLE_MS);
    const { streams, evicted } = holders(2);
    const [a, b] = streams as [Holder, Holder];
    pool.checkOut(a);
    pool.delete(a);
    pool.checkIn(a);
    use(pool, b);
    expect(evicted).toEqual([]);
    expect(pool.size).toBe(1);
    pool.delete(b);
  });

  test('capacity Infinity never evicts for room', () => {
    const pool = new LiveStreamPool(Number.POSITIVE_INFINITY, IDLE_MS);
    const { streams, evicted } = holders(50);
    for (const stream of streams) use(pool, stream);
    expect(evicted).toEqual([]);
    expect(pool.size).toBe(50);
    for (const stream of streams) pool.delete(stream);
  });
});

describe('LiveStreamPool: idle streams', () => {
  test('a stream unused for a whole interval is freed at the next sweep, one in use is not', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const pool = new LiveStreamPool(10, IDLE_MS);
    const { streams, evicted } = holders(3);
    const [idle, busy, chatty] = streams as [Holder, Holder, Holder];
    use(pool, idle);
    pool.checkOut(busy);
    use(pool, chatty);
    vi.advanceTimersByTime(IDLE_MS);
    expect(evicted).toEqual([]);
    use(pool, chatty);
    vi.advanceTimersByTime(IDLE_MS);
    expect(evicted).toEqual(['s0']);
    vi.advanceTimersByTime(IDLE_MS);
    expect(evicted).toEqual(['s0', 's2']);
    // Idle sweeps do not count as evictions for room.
    expect(pool.evicted).toBe(0);
    pool.checkIn(busy);
    vi.advanceTimersByTime(2 * IDLE_MS);
    expect(evicted).toEqual(['s0', 's2', 's1']);
    expect(pool.size).toBe(0);
    // Nothing alive, no timer left.
    expect(vi.getTimerCount()).toBe(0);
  });

  test('the timer runs only while a stream is alive', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const pool = new LiveStreamPool(10, IDLE_MS);
    const { streams } = holders(1);
    const [a] = streams as [Holder];
    expect(vi.getTimerCount()).toBe(0);
    use(pool, a);
    expect(vi.getTimerCount()).toBe(1);
    pool.delete(a);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('LiveStreamPool: arguments', () => {
  test.each([0, -1, 1.5, Number.NaN, '4'])('capacity %s throws', (capacity) => {
    expect(() => new LiveStreamPool(capacity as number, IDLE_MS)).toThrow(WebSocketError);
    expect(() => new LiveStreamPool(capacity as number, IDLE_MS)).toThrow(/live stream capacity/);
  });

  test.each([0, -5, Number.POSITIVE_INFINITY, Number.NaN])('idleMs %s throws', (idleMs) => {
    expect(() => new LiveStreamPool(4, idleMs)).toThrow(/idle interval/);
  });
});
