// The broker against a real redis-server on loopback: pub/sub between brokers, binary and text
// exactness, own-echo suppression, SUBSCRIBE only while someone listens, TLS, and the errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerPayload } from '@wskit/server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningRedis, startRedis, startTlsRedis, stopChild } from '../test/redis-server.js';
import { eventually, sleep } from '../test/wait.js';
import { createRedisBroker, type RedisBroker } from './index.js';

let dir: string;
let redis: RunningRedis;
let probe: Redis;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wskit-redis-'));
  redis = await startRedis(dir);
  probe = new Redis(redis.url);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  probe?.disconnect();
  await stopChild(redis?.child);
  rmSync(dir, { recursive: true, force: true });
});

function broker(options: Parameters<typeof createRedisBroker>[0] = { url: redis.url }) {
  const created = createRedisBroker(options);
  cleanups.push(() => created.close());
  return created;
}

/** Attaches like a server does; records deliveries and reported errors. */
function server(of: RedisBroker) {
  const received: Array<{ topic: string; payload: BrokerPayload }> = [];
  const errors: Error[] = [];
  const attachment = of.attach(
    (topic, payload) => received.push({ topic, payload }),
    (error) => errors.push(error),
  );
  return { attachment, received, errors };
}

/** The channels redis-server has subscribers for, and how many. */
async function subscribers(...channels: string[]): Promise<number[]> {
  const reply = (await probe.call('PUBSUB', 'NUMSUB', ...channels)) as Array<string | number>;
  return reply.filter((_, index) => index % 2 === 1).map(Number);
}

