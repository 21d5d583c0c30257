// The replay state machine on its own, against a log whose reads the test answers by hand:
// the interleavings that a real Redis produces only by chance are forced here.
import { describe, expect, test } from 'vitest';
import type { DurableGap, DurableLogReader, DurableMessage } from './durable-types.js';
import { ReplayingSubscription } from './replay.js';

const message = (seq: number): DurableMessage => ({ topic: 't', seq, data: `m${seq}`, time: 0 });

/** A log whose every read waits until the test calls `answer`. */
function manualLog(pageSize = 3) {
  const pending: Array<{
    after: number;
    resolve: (page: { head: number; entries: DurableMessage[] }) => void;
  }> = [];
  const errors: Error[] = [];
  const log: DurableLogReader = {
    pageSize,
    retryMs: 10,
    read: (_topic, after) => new Promise((resolve) => pending.push({ after, resolve })),
    reportError: (error) => errors.push(error),
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return {
    log,
    errors,
    /** Answers the oldest pending read; returns the `after` it asked for. */
    async answer(head: number, seqs: number[]): Promise<number> {
      await settle();
      const read = pending.shift();
      if (read === undefined) throw new Error('no read pending');
      read.resolve({ head, entries: seqs.map(message) });
      await settle();
      return read.after;
    },
    pending: () => pending.length,
  };
}

function subscribe(after: number | undefined, log: DurableLogReader) {
  const seqs: number[] = [];
  const gaps: DurableGap[] = [];
  const subscription = new ReplayingSubscription('t', after, log, {
    message: (delivered) => seqs.push(delivered.seq),
    gap: (gap) => gaps.push(gap),
  });
  return { subscription, seqs, gaps };
}

describe('ReplayingSubscription', () => {
  test('live messages that arrive during the replay are buffered, then delivered once, in order', async () => {
    const { log, answer, pending } = manualLog(3);
    const { subscription, seqs } = subscribe(0, log);
    subscription.replay();
    // Published while the first page is being read: 5 (and 4 again, as Redis would not).
    subscription.live(message(5));
    subscription.live(message(4));
    expect(await answer(5, [1, 2, 3])).toBe(0);
    expect(seqs).toEqual([1, 2, 3]);
    // The second page ends the log (short): 4, 5 from it; the buffer's 4, 5 are duplicates.
    subscription.live(message(6));
    expect(await answer(6, [4, 5])).toBe(3);
    // 6 was published after the last read: only the buffer has it.
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pending()).toBe(0);
    expect(await subscription.caughtUp()).toBe(6);
  });

  test('a live message beyond position + 1 triggers a replay; the missing one comes from the log', async () => {
    const { log, answer } = manualLog(3);
    const { subscription, seqs } = subscribe(0, log);
    subscription.replay();
    await answer(0, []);
    subscription.live(message(1));
    subscription.live(message(3)); // 2 was lost (a dropped connection)
    expect(seqs).toEqual([1]);
    expect(await answer(3, [2, 3])).toBe(1);
    expect(seqs).toEqual([1, 2, 3]);
    subscription.live(message(3));
    subscription.live(message(4));
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  test('a hole left in the buffer after the read means one more read, not a skip', async () => {
    const { log, answer } = manualLog(10);
    const { subscription, seqs } = subscribe(0, log);
    subscription.replay();
    subscription.live(message(4)); // 2 and 3 never came live
    await answer(1, [1]);
    expect(seqs).toEqual([1]);
    expect(await answer(4, [2, 3, 4])).toBe(1);
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  test('trimmed entries are reported as a gap before the next delivery', async () => {
    const { log, answer } = manualLog(10);
    const { subscription, seqs, gaps } = subscribe(2, log);
    subscription.replay();
    await answer(9, [7, 8, 9]);
    expect(gaps).toEqual([{ topic: 't', kind: 'trimmed', from: 3, to: 6 }]);
    expect(seqs).toEqual([7, 8, 9]);
  });

  test('everything after the position trimmed: a gap up to the head, nothing delivered', async () => {
    const { log, answer } = manualLog(10);
    const { subscription, seqs, gaps } = subscribe(2, log);
    subscription.replay();
    await answer(9, []);
    expect(gaps).toEqual([{ topic: 't', kind: 'trimmed', from: 3, to: 9 }]);
    expect(seqs).toEqual([]);
    expect(subscription.position).toBe(9);
  });

  test('a head below the position is a reset: reported, then the new log from its start', async () => {
    const { log, answer } = manualLog(10);
    const { subscription, seqs, gaps } = subscribe(50, log);
    subscription.replay();
    expect(await answer(2, [])).toBe(50);
    expect(gaps).toEqual([{ topic: 't', kind: 'reset', after: 50, head: 2 }]);
    expect(await answer(2, [1, 2])).toBe(0);
    expect(seqs).toEqual([1, 2]);
  });

  test('without `after`: starts at the head read after subscribing; older live messages are dropped', async () => {
    const { log, answer } = manualLog(10);
    const { subscription, seqs } = subscribe(undefined, log);
    subscription.replay();
    subscription.live(message(8));
    subscription.live(message(9));
    await answer(8, []);
    expect(seqs).toEqual([9]);
  });

  test('a failed read is reported and retried', async () => {
    const errors: Error[] = [];
    let calls = 0;
    const log: DurableLogReader = {
      pageSize: 10,
      retryMs: 5,
      read: async () => {
        calls++;
        if (calls === 1) throw new Error('Connection is closed.');
        return { head: 1, entries: [message(1)] };
      },
      reportError: (error) => errors.push(error),
    };
    const { subscription, seqs } = subscribe(0, log);
    subscription.replay();
    expect(await subscription.caughtUp()).toBe(1);
    expect(seqs).toEqual([1]);
    expect(errors.map((error) => error.message)).toEqual([
      'replay of t from 0 failed (retrying): Connection is closed.',
    ]);
  });

  test('closed: nothing more is delivered, live or replayed', async () => {
    const { log, answer } = manualLog(10);
    const { subscription, seqs } = subscribe(0, log);
    subscription.replay();
    subscription.close();
    await answer(2, [1, 2]);
    subscription.live(message(3));
    expect(seqs).toEqual([]);
  });
});
