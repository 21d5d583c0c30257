// The apps' Redis connection on a real redis-server: URL check, fail-fast start, the client
// shared with the broker. Delivery between processes is tested by the apps (chat's and push's
// redis and faults tests), which use the real @wskit/redis.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  checkRedisUrl,
  connectAppRedis,
  openBrokerChannel,
  type RedisBroker,
} from '../src/redis.js';
import { freePort, startRedisServer, stopChild } from '../src/test-processes.mjs';

let dir: string;
let port: number;
let redis: ChildProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wskit-app-shared-'));
  port = await freePort();
  redis = (await startRedisServer(port, dir, { persist: false })).child;
});

afterAll(async () => {
  await stopChild(redis);
  rmSync(dir, { recursive: true, force: true });
});

describe('connectAppRedis', () => {
  test('accepts redis:// and rediss://; refuses other schemes without echoing the URL', () => {
    expect(() => checkRedisUrl('redis://127.0.0.1:6379/2')).not.toThrow();
    expect(() => checkRedisUrl('rediss://user:pw@redis.example:6380')).not.toThrow();
    expect(() => checkRedisUrl('http://user:secret@host')).toThrow(/not http:/);
    expect(() => checkRedisUrl('http://user:secret@host')).not.toThrow(/secret/);
    expect(() => checkRedisUrl('127.0.0.1:6379')).toThrow(/redis:\/\/ or rediss:\/\//);
  });

  test('a Redis that is not there fails the start instead of retrying forever', async () => {
    const closed = await freePort();
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await expect(
        connectAppRedis({
          url: `redis://127.0.0.1:${closed}`,
          label: 'x',
          createBroker: () => {
            throw new Error('not reached');
          },
        }),
      ).rejects.toThrow(/x: cannot reach Redis/);
    } finally {
      log.mockRestore();
    }
  });

  test('a broker whose subscriber never becomes ready fails the start, naming the wait', async () => {
    const calls: string[] = [];
    const stuck: RedisBroker = {
      attach: () => {
        throw new Error('not reached');
      },
      ready: () => new Promise<void>(() => {}),
      close: async () => {
        calls.push('broker closed');
      },
    };
    await expect(
      connectAppRedis({
        url: `redis://127.0.0.1:${port}`,
        label: 'x',
        createBroker: () => stuck,
        readyTimeoutMs: 200,
      }),
    ).rejects.toThrow(
      /x: Redis answered, but the broker's subscriber connection was not ready within 200 ms/,
    );
    expect(calls).toEqual(['broker closed']);
  });

  test('one connection for the commands and the broker; the channel decodes, close releases', async () => {
    const calls: string[] = [];
    let deliver: ((topic: string, payload: string | Uint8Array) => void) | undefined;
    const published: Array<[string, string]> = [];
    // A stand-in for @wskit/redis (which this package cannot depend on): records what the
    // helper does with it.
    const stub: RedisBroker = {
      attach(onDeliver) {
        deliver = onDeliver;
        return {
          publish: (topic: string, payload: string) => published.push([topic, payload]),
          topicOpened: (topic: string) => calls.push(`opened ${topic}`),
          detach: () => calls.push('detached'),
        };
      },
      ready: async () => {
        calls.push('ready');
      },
      close: async () => {
        calls.push('broker closed');
      },
    };
    let given: unknown;
    const redis = await connectAppRedis({
      url: `redis://127.0.0.1:${port}`,
      label: 'x',
      createBroker: (options) => {
        given = options;
        return stub;
      },
    });
    expect(given).toMatchObject({ redis: redis.client, channelPrefix: '' });
    expect(calls).toEqual(['ready']);
    expect(await redis.client.set('t:key', 'v')).toBe('OK');

    const heard: string[] = [];
    const channel = openBrokerChannel(
      redis.broker,
      'events',
      (p) => heard.push(p),
      () => {},
    );
    await channel.publish('out');
    deliver?.('events', 'text in');
    deliver?.('events', new TextEncoder().encode('bytes ïn'));
    expect(heard).toEqual(['text in', 'bytes ïn']);
    expect(published).toEqual([['events', 'out']]);
    await channel.close();
    await redis.close();
    expect(calls).toEqual(['ready', 'opened events', 'detached', 'broker closed']);
    await expect.poll(() => redis.client.status).toBe('end');
  });
});