describe('createRedisBroker: topics across processes over Redis pub/sub', () => {
  test('a publish reaches the servers of other brokers that listen to the topic, exactly', async () => {
    const [one, two, three] = [broker(), broker(), broker()];
    const [a, b, c] = [server(one), server(two), server(three)];
    await Promise.all([one.ready(), two.ready(), three.ready()]);
    a.attachment.topicOpened?.('room');
    b.attachment.topicOpened?.('room');
    c.attachment.topicOpened?.('other');
    await eventually(
      async () => (await subscribers('wskit:room'))[0] === 2,
      () => 'two SUBSCRIBEs to wskit:room',
    );
    // Every byte value, a large payload, and text outside ASCII.
    const bytes = new Uint8Array(70_000).map((_, index) => (index * 7919) % 256);
    const text = 'héllo → 世界 🎉 \u0000 end';
    await a.attachment.publish('room', text);
    await a.attachment.publish('room', bytes);
    await a.attachment.publish('room', new Uint8Array(0));
    await a.attachment.publish('room', '');
    await eventually(
      () => b.received.length === 4,
      () => `b got ${b.received.length} messages`,
    );
    expect(b.received[0]).toEqual({ topic: 'room', payload: text });
    expect(typeof b.received[0]?.payload).toBe('string');
    const binary = b.received[1]?.payload;
    expect(binary).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(binary as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    expect(b.received[2]?.payload).toEqual(new Uint8Array(0));
    expect(b.received[2]?.payload).toBeInstanceOf(Uint8Array);
    expect(b.received[3]).toEqual({ topic: 'room', payload: '' });
    // The publisher never gets its own message back; c listens to another topic.
    await sleep(100);
    expect(a.received).toEqual([]);
    expect(c.received).toEqual([]);
    expect([a.errors, b.errors, c.errors]).toEqual([[], [], []]);
  });

  test('own echoes are dropped per server: a second server on the same broker still gets them', async () => {
    const shared = broker();
    const [first, second] = [server(shared), server(shared)];
    first.attachment.topicOpened?.('echo');
    second.attachment.topicOpened?.('echo');
    await shared.ready();
    await eventually(
      async () => (await subscribers('wskit:echo'))[0] === 1,
      () => 'one SUBSCRIBE for the two servers',
    );
    for (let index = 0; index < 50; index++) await first.attachment.publish('echo', `m${index}`);
    await eventually(
      () => second.received.length === 50,
      () => `second got ${second.received.length}`,
    );
    expect(second.received.map((message) => message.payload)).toEqual(
      Array.from({ length: 50 }, (_, index) => `m${index}`),
    );
    await sleep(100);
    expect(first.received).toEqual([]);
  });

  test('SUBSCRIBE on the first listening server, UNSUBSCRIBE after the last; detach releases', async () => {
    const shared = broker({ url: redis.url, channelPrefix: 'app1/' });
    const [x, y] = [server(shared), server(shared)];
    await shared.ready();
    const count = async () => (await subscribers('app1/t'))[0];
    expect(await count()).toBe(0);
    x.attachment.topicOpened?.('t');
    await eventually(
      async () => (await count()) === 1,
      () => 'subscribed',
    );
    y.attachment.topicOpened?.('t');
    x.attachment.topicClosed?.('t');
    await sleep(100);
    expect(await count()).toBe(1);
    await y.attachment.detach();
    await eventually(
      async () => (await count()) === 0,
      () => 'unsubscribed after the last',
    );
    // Nothing arrives for a topic nobody here listens to.
    const other = server(broker());
    await other.attachment.publish('t', 'nobody');
    await sleep(100);
    expect([x.received, y.received]).toEqual([[], []]);
  });

  test('a message on our channels that is not an envelope is reported and dropped', async () => {
    const errors: Error[] = [];
    const listening = broker({ url: redis.url, onError: (error) => errors.push(error) });
    const here = server(listening);
    here.attachment.topicOpened?.('foreign');
    await listening.ready();
    await eventually(
      async () => (await subscribers('wskit:foreign'))[0] === 1,
      () => 'sub',
    );
    await probe.publish('wskit:foreign', 'plain text from another program');
    await eventually(
      () => errors.length === 1,
      () => 'no error reported',
    );
    expect(errors[0]?.message).toMatch(
      /\[@wskit\/redis\] on wskit:foreign: a message that is not a @wskit\/redis envelope/,
    );
    expect(here.received).toEqual([]);
  });

  test('an ioredis client of yours: the broker publishes on it and leaves it open on close', async () => {
    const mine = new Redis(redis.url);
    cleanups.push(() => mine.disconnect());
    const borrowed = createRedisBroker({ redis: mine });
    const listener = server(broker());
    listener.attachment.topicOpened?.('lent');
    await eventually(
      async () => (await subscribers('wskit:lent'))[0] === 1,
      () => 'sub',
    );
    await server(borrowed).attachment.publish('lent', 'via your client');
    await eventually(
      () => listener.received.length === 1,
      () => 'delivered',
    );
    await borrowed.close();
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
  });

  test('Redis unreachable: errors go to onError (never thrown), publishes too', async () => {
    const errors: Error[] = [];
    const unreachable = broker({
      // Port 1 on loopback: refused at once.
      url: 'redis://127.0.0.1:1',
      redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => 200 },
      onError: (error) => errors.push(error),
    });
    const here = server(unreachable);
    await here.attachment.publish('t', 'lost');
    await eventually(
      () =>
        errors.some((error) => /ECONNREFUSED/.test(error.message)) &&
        errors.some((error) => /publish to t failed/.test(error.message)),
      () => errors.map((error) => error.message).join('\n'),
    );
    expect(errors[0]?.message).toMatch(/^\[@wskit\/redis\] /);
    expect(here.errors).toEqual([]);
  });

  test('without onError, errors go to the attached server', async () => {
    const unreachable = broker({
      url: 'redis://127.0.0.1:1',
      redisOptions: { retryStrategy: () => 1000 },
    });
    const here = server(unreachable);
    await eventually(
      () => here.errors.length > 0,
      () => 'nothing reported to the server',
    );
    expect(here.errors[0]?.message).toMatch(/connection: .*ECONNREFUSED/);
  });
});

describe('createRedisBroker when Redis restarts', () => {
  test('a topic opened while Redis was down (its SUBSCRIBE failed) is subscribed after the reconnect', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'wskit-redis-restart-'));
    let own = await startRedis(ownDir);
    try {
      const errors: Error[] = [];
      // No retries per command: a SUBSCRIBE sent while Redis is down fails at once.
      const options = {
        url: own.url,
        redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => 100 },
        onError: (error: Error) => errors.push(error),
      };
      const [listening, publishing] = [broker(options), broker(options)];
      await Promise.all([listening.ready(), publishing.ready()]);
      const here = server(listening);
      const port = own.port;
      await stopChild(own.child, 'SIGKILL');
      here.attachment.topicOpened?.('late');
      await eventually(
        () => errors.some((error) => /SUBSCRIBE wskit:late failed/.test(error.message)),
        () => errors.map((error) => error.message).join('\n'),
      );
      own = await startRedis(ownDir, port);
      const sender = server(publishing);
      await eventually(
        async () => {
          await sender.attachment.publish('late', 'after the restart');
          return here.received.length > 0;
        },
        () => 'the topic opened during the outage never got its SUBSCRIBE',
      );
      expect(here.received[0]).toEqual({ topic: 'late', payload: 'after the restart' });
    } finally {
      await stopChild(own.child);
      rmSync(ownDir, { recursive: true, force: true });
    }
  });
});

