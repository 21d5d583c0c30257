// The Node server end to end with `ws` clients: the notify API, live delivery, replay after a
// reconnect, restarts, limits and bad messages. Run against both stores.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FileStore } from '../server/file-store.js';
import { type NodePushServer, type StartOptions, startPushServer } from '../server/node.js';
import { RedisStore } from '../server/redis-store.js';
import type { NotificationStore } from '../server/store.js';
import { Client, notify, TOKEN, tempDir } from './helpers.js';
import { type RedisInstance, startRedis } from './redis.js';

let redis: RedisInstance;
let prefixCount = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const open: Record<string, (location: string) => Promise<NotificationStore>> = {
  file: (dir) => FileStore.open({ dir }),
  redis: (prefix) => RedisStore.open({ url: redis.url, prefix }),
};

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe.each(['file', 'redis'])('%s store', (kind) => {
  const newLocation = () => (kind === 'file' ? tempDir('push-server-') : `server${prefixCount++}:`);

  async function start(
    location: string,
    extra: Partial<StartOptions> = {},
  ): Promise<NodePushServer> {
    const server = await startPushServer({
      store: await (open[kind] as (l: string) => Promise<NotificationStore>)(location),
      token: TOKEN,
      ...extra,
    });
    let closed = false;
    const close = server.close.bind(server);
    const handle = {
      ...server,
      close: async () => {
        if (!closed) {
          closed = true;
          await close();
        }
      },
    };
    cleanup.push(() => handle.close());
    if (kind === 'file') cleanup.push(() => rmSync(location, { recursive: true, force: true }));
    return handle;
  }

  async function client(server: NodePushServer): Promise<Client> {
    const result = await Client.connect(`${server.url.replace('http', 'ws')}/ws`);
    cleanup.push(() => result.close());
    return result;
  }

  test('notify: 401 without or with a bad token, 400 on bad JSON or input, 202 with the id', async () => {
    const server = await start(newLocation());
    const valid = { topic: 'news', title: 'Hello', body: 'World', data: { a: 1 } };
    expect((await notify(server.url, valid, null)).status).toBe(401);
    expect((await notify(server.url, valid, 'wrong')).status).toBe(401);
    expect((await notify(server.url, '{not json')).status).toBe(400);
    expect((await notify(server.url, { topic: 'news' })).status).toBe(400);
    const accepted = await notify(server.url, valid);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ topic: 'news', seq: 1, id: expect.any(String) });
    expect((await fetch(`${server.url}/api/notify`)).status).toBe(405);
  });

  test('a subscriber receives live notifications in order', async () => {
    const server = await start(newLocation());
    const alice = await client(server);
    alice.send({ v: 1, type: 'subscribe', topics: [{ topic: 'news' }] });
    await alice.waitFor(() => alice.of('subscribed').length === 1);
    const ids = [];
    for (const title of ['one', 'two', 'three'])
      ids.push((await notify(server.url, { topic: 'news', title })).json.id);
    await notify(server.url, { topic: 'other', title: 'not for alice' });
    await alice.waitFor(() => alice.of('notification').length === 3);
    expect(alice.of('notification').map((n) => [n.seq, n.title, n.id])).toEqual([
      [1, 'one', ids[0]],
      [2, 'two', ids[1]],
      [3, 'three', ids[2]],
    ]);
  });

  test('reconnecting with the last seen number replays what was missed, in order, across a restart', async () => {
    const location = newLocation();
    let server = await start(location);
    const first = await client(server);
    first.send({ v: 1, type: 'subscribe', topics: [{ topic: 'news' }, { topic: 'ops' }] });
    await notify(server.url, { topic: 'news', title: 'n1' });
    await first.waitFor(() => first.of('notification').length === 1);
    await first.close();
    for (const title of ['n2', 'n3', 'n4']) await notify(server.url, { topic: 'news', title });
    await notify(server.url, { topic: 'ops', title: 'o1' });
    const port = server.port;
    await server.close();
    server = await start(location, { port });

    const second = await client(server);
    second.send({
      v: 1,
      type: 'subscribe',
      topics: [
        { topic: 'news', after: 1 },
        { topic: 'ops', after: 0 },
      ],
    });
    await second.waitFor(() => second.of('notification').length === 4);
    // And a live one after the replay continues the sequence without a gap or a repeat.
    await notify(server.url, { topic: 'news', title: 'n5' });
    await second.waitFor(() => second.of('notification').length === 5);
    const news = second.of('notification').filter((n) => n.topic === 'news');
    expect(news.map((n) => [n.seq, n.title])).toEqual([
      [2, 'n2'],
      [3, 'n3'],
      [4, 'n4'],
      [5, 'n5'],
    ]);
    expect(
      second
        .of('notification')
        .filter((n) => n.topic === 'ops')
        .map((n) => n.title),
    ).toEqual(['o1']);
  });

  test('notifications published during a replay arrive once each, in order', async () => {
    const server = await start(newLocation());
    for (let index = 1; index <= 300; index++)
      await server.app.notify({ topic: 'busy', title: String(index), body: '' });
    const reader = await client(server);
    reader.send({ v: 1, type: 'subscribe', topics: [{ topic: 'busy', after: 0 }] });
    const live = Array.from({ length: 50 }, (_, index) =>
      server.app.notify({ topic: 'busy', title: String(301 + index), body: '' }),
    );
    await Promise.all(live);
    await reader.waitFor(() => reader.of('notification').length >= 350);
    expect(reader.of('notification').map((n) => n.seq)).toEqual(
      Array.from({ length: 350 }, (_, index) => index + 1),
    );
  });
});

