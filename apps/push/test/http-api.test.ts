// The HTTP side of the push server on Node: the history endpoint, the SSE fallback (resume by
// `Last-Event-ID` and by `?after=`) and the OpenAPI description, with real fetch clients.
import { rmSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { FileStore } from '../server/file-store.js';
import { type NodePushServer, startPushServer } from '../server/node.js';
import { notify, readEvents, TOKEN, tempDir } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(): Promise<NodePushServer> {
  const dir = tempDir('push-http-');
  const server = await startPushServer({ store: await FileStore.open({ dir }), token: TOKEN });
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => server.close());
  return server;
}

async function publish(server: NodePushServer, topic: string, count: number, from = 1) {
  for (let index = from; index < from + count; index++) {
    expect((await notify(server.url, { topic, title: `n${index}` })).status).toBe(202);
  }
}

test('history: the newest page without after, the next page with it, bad input refused', async () => {
  const server = await start();
  await publish(server, 'history', 5);
  const newest = await fetch(`${server.url}/api/topics/history/notifications?limit=2`);
  expect(newest.status).toBe(200);
  const page = (await newest.json()) as { head: number; notifications: { seq: number }[] };
  expect(page.head).toBe(5);
  expect(page.notifications.map((entry) => entry.seq)).toEqual([4, 5]);

  const after = (await (
    await fetch(`${server.url}/api/topics/history/notifications?after=1&limit=3`)
  ).json()) as { notifications: { seq: number; title: string }[] };
  expect(after.notifications.map((entry) => [entry.seq, entry.title])).toEqual([
    [2, 'n2'],
    [3, 'n3'],
    [4, 'n4'],
  ]);

  const empty = await (await fetch(`${server.url}/api/topics/nothing-here/notifications`)).json();
  expect(empty).toEqual({ topic: 'nothing-here', head: 0, notifications: [] });

  for (const query of ['after=-1', 'after=x', 'limit=0', 'limit=201', 'limit=1.5']) {
    const response = await fetch(`${server.url}/api/topics/history/notifications?${query}`);
    expect(response.status, query).toBe(400);
  }
  expect((await fetch(`${server.url}/api/topics/bad%20name/notifications`)).status).toBe(400);
  expect(
    (await fetch(`${server.url}/api/topics/history/notifications`, { method: 'POST' })).status,
  ).toBe(405);
});

test('SSE: ?after= replays in order then continues live; ids are sequence numbers', async () => {
  const server = await start();
  await publish(server, 'stream', 3);
  const reading = readEvents(`${server.url}/api/topics/stream/events?after=1`, 4);
  // The fourth event can only be the live one published after the replay.
  setTimeout(() => void publish(server, 'stream', 1, 4), 200);
  const events = await reading;
  expect(events.map((event) => [event.event, event.id])).toEqual([
    ['subscribed', '1'],
    ['notification', '2'],
    ['notification', '3'],
    ['notification', '4'],
  ]);
  expect(events[3]?.data).toMatchObject({ v: 1, type: 'notification', seq: 4, title: 'n4' });
});

test('SSE: Last-Event-ID resumes after that sequence number and wins over ?after=', async () => {
  const server = await start();
  await publish(server, 'resume', 4);
  const events = await readEvents(`${server.url}/api/topics/resume/events?after=0`, 2, {
    'last-event-id': '3',
  });
  expect(events.map((event) => [event.event, event.id])).toEqual([
    ['subscribed', '3'],
    ['notification', '4'],
  ]);
  const bad = await fetch(`${server.url}/api/topics/resume/events`, {
    headers: { 'last-event-id': 'abc' },
  });
  expect(bad.status).toBe(400);
});

test('SSE: a closed stream is unsubscribed (the server keeps accepting and delivering)', async () => {
  const server = await start();
  await readEvents(`${server.url}/api/topics/gone/events`, 1);
  await publish(server, 'gone', 3);
  const events = await readEvents(`${server.url}/api/topics/gone/events?after=2`, 2);
  expect(events.map((event) => event.id)).toEqual(['2', '3']);
});

test('GET /api is an OpenAPI 3.1 description of every route', async () => {
  const server = await start();
  const response = await fetch(`${server.url}/api`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(document.openapi).toBe('3.1.0');
  expect(Object.keys(document.paths).sort()).toEqual([
    '/api/notify',
    '/api/topics/{topic}/events',
    '/api/topics/{topic}/notifications',
    '/healthz',
  ]);
});
