import { WebSocketError } from '@wskit/core';
import { describe, expect, test } from 'vitest';
import { ConcurrencyLimiter, FIRST_IN_A_ROW } from './concurrency-limiter.js';

/** A job that finishes when the test says so. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('ConcurrencyLimiter', () => {
  test('never runs more than `limit` jobs at once, and starts them in call order', async () => {
    const limiter = new ConcurrencyLimiter(3);
    const jobs = Array.from({ length: 20 }, () => deferred());
    const started: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const results = jobs.map((job, index) =>
      limiter.run(async () => {
        started.push(index);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await job.promise;
        running--;
        return index;
      }),
    );

    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.running).toBe(3);
    expect(limiter.waiting).toBe(17);

    // Finish jobs out of order; each finished job lets exactly one more start.
    for (const index of [1, 0, 2, 5, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]) {
      jobs[index]?.resolve();
      await settle();
      expect(running).toBeLessThanOrEqual(3);
    }

    expect(await Promise.all(results)).toEqual(jobs.map((_, index) => index));
    expect(maxRunning).toBe(3);
    expect(started).toEqual(jobs.map((_, index) => index));
    expect(limiter.running).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  test('a job that rejects or throws frees its slot and passes its error on', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const failure = new Error('async failure');
    const rejected = limiter.run(() => Promise.reject(failure));
    const thrown = limiter.run(() => {
      throw new Error('sync failure');
    });
    const after = limiter.run(async () => 'ran');

    await expect(rejected).rejects.toBe(failure);
    await expect(thrown).rejects.toThrow('sync failure');
    await expect(after).resolves.toBe('ran');
    expect(limiter.running).toBe(0);
  });

  test('a freed slot goes to the oldest waiting job, not to a caller arriving meanwhile', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const first = deferred();
    const order: string[] = [];
    const a = limiter.run(async () => {
      order.push('first');
      await first.promise;
    });
    const b = limiter.run(async () => {
      order.push('queued');
    });
    await settle();
    first.resolve();
    // Arrives in the same tick the slot is freed.
    const c = limiter.run(async () => {
      order.push('late');
    });
    await Promise.all([a, b, c]);
    expect(order).toEqual(['first', 'queued', 'late']);
  });

  test('Infinity runs everything at once', async () => {
    const limiter = new ConcurrencyLimiter(Number.POSITIVE_INFINITY);
    const gate = deferred();
    const results = Array.from({ length: 50 }, () => limiter.run(() => gate.promise));
    await settle();
    expect(limiter.running).toBe(50);
    gate.resolve();
    await Promise.all(results);
    expect(limiter.running).toBe(0);
  });

  test.each([0, -1, 1.5, Number.NaN, '2'])('rejects the limit %s', (limit) => {
    expect(() => new ConcurrencyLimiter(limit as number)).toThrow(WebSocketError);
    try {
      new ConcurrencyLimiter(limit as number);
    } catch (error) {
      expect((error as WebSocketError).code).toBe('WS_ERR_INVALID_ARGUMENT');
    }
  });

  test('`first` jobs start before the others waiting, in call order among themselves', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const gate = deferred();
    const started: string[] = [];
    const job = (name: string) => async () => {
      started.push(name);
    };
    const blocker = limiter.run(() => gate.promise);
    const all = [
      limiter.run(job('in 1')),
      limiter.run(job('in 2')),
      limiter.run(job('out 1'), { first: true }),
      limiter.run(job('out 2'), { first: true }),
      limiter.run(job('in 3')),
    ];
    expect(limiter.waiting).toBe(5);
    gate.resolve();
    await Promise.all([blocker, ...all]);
    expect(started).toEqual(['out 1', 'out 2', 'in 1', 'in 2', 'in 3']);
  });

  test(`a steady stream of first jobs lets one other start after every ${FIRST_IN_A_ROW}`, async () => {
    const limiter = new ConcurrencyLimiter(1);
    const started: string[] = [];
    const gate = deferred();
    const blocker = limiter.run(() => gate.promise);
    const others = [1, 2].map((index) =>
      limiter.run(async () => {
        started.push(`other ${index}`);
      }),
    );
    const firsts = Array.from({ length: 2 * FIRST_IN_A_ROW + 2 }, (_, index) =>
      limiter.run(
        async () => {
          started.push(`first ${index}`);
        },
        { first: true },
      ),
    );
    gate.resolve();
    await Promise.all([blocker, ...others, ...firsts]);
    const firstNames = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, index) => `first ${from + index}`);
    expect(started).toEqual([
      ...firstNames(0, FIRST_IN_A_ROW),
      'other 1',
      ...firstNames(FIRST_IN_A_ROW, 2 * FIRST_IN_A_ROW),
      'other 2',
      ...firstNames(2 * FIRST_IN_A_ROW, 2 * FIRST_IN_A_ROW + 2),
    ]);
  });
});