describe('protocol errors and limits (file store)', () => {
  async function start(extra: Partial<StartOptions> = {}) {
    const dir = tempDir('push-limits-');
    const server = await startPushServer({
      store: await FileStore.open({ dir }),
      token: TOKEN,
      ...extra,
    });
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanup.push(() => server.close());
    return server;
  }

  test('bad messages get an error reply and the connection stays usable', async () => {
    const server = await start();
    const peer = await Client.connect(`${server.url.replace('http', 'ws')}/ws`);
    cleanup.push(() => peer.close());
    for (const bad of [
      'nope',
      '{"v":9,"type":"ping"}',
      '{"v":1,"type":"subscribe","topics":[{"topic":"../x"}]}',
      '{"v":1,"type":"what"}',
    ]) {
      peer.send(bad);
    }
    peer.socket.send(Buffer.from([1, 2, 3]));
    await peer.waitFor(() => peer.of('error').length === 5);
    expect(peer.of('error').map((e) => e.code)).toEqual([
      'bad_json',
      'unsupported_version',
      'bad_message',
      'bad_message',
      'bad_message',
    ]);
    peer.send({ v: 1, type: 'ping' });
    await peer.waitFor(() => peer.of('pong').length === 1);
  });

  test('a message over the size limit closes with 1009; a flood is rate limited', async () => {
    const server = await start({ maxMessageBytes: 1024, messagesPerSecond: 5 });
    const flooder = await Client.connect(`${server.url.replace('http', 'ws')}/ws`);
    cleanup.push(() => flooder.close());
    for (let index = 0; index < 30; index++) flooder.send({ v: 1, type: 'ping' });
    await flooder.waitFor(() => flooder.of('error').some((e) => e.code === 'rate_limited'));
    expect(flooder.of('pong').length).toBeLessThanOrEqual(11);

    const big = await Client.connect(`${server.url.replace('http', 'ws')}/ws`);
    const closed = new Promise<number>((resolve) =>
      big.socket.once('close', (code) => resolve(code)),
    );
    big.send('x'.repeat(4096));
    expect(await closed).toBe(1009);
  });

  test('a foreign Origin is refused; the same origin and allowed ones are accepted', async () => {
    const server = await start({ allowedOrigins: ['https://allowed.example'] });
    const url = `${server.url.replace('http', 'ws')}/ws`;
    await expect(Client.connect(url, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const same = await Client.connect(url, { origin: server.url });
    const allowed = await Client.connect(url, { origin: 'https://allowed.example' });
    await same.close();
    await allowed.close();
  });
});

describe('several server processes on one Redis (durable topics of @wskit/redis)', () => {
  test('a notification accepted by one server reaches a subscriber of another, in order', async () => {
    const prefix = `multi${prefixCount++}:`;
    const servers = [];
    for (let index = 0; index < 2; index++) {
      const server = await startPushServer({
        store: await RedisStore.open({ url: redis.url, prefix }),
        token: TOKEN,
      });
      cleanup.push(() => server.close());
      servers.push(server);
    }
    const [a, b] = servers as [NodePushServer, NodePushServer];
    const reader = await Client.connect(`${b.url.replace('http', 'ws')}/ws`);
    cleanup.push(() => reader.close());
    reader.send({ v: 1, type: 'subscribe', topics: [{ topic: 'fleet' }] });
    await reader.waitFor(() => reader.of('subscribed').length === 1);
    // Alternate between the two servers: both number from the same Redis counter.
    for (let index = 1; index <= 6; index++) {
      const answer = await notify((index % 2 === 0 ? b : a).url, {
        topic: 'fleet',
        title: `m${index}`,
      });
      expect(answer.json.seq).toBe(index);
    }
    await reader.waitFor(() => reader.of('notification').length === 6);
    expect(reader.of('notification').map((n) => n.title)).toEqual([
      'm1',
      'm2',
      'm3',
      'm4',
      'm5',
      'm6',
    ]);
  });
});
