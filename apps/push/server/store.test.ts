// The same contract, run against the file store and against Redis Streams (a real redis-server).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StoredNotification } from '../shared/schema.js';
import { type RedisInstance, startRedis } from '../test/redis.js';
import { FileStore } from './file-store.js';
import { RedisStore } from './redis-store.js';
import type { NotificationStore } from './store.js';

interface Backend {
  name: string;
  /** Opens the store at `location` (the same location reopens the same data). */
  open(location: string, maxPerTopic?: number): Promise<NotificationStore>;
  location(): string;
}

let redis: RedisInstance;
let redisDb = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends: Backend[] = [
  {
    name: 'file',
    open: (dir, maxPerTopic) => FileStore.open({ dir, maxPerTopic }),
    location: () => mkdtempSync(join(tmpdir(), 'push-store-')),
  },
  {
    name: 'redis',
    open: (prefix, maxPerTopic) => RedisStore.open({ url: redis.url, prefix, maxPerTopic }),
    location: () => `test${redisDb++}:`,
  },
];

const note = (topic: string, title: string) => ({ topic, title, body: '' });

describe.each(backends)('$name store', (backend) => {
  test('subscribe: 1,000 missed notifications in order, then live ones, each once', async () => {
    const location = backend.location();
    const store = await backend.open(location, 2000);
    // A second store on the same data: for Redis another process's connection, whose
    // appends must reach this subscriber too.
    const other = backend.name === 'redis' ? await backend.open(location, 2000) : store;
    for (let index = 1; index <= 1000; index++) await store.append(note('s', `m${index}`));
    const got: StoredNotification[] = [];
    const subscription = store.subscribe('s', 0, (notification) => got.push(notification));
    // Appends racing the replay, from both.
    const racing = [store, other].map(async (from, which) => {
      for (let index = 0; index < 25; index++) await from.append(note('s', `r${which}`));
    });
    await Promise.all(racing);
    const deadline = Date.now() + 10_000;
    while (got.length < 1050 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got.map((notification) => notification.seq)).toEqual(
      Array.from({ length: 1050 }, (_, index) => index + 1),
    );
    expect(got.slice(0, 1000).map((notification) => notification.title)).toEqual(
      Array.from({ length: 1000 }, (_, index) => `m${index + 1}`),
    );
    subscription.close();
    await store.append(note('s', 'after close'));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(1050);
    if (other !== store) await other.close();
    await store.close();
  });

  test('sequence numbers are per topic, dense, from 1', async () => {
    const store = await backend.open(backend.location());
    const results = [];
    for (const [topic, title] of [
      ['a', '1'],
      ['b', '1'],
      ['a', '2'],
      ['a', '3'],
    ] as const) {
      results.push(await store.append(note(topic, title)));
    }
    expect(results.map((entry) => `${entry.topic}${entry.seq}`)).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(await store.head('a')).toBe(3);
    expect(await store.head('none')).toBe(0);
    expect((await store.readAfter('a', 1, 10)).map((entry) => entry.title)).toEqual(['2', '3']);
    expect(await store.readAfter('a', 3, 10)).toEqual([]);
    await store.close();
  });

  test('concurrent appends to one topic get distinct, ordered numbers', async () => {
    const store = await backend.open(backend.location());
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => store.append(note('c', String(index)))),
    );
    expect(results.map((entry) => entry.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    const read = await store.readAfter('c', 0, 100);
    expect(read.map((entry) => entry.seq)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    await store.close();
  });

  test('retention keeps the newest N per topic; numbering continues', async () => {
    const location = backend.location();
    const store = await backend.open(location, 3);
    for (let index = 1; index <= 10; index++) await store.append(note('r', String(index)));
    expect((await store.readAfter('r', 0, 100)).map((entry) => entry.seq)).toEqual([8, 9, 10]);
    expect(await store.head('r')).toBe(10);
    await store.close();
    const reopened = await backend.open(location, 3);
    expect((await reopened.readAfter('r', 0, 100)).map((entry) => entry.seq)).toEqual([8, 9, 10]);
    expect((await reopened.append(note('r', '11'))).seq).toBe(11);
    await reopened.close();
  });

  test('survives reopen: data, ids and numbering', async () => {
    const location = backend.location();
    const store = await backend.open(location);
    const first = await store.append({ topic: 'p', title: 'one', body: 'b', data: { k: [1, 2] } });
    await store.append(note('p', 'two'));
    await store.close();
    const reopened = await backend.open(location);
    const read = await reopened.readAfter('p', 0, 10);
    expect(read[0]).toEqual(first);
    expect(read.map((entry) => entry.title)).toEqual(['one', 'two']);
    expect((await reopened.append(note('p', 'three'))).seq).toBe(3);
    await reopened.close();
  });
});

describe('file store on disk', () => {
  test('one JSON-lines file per topic; a torn last line is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'push-store-'));
    const store = await FileStore.open({ dir });
    await store.append(note('t', 'ok'));
    await store.close();
    const lines = readFileSync(join(dir, 't.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ topic: 't', seq: 1, title: 'ok' });
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(dir, 't.jsonl'), '{"id":"x","seq":2,"ti');
    const reopened = await FileStore.open({ dir });
    expect(await reopened.head('t')).toBe(1);
    expect((await reopened.append(note('t', 'next'))).seq).toBe(2);
    await reopened.close();
    const again = await FileStore.open({ dir });
    expect((await again.readAfter('t', 0, 10)).map((entry) => entry.title)).toEqual(['ok', 'next']);
    await again.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
