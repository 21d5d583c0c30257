// Durable topics against a real redis-server on loopback: replay after being offline, live
// after the replay, publishes racing the replay, retention by count and by age with the gap
// report, a Redis restart (with and without its data), and the option errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@wskit/app-shared/test-processes';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, type RunningRedis, startRedis, stopChild } from '../test/redis-server.js';
import { eventually, sleep } from '../test/wait.js';
import {
  createDurableTopics,
  type DurableGap,
  type DurableMessage,
  type DurableTopics,
  type DurableTopicsOptions,
} from './index.js';

let dir: string;
let redis: RunningRedis;
let probe: Redis;
const cleanups: Array<() => unknown> = [];
let prefixes = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wskit-durable-'));
  redis = await startRedis(dir);
  probe = new Redis(redis.url);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  probe?.disconnect();
  await stopChild(redis?.child);
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh key prefix per call, so tests never see each other's logs. */
function durable(options: Partial<DurableTopicsOptions> = {}): DurableTopics {
  const created = createDurableTopics({
    url: redis.url,
    keyPrefix: `t${prefixes++}:`,
    ...options,
  } as DurableTopicsOptions);
  cleanups.push(() => created.close());
  return created;
}

/** Records what a subscriber gets. */
function recorder() {
  const messages: DurableMessage[] = [];
  const gaps: DurableGap[] = [];
  return {
    messages,
    gaps,
    seqs: () => messages.map((message) => message.seq),
    subscriber: {
      message: (message: DurableMessage) => messages.push(message),
      gap: (gap: DurableGap) => gaps.push(gap),
    },
  };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('createDurableTopics: replay, then live', () => {
  test('a subscriber offline during 1,000 publishes gets all of them in order, then live ones', async () => {
    const publisher = durable();
    const keyPrefix = `t${prefixes - 1}:`;
    const subscriberSide = durable({ keyPrefix, pageSize: 128 });
    const seen = recorder();
    // It saw seq 0 (nothing) and went away; 1,000 publishes happen meanwhile.
    const seqs: number[] = [];
    for (let index = 1; index <= 1000; index++) {
      seqs.push(await publisher.publish('news', `message ${index}`));
    }
    expect(seqs).toEqual(range(1, 1000));
    const subscription = subscriberSide.subscribe('news', { after: 0 }, seen.subscriber);
    expect(await subscription.caughtUp()).toBe(1000);
    expect(seen.seqs()).toEqual(range(1, 1000));
    expect(seen.messages.map((message) => message.data)).toEqual(
      range(1, 1000).map((index) => `message ${index}`),
    );
    expect(seen.messages.every((message) => message.topic === 'news')).toBe(true);
    // Live from here on.
    await publisher.publish('news', 'live 1');
    await publisher.publish('news', 'live 2');
    await eventually(
      () => seen.messages.length === 1002,
      () => `got ${seen.messages.length}`,
    );
    expect(seen.messages.slice(1000).map(({ seq, data }) => [seq, data])).toEqual([
      [1001, 'live 1'],
      [1002, 'live 2'],
    ]);
    expect(seen.gaps).toEqual([]);
    expect(subscription.position).toBe(1002);
  });

  test('resuming mid-log: only what came after `after`; without `after`, only new messages', async () => {
    const topics = durable();
    for (let index = 1; index <= 20; index++) await topics.publish('t', `m${index}`);
    const resumed = recorder();
    const fresh = recorder();
    const a = topics.subscribe('t', { after: 15 }, resumed.subscriber);
    const b = topics.subscribe('t', {}, fresh.subscriber);
    expect(await a.caughtUp()).toBe(20);
    expect(await b.caughtUp()).toBe(20);
    await topics.publish('t', 'm21');
    await eventually(
      () => fresh.messages.length === 1 && resumed.messages.length === 6,
      () => `fresh ${fresh.seqs()}, resumed ${resumed.seqs()}`,
    );
    expect(resumed.seqs()).toEqual([16, 17, 18, 19, 20, 21]);
    expect(fresh.messages.map(({ seq, data }) => [seq, data])).toEqual([[21, 'm21']]);
  });

  test('publishes racing the replay, from two processes: every subscriber gets 1..N once, in order', async () => {
    const one = durable({ pageSize: 50 });
    const keyPrefix = `t${prefixes - 1}:`;
    const two = durable({ keyPrefix, pageSize: 50 });
    const three = durable({ keyPrefix, pageSize: 50 });
    for (let index = 0; index < 500; index++) await one.publish('race', `before ${index}`);
    // Publishers on two connections keep going while subscribers join at various positions.
    let publishing = true;
    const publishers = [one, two].map(async (topics, which) => {
      let count = 0;
      while (publishing) {
        await topics.publish('race', `p${which} ${count++}`);
        if (count % 20 === 0) await sleep(1);
      }
      return count;
    });
    const subscribers = [0, 100, 499, 250].map((after) => {
      const seen = recorder();
      return { after, seen, subscription: three.subscribe('race', { after }, seen.subscriber) };
    });
    await sleep(50);
    const late = recorder();
    const lateSubscription = two.subscribe('race', { after: 10 }, late.subscriber);
    subscribers.push({ after: 10, seen: late, subscription: lateSubscription });
    await Promise.all(subscribers.map(({ subscription }) => subscription.caughtUp()));
    await sleep(200);
    publishing = false;
    const published = 500 + (await Promise.all(publishers)).reduce((a, b) => a + b, 0);
    expect(await three.head('race')).toBe(published);
    for (const { after, seen } of subscribers) {
      await eventually(
        () => seen.messages.length === published - after,
        () => `after ${after}: got ${seen.messages.length} of ${published - after}`,
      );
      expect(seen.seqs()).toEqual(range(after + 1, published));
      expect(seen.gaps).toEqual([]);
    }
    // Per publisher, its messages arrive in the order it sent them.
    const fromZero = (subscribers[0] as (typeof subscribers)[0]).seen.messages;
    for (const which of [0, 1]) {
      const counts = fromZero
        .map((message) => String(message.data))
        .filter((data) => data.startsWith(`p${which} `))
        .map((data) => Number(data.split(' ')[1]));
      expect(counts).toEqual(range(0, counts.length - 1));
    }
  });

  test('text stays text and binary stays binary, byte for byte', async () => {
    const topics = durable();
    const seen = recorder();
    const subscription = topics.subscribe('bytes', { after: 0 }, seen.subscriber);
    const bytes = new Uint8Array(70_000).map((_, index) => (index * 7919) % 256);
    const text = 'héllo → 世界 🎉 \u0000 end';
    await topics.publish('bytes', text); // replayed or live: both paths are checked below
    await subscription.caughtUp();
    await topics.publish('bytes', bytes);
    await topics.publish('bytes', new Uint8Array(0));
    await topics.publish('bytes', '');
    await eventually(
      () => seen.messages.length === 4,
      () => `got ${seen.messages.length}`,
    );
    const replayed = recorder();
    await topics.subscribe('bytes', { after: 0 }, replayed.subscriber).caughtUp();
    for (const got of [seen.messages, replayed.messages]) {
      expect(got[0]?.data).toBe(text);
      expect(got[1]?.data).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got[1]?.data as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
      expect(got[2]?.data).toEqual(new Uint8Array(0));
      expect(got[2]?.data).toBeInstanceOf(Uint8Array);
      expect(got[3]?.data).toBe('');
    }
  });

  test('close() stops delivery; the channel is UNSUBSCRIBEd after the last subscriber', async () => {
    const topics = durable();
    const channel = `t${prefixes - 1}:quiet`;
    const count = async () =>
      Number(((await probe.call('PUBSUB', 'NUMSUB', channel)) as unknown[])[1]);
    const [a, b] = [recorder(), recorder()];
    const first = topics.subscribe('quiet', {}, a.subscriber);
    const second = topics.subscribe('quiet', {}, b.subscriber);
    await Promise.all([first.caughtUp(), second.caughtUp()]);
    expect(await count()).toBe(1);
    first.close();
    await topics.publish('quiet', 'one');
    await eventually(
      () => b.messages.length === 1,
      () => 'second got nothing',
    );
    second.close();
    await eventually(
      async () => (await count()) === 0,
      () => 'still subscribed',
    );
    expect(a.messages).toEqual([]);
  });

  test('read() pages through the log and head() is the last sequence number', async () => {
    const topics = durable();
    expect(await topics.head('empty')).toBe(0);
    expect(await topics.read('empty', { after: 0, limit: 10 })).toEqual({ head: 0, messages: [] });
    for (let index = 1; index <= 7; index++) await topics.publish('paged', `m${index}`);
    const page = await topics.read('paged', { after: 2, limit: 3 });
    expect(page.head).toBe(7);
    expect(page.messages.map(({ seq, data }) => [seq, data])).toEqual([
      [3, 'm3'],
      [4, 'm4'],
      [5, 'm5'],
    ]);
  });
});

describe('createDurableTopics: retention and the gap report', () => {
  test('by count, exact: a subscriber from 0 learns 1..20 were trimmed, then gets 21..30', async () => {
    const topics = durable({ retention: { maxLen: 10, exact: true } });
    for (let index = 1; index <= 30; index++) await topics.publish('kept', `m${index}`);
    expect(await probe.xlen(`t${prefixes - 1}:kept`)).toBe(10);
    const seen = recorder();
    await topics.subscribe('kept', { after: 0 }, seen.subscriber).caughtUp();
    expect(seen.gaps).toEqual([{ topic: 'kept', kind: 'trimmed', from: 1, to: 20 }]);
    expect(seen.seqs()).toEqual(range(21, 30));
    // A subscriber inside what is kept sees no gap.
    const inside = recorder();
    await topics.subscribe('kept', { after: 25 }, inside.subscriber).caughtUp();
    expect(inside.gaps).toEqual([]);
    expect(inside.seqs()).toEqual(range(26, 30));
  });

  test('by count, approximate (MAXLEN ~): at least maxLen kept, the rest reported as trimmed', async () => {
    const topics = durable({ retention: { maxLen: 100 } });
    for (let index = 1; index <= 1000; index++) await topics.publish('approx', `m${index}`);
    const length = await probe.xlen(`t${prefixes - 1}:approx`);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(1000);
    const seen = recorder();
    await topics.subscribe('approx', { after: 0 }, seen.subscriber).caughtUp();
    const firstKept = 1000 - length + 1;
    expect(seen.gaps).toEqual([{ topic: 'approx', kind: 'trimmed', from: 1, to: firstKept - 1 }]);
    expect(seen.seqs()).toEqual(range(firstKept, 1000));
  });

  test('by age: old entries are trimmed on publish, and before a replay even without publishes', async () => {
    const topics = durable({ retention: { maxAgeMs: 400 } });
    for (let index = 1; index <= 5; index++) await topics.publish('aging', `old ${index}`);
    await sleep(600);
    for (let index = 6; index <= 7; index++) await topics.publish('aging', `new ${index}`);
    expect(await probe.xlen(`t${prefixes - 1}:aging`)).toBe(2);
    const seen = recorder();
    await topics.subscribe('aging', { after: 0 }, seen.subscriber).caughtUp();
    expect(seen.gaps).toEqual([{ topic: 'aging', kind: 'trimmed', from: 1, to: 5 }]);
    expect(seen.seqs()).toEqual([6, 7]);
    // No publish after they aged: the replay trims them itself and reports everything.
    await sleep(600);
    const late = recorder();
    expect(await topics.subscribe('aging', { after: 3 }, late.subscriber).caughtUp()).toBe(7);
    expect(late.gaps).toEqual([{ topic: 'aging', kind: 'trimmed', from: 4, to: 7 }]);
    expect(late.messages).toEqual([]);
    // The sequence goes on where it was: trimming frees no numbers.
    expect(await topics.publish('aging', 'next')).toBe(8);
  });

  test('by age, many entries: the trim finds the boundary inside a long log', async () => {
    const topics = durable({ retention: { maxAgeMs: 500 } });
    for (let index = 1; index <= 300; index++) await topics.publish('long', `a${index}`);
    await sleep(700);
    for (let index = 301; index <= 310; index++) await topics.publish('long', `b${index}`);
    const seen = recorder();
    await topics.subscribe('long', { after: 0 }, seen.subscriber).caughtUp();
    expect(seen.gaps).toEqual([{ topic: 'long', kind: 'trimmed', from: 1, to: 300 }]);
    expect(seen.seqs()).toEqual(range(301, 310));
  });

  test('a subscriber without a gap handler: the gap goes to onError, never unnoticed', async () => {
    const errors: Error[] = [];
    const topics = durable({
      retention: { maxLen: 2, exact: true },
      onError: (error) => errors.push(error),
    });
    for (let index = 1; index <= 5; index++) await topics.publish('quiet', `m${index}`);
    const messages: number[] = [];
    await topics
      .subscribe('quiet', { after: 0 }, { message: (message) => messages.push(message.seq) })
      .caughtUp();
    expect(messages).toEqual([4, 5]);
    expect(errors.map((error) => error.message)).toEqual([
      '[@wskit/redis] quiet: messages 1 to 3 were trimmed before a subscriber without a gap handler read them',
    ]);
  });

  test('a log that restarted below the subscriber (key deleted) is reported as a reset', async () => {
    const topics = durable();
    for (let index = 1; index <= 5; index++) await topics.publish('lost', `m${index}`);
    await probe.del(`t${prefixes - 1}:lost`);
    await topics.publish('lost', 'after the loss');
    const seen = recorder();
    await topics.subscribe('lost', { after: 5 }, seen.subscriber).caughtUp();
    expect(seen.gaps).toEqual([{ topic: 'lost', kind: 'reset', after: 5, head: 1 }]);
    expect(seen.messages.map(({ seq, data }) => [seq, data])).toEqual([[1, 'after the loss']]);
  });
});

describe('createDurableTopics when Redis restarts', () => {
  async function ownRedis(persist: boolean) {
    const ownDir = mkdtempSync(join(tmpdir(), 'wskit-durable-restart-'));
    const port = await freePort();
    let child = (await startRedisServer(port, ownDir, { persist })).child;
    return {
      url: `redis://127.0.0.1:${port}`,
      kill: () => stopChild(child, 'SIGKILL'),
      restart: async () => {
        child = (await startRedisServer(port, ownDir, { persist })).child;
      },
      stop: async () => {
        await stopChild(child);
        rmSync(ownDir, { recursive: true, force: true });
      },
    };
  }

  /**
   * A publisher and a listener subscribed from the start (they reconnect every 100 ms), once the
   * listener has received `count` publishes: the state before Redis goes down.
   */
  async function listenerThatSaw(url: string, count: number) {
    const options = {
      url,
      keyPrefix: 'r:',
      redisOptions: { retryStrategy: () => 100 },
      onError: () => undefined,
    };
    const [publisher, listening] = [createDurableTopics(options), createDurableTopics(options)];
    cleanups.push(
      () => publisher.close(),
      () => listening.close(),
    );
    const seen = recorder();
    await listening.subscribe('s', { after: 0 }, seen.subscriber).caughtUp();
    for (let index = 1; index <= count; index++) await publisher.publish('s', `m${index}`);
    await eventually(
      () => seen.messages.length === count,
      () => `before: ${seen.messages.length}`,
    );
    return { publisher, seen };
  }

  /** Publishes until Redis takes it (it may still be loading or reconnecting). */
  async function publishSurely(topics: DurableTopics, topic: string, data: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await topics.publish(topic, data);
      } catch (error) {
        if (attempt > 200) throw error;
        await sleep(50);
      }
    }
  }

  test('with persistence: a live subscriber gets the publishes made while its connection was down, once, in order', async () => {
    const own = await ownRedis(true);
    try {
      const { publisher, seen } = await listenerThatSaw(own.url, 50);
      await own.kill();
      await own.restart();
      // Published as soon as Redis is back, before the listener has resubscribed: these
      // reach it by the replay that follows its reconnect, not live.
      for (let index = 51; index <= 100; index++) await publishSurely(publisher, 's', `m${index}`);
      await eventually(
        () => seen.messages.length === 100,
        () => `after: ${seen.messages.length}`,
      );
      expect(seen.seqs()).toEqual(range(1, 100));
      expect(seen.messages.map((message) => message.data)).toEqual(
        range(1, 100).map((index) => `m${index}`),
      );
      expect(seen.gaps).toEqual([]);
    } finally {
      await own.stop();
    }
  });

  test('a subscription made while Redis is down (its SUBSCRIBE failed at once) catches up once it is back', async () => {
    const own = await ownRedis(true);
    try {
      const publisher = createDurableTopics({
        url: own.url,
        keyPrefix: 'd:',
        onError: () => undefined,
      });
      cleanups.push(() => publisher.close());
      for (let index = 1; index <= 5; index++) await publisher.publish('s', `m${index}`);
      await own.kill();
      const errors: Error[] = [];
      const listening = createDurableTopics({
        url: own.url,
        keyPrefix: 'd:',
        // As the apps configure it: a command while Redis is down fails at once.
        redisOptions: {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          retryStrategy: () => 100,
        },
        onError: (error) => errors.push(error),
      });
      cleanups.push(() => listening.close());
      const seen = recorder();
      listening.subscribe('s', { after: 0 }, seen.subscriber);
      await eventually(
        () => errors.some((error) => /SUBSCRIBE s failed/.test(error.message)),
        () => errors.map((error) => error.message).join('\n'),
      );
      await own.restart();
      await eventually(
        () => seen.messages.length === 5,
        () => `after the restart: ${seen.seqs()}`,
      );
      await publishSurely(publisher, 's', 'm6');
      await eventually(
        () => seen.messages.length === 6,
        () => `live: ${seen.seqs()}`,
      );
      expect(seen.seqs()).toEqual(range(1, 6));
    } finally {
      await own.stop();
    }
  });

  test('without persistence: the lost log is reported as a reset, and the new one delivered', async () => {
    const own = await ownRedis(false);
    try {
      const { publisher, seen } = await listenerThatSaw(own.url, 10);
      await own.kill();
      await own.restart();
      expect(await publishSurely(publisher, 's', 'fresh')).toBe(1);
      await eventually(
        () => seen.messages.length === 11,
        () => `after: ${seen.messages.length}`,
      );
      expect(seen.gaps).toEqual([
        { topic: 's', kind: 'reset', after: 10, head: expect.any(Number) },
      ]);
      expect(seen.messages[10]).toMatchObject({ seq: 1, data: 'fresh' });
    } finally {
      await own.stop();
    }
  });
});

