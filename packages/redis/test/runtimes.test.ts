// A Node, a Bun and a Deno server process share a topic through one redis-server: what any
// of them publishes (peer.publish and server.publish, text and bytes) reaches the subscribers
// of all three exactly once. Bun's subscribers live in its native pub/sub, so this also proves
// that remote publishes go through Bun's server.publish and local ones are forwarded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Client, startCluster } from './processes.js';
import { type RunningRedis, startRedis, stopChild } from './redis-server.js';
import { eventually, sleep } from './wait.js';

let dir: string;
let redis: RunningRedis;
let probe: Redis;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wskit-redis-runtimes-'));
  redis = await startRedis(dir);
  probe = new Redis(redis.url);
});

afterAll(async () => {
  await stop?.();
  probe?.disconnect();
  await stopChild(redis?.child);
  rmSync(dir, { recursive: true, force: true });
});

describe('Node, Bun and Deno servers share topics through the same Redis', () => {
  test('every publish reaches every subscriber of every runtime exactly once, bytes intact', async () => {
    const started = await startCluster(['node', 'bun', 'deno'], 2, redis.url, 'mixed', async () => {
      const reply = (await probe.call('PUBSUB', 'NUMSUB', 'wskit:mixed')) as [string, number];
      return Number(reply[1]);
    });
    stop = started.stop;
    const { servers, clients } = started;
    const all = clients.flat();
    const expected = new Map<Client, string[]>(all.map((client) => [client, []]));
    for (const [index, group] of clients.entries()) {
      const [first, second] = group as [Client, Client];
      const runtime = servers[index]?.name ?? '';
      const peerText = `peer from ${runtime} ✓`;
      const serverText = `server from ${runtime}`;
      // Every byte value once, plus the runtime's index: binary must not pass through text.
      const hex = Buffer.from([index, ...Array.from({ length: 256 }, (_, byte) => byte)]).toString(
        'hex',
      );
      await first.command('pub', { topic: 'mixed', text: peerText });
      await second.command('all', { topic: 'mixed', text: serverText });
      await second.command('bin', { topic: 'mixed', hex });
      for (const client of all) {
        if (client !== first) expected.get(client)?.push(peerText);
        expected.get(client)?.push(serverText, `bin:${hex}`);
      }
    }
    await eventually(
      () => all.every((client) => client.received.length >= (expected.get(client)?.length ?? 0)),
      () => all.map((client) => `${client.name}: ${client.received.length}`).join(', '),
      20_000,
    );
    await sleep(300);
    for (const client of all) {
      expect([...client.received].sort(), client.name).toEqual(
        [...(expected.get(client) ?? [])].sort(),
      );
    }
    for (const server of servers) {
      expect(server.alive(), `${server.name}:\n${server.output()}`).toBe(true);
      expect(
        server.lines.filter((line) => 'brokerError' in line),
        server.name,
      ).toEqual([]);
    }
  });
});