describe('createRedisBroker: misconfiguration throws, naming the problem', () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      { url: 'http://127.0.0.1:6379' },
      /option url must use redis:\/\/ or rediss:\/\/ \(TLS\), not http:\/\//,
    ],
    [
      { url: 'localhost:6379' },
      /option url must use redis:\/\/ or rediss:\/\/ \(TLS\), not localhost:\/\//,
    ],
    [{ url: 'not a url' }, /option url is not a valid URL/],
    [{ url: 'redis://' }, /option url has no host/],
    [{ url: 6379 }, /option url must be a string/],
    [{}, /give exactly one of url \(redis:\/\/ or rediss:\/\/\) and redis/],
    [{ url: 'redis://a', redis: new Redis({ lazyConnect: true }) }, /give exactly one of url/],
    [{ redis: {} }, /option redis must be an ioredis client/],
    [
      { url: 'redis://a', channelPrefx: 'x' },
      /unknown option channelPrefx; did you mean channelPrefix\?/,
    ],
    [{ url: 'redis://a', pubClient: {} }, /unknown option pubClient: use redis/],
    [{ url: 'redis://a', host: 'h' }, /unknown option host: use url \(redis:\/\/host:port\)/],
    [{ url: 'redis://a', channelPrefix: 5 }, /option channelPrefix must be a string/],
    [{ url: 'redis://a', onError: 'log' }, /option onError must be a function/],
    [
      { url: 'redis://a', redisOptions: 'tls' },
      /option redisOptions must be an ioredis options object/,
    ],
    [null, /expects an options object/],
  ];
  test.each(cases)('%j', (options, message) => {
    let thrown: unknown;
    try {
      createRedisBroker(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
    expect((thrown as Error).message).toMatch(/^\[@wskit\/redis\] /);
    expect((thrown as Error).message).toMatch(message);
  });

  test('the message names the scheme, never the password of the URL', () => {
    expect(() => createRedisBroker({ url: 'http://user:s3cret@host' })).toThrow(/not http:/);
    try {
      createRedisBroker({ url: 'http://user:s3cret@host' });
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });
});

describe('createRedisBroker over rediss:// (TLS on loopback)', () => {
  let tls: Awaited<ReturnType<typeof startTlsRedis>>;
  let tlsDir: string;
  beforeAll(async () => {
    tlsDir = mkdtempSync(join(tmpdir(), 'wskit-redis-tls-'));
    tls = await startTlsRedis(tlsDir);
  });
  afterAll(async () => {
    await stopChild(tls?.child);
    rmSync(tlsDir, { recursive: true, force: true });
  });

  test('with the CA, publishes cross over TLS', async () => {
    const options = { url: tls.url, redisOptions: { tls: { ca: readFileSync(tls.ca) } } };
    const [one, two] = [broker(options), broker(options)];
    const [a, b] = [server(one), server(two)];
    b.attachment.topicOpened?.('secure');
    await Promise.all([one.ready(), two.ready()]);
    // A plain connection is not possible: the port speaks TLS only. The subscription is
    // checked by publishing until one arrives (PUBSUB over TLS needs its own client).
    await eventually(
      async () => {
        await a.attachment.publish('secure', new Uint8Array([0, 1, 2, 255]));
        return b.received.length > 0;
      },
      () => 'nothing arrived over TLS',
    );
    expect(b.received[0]?.payload).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect([a.errors, b.errors]).toEqual([[], []]);
  });

  test('without the CA the certificate is refused, and the error says so', async () => {
    const errors: Error[] = [];
    const untrusted = broker({
      url: tls.url,
      redisOptions: { retryStrategy: () => 1000 },
      onError: (error) => errors.push(error),
    });
    server(untrusted);
    await eventually(
      () => errors.length > 0,
      () => 'no TLS error reported',
    );
    expect(errors[0]?.message).toMatch(/self[- ]signed certificate/i);
  });
});