describe('createDurableTopics: bad input throws, naming the option', () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      { url: 'redis://a', retention: { maxLen: 0 } },
      /option retention.maxLen must be a positive integer, not 0/,
    ],
    [
      { url: 'redis://a', retention: { maxAgeMs: 1.5 } },
      /option retention.maxAgeMs must be a positive integer/,
    ],
    [
      { url: 'redis://a', retention: { maxlen: 5 } },
      /unknown option retention.maxlen; did you mean retention.maxLen\?/,
    ],
    [{ url: 'redis://a', retention: { exact: 'yes' } }, /option retention.exact must be a boolean/],
    [{ url: 'redis://a', retention: 5 }, /option retention must be an object/],
    [{ url: 'redis://a', maxLen: 5 }, /unknown option maxLen: use retention: \{ maxLen \}/],
    [{ url: 'redis://a', channelPrefix: 'x' }, /unknown option channelPrefix: use keyPrefix/],
    [{ url: 'redis://a', pagesize: 5 }, /unknown option pagesize; did you mean pageSize\?/],
    [{ url: 'redis://a', pageSize: -1 }, /option pageSize must be a positive integer/],
    [{ url: 'redis://a', keyPrefix: 1 }, /option keyPrefix must be a string/],
    [{ url: 'http://a' }, /option url must use redis:\/\/ or rediss:\/\//],
    [{}, /give exactly one of url/],
    [{ url: 'redis://a', onError: 1 }, /option onError must be a function/],
    [null, /createDurableTopics expects an options object/],
  ];
  test.each(cases)('%j', (options, message) => {
    let thrown: unknown;
    try {
      createDurableTopics(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
    expect((thrown as Error).message).toMatch(/^\[@wskit\/redis\] /);
    expect((thrown as Error).message).toMatch(message);
  });

  test('bad arguments to publish, subscribe and read throw or reject, naming them', async () => {
    const topics = durable();
    await expect(topics.publish('', 'x')).rejects.toThrow(/a topic must be a non-empty string/);
    await expect(topics.publish('t', 42 as never)).rejects.toThrow(
      /data must be a string or a Uint8Array/,
    );
    expect(() => topics.subscribe('t', { after: -1 }, { message() {} })).toThrow(
      /after must be a non-negative integer/,
    );
    expect(() => topics.subscribe('t', {}, {} as never)).toThrow(
      /needs a message\(message\) function/,
    );
    await expect(topics.read('t', { after: 0, limit: 0 })).rejects.toThrow(
      /limit must be a positive integer/,
    );
  });

  test('a foreign message on a durable channel is reported and dropped', async () => {
    const errors: Error[] = [];
    const topics = durable({ onError: (error) => errors.push(error) });
    const seen = recorder();
    await topics.subscribe('f', {}, seen.subscriber).caughtUp();
    await probe.publish(`t${prefixes - 1}:f`, 'not ours');
    await eventually(
      () => errors.length === 1,
      () => 'not reported',
    );
    expect(errors[0]?.message).toMatch(/not a durable-topic message; dropped/);
    expect(seen.messages).toEqual([]);
  });

  test('a subscriber that throws is reported; delivery goes on', async () => {
    const errors: Error[] = [];
    const topics = durable({ onError: (error) => errors.push(error) });
    const got: number[] = [];
    const subscription = topics.subscribe(
      'throws',
      { after: 0 },
      {
        message: ({ seq }) => {
          got.push(seq);
          if (seq === 1) throw new Error('boom');
        },
      },
    );
    await subscription.caughtUp();
    await topics.publish('throws', 'a');
    await topics.publish('throws', 'b');
    await eventually(
      () => got.length === 2,
      () => `got ${got}`,
    );
    expect(errors.map((error) => error.message)).toEqual([
      '[@wskit/redis] a subscriber of throws threw on seq 1: boom',
    ]);
  });
});
