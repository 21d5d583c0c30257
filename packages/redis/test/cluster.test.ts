// Three Node server processes with several clients each, sharing topics through a real
// redis-server on loopback: exactly-once delivery, a Redis restart mid-traffic, a SIGKILLed
// server. Needs `pnpm build` (the processes run the built packages).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type Client, type ServerProcess, startCluster } from './processes.js';
import { type RunningRedis, startRedis, stopChild } from './redis-server.js';
import { eventually, sleep } from './wait.js';

let dir: string;
let redis: RunningRedis;
let probe: Redis;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wskit-redis-cluster-'));
  redis = await startRedis(dir);
  // The probe survives the restart test: it reconnects like the servers do.
  probe = new Redis(redis.url, { retryStrategy: () => 50 });
  probe.on('error', () => {});
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

afterAll(async () => {
  probe?.disconnect();
  await stopChild(redis?.child);
  rmSync(dir, { recursive: true, force: true });
});

async function numsub(topic: string): Promise<number> {
  const reply = (await probe.call('PUBSUB', 'NUMSUB', `wskit:${topic}`)) as [string, number];
  return Number(reply[1]);
}

async function cluster(servers: number, clientsPerServer: number, topic: string) {
  const started = await startCluster(
    Array.from({ length: servers }, () => 'node' as const),
    clientsPerServer,
    redis.url,
    topic,
    () => numsub(topic),
  );
  stops.push(started.stop);
  return started;
}

/** Waits until every client has `expected(client)` messages, then a little more for extras. */
async function settle(clients: Client[], expected: (client: Client) => number): Promise<void> {
  await eventually(
    () => clients.every((client) => client.received.length >= expected(client)),
    () =>
      clients
        .map((client) => `${client.name}: ${client.received.length}/${expected(client)}`)
        .join(', '),
    20_000,
  );
  // A duplicate would arrive right behind: give it the time to.
  await sleep(300);
}

function brokerErrors(server: ServerProcess): string[] {
  return server.lines
    .filter((line) => typeof line.brokerError === 'string')
    .map((line) => line.brokerError as string);
}

describe('N server processes × M clients through one Redis', () => {
  test('every peer.publish and server.publish reaches every subscriber on every process exactly once', async () => {
    const { servers, clients } = await cluster(3, 4, 'chat');
    const all = clients.flat();
    const expected = new Map<Client, string[]>(all.map((client) => [client, []]));
    const sends: Array<Promise<void>> = [];
    for (const [serverIndex, group] of clients.entries()) {
      for (const [clientIndex, sender] of group.entries()) {
        for (let round = 0; round < 3; round++) {
          // peer.publish: every subscriber but the sender, on every process.
          const text = `peer ${serverIndex}.${clientIndex} #${round}`;
          sends.push(sender.command('pub', { topic: 'chat', text }));
          for (const client of all) if (client !== sender) expected.get(client)?.push(text);
        }
      }
      // server.publish: everyone, the sender's own client included; text and bytes.
      const sender = group[0] as Client;
      const text = `server ${serverIndex}`;
      const hex = `00ff${serverIndex.toString(16).padStart(2, '0')}80`;
      sends.push(sender.command('all', { topic: 'chat', text }));
      sends.push(sender.command('bin', { topic: 'chat', hex }));
      for (const client of all) expected.get(client)?.push(text, `bin:${hex}`);
      // A topic nobody subscribed to reaches nobody.
      sends.push(sender.command('all', { topic: 'nobody', text: 'void' }));
    }
    await Promise.all(sends);
    await settle(all, (client) => expected.get(client)?.length ?? 0);
    for (const client of all) {
      // Exactly once: the same multiset, nothing missing, nothing twice, nothing else.
      expect([...client.received].sort(), client.name).toEqual(
        [...(expected.get(client) ?? [])].sort(),
      );
      // Each sender's messages keep their order (one connection per process publishes).
      for (const prefix of ['peer 0.1 ', 'peer 2.3 ']) {
        const ordered = client.received.filter((text) => text.startsWith(prefix));
        expect(ordered, client.name).toEqual([...ordered].sort());
      }
    }
    for (const server of servers) {
      expect(server.alive(), server.name).toBe(true);
      expect(brokerErrors(server), server.name).toEqual([]);
    }
  });

  test('Redis restarted mid-traffic: errors reported, resubscribed, delivery resumes, no process dies', async () => {
    const { servers, clients } = await cluster(3, 2, 'live');
    const all = clients.flat();
    let sequence = 0;
    let traffic = true;
    // One publish every 10 ms, round robin over the processes, through the whole outage.
    const publisher = (async () => {
      while (traffic) {
        const group = clients[sequence % clients.length] as Client[];
        // Not awaited: a process whose Redis is down still acks at once (local delivery).
        void (group[0] as Client).command('all', { topic: 'live', text: `during ${sequence++}` });
        await sleep(10);
      }
    })();
    await sleep(300);
    const restarted = redis.port;
    await stopChild(redis.child, 'SIGKILL');
    await eventually(
      () => servers.every((server) => brokerErrors(server).length > 0),
      () => 'not every process reported the lost connection',
    );
    await sleep(500);
    redis = await startRedis(dir, restarted);
    // ioredis reconnects and re-issues the SUBSCRIBE by itself.
    await eventually(
      async () => (await numsub('live').catch(() => 0)) === servers.length,
      () => 'the processes did not resubscribe',
      20_000,
    );
    await sleep(300);
    traffic = false;
    await publisher;

    // After the restart: every publish reaches every subscriber exactly once again.
    for (const [index, group] of clients.entries()) {
      await (group[1] as Client).command('all', { topic: 'live', text: `after ${index}` });
    }
    await settle(all, () => 0);
    await eventually(
      () =>
        all.every(
          (client) => client.received.filter((text) => text.startsWith('after ')).length === 3,
        ),
      () => all.map((client) => client.received.filter((t) => t.startsWith('after '))).join(' | '),
    );
    await sleep(300);
    for (const client of all) {
      const after = client.received.filter((text) => text.startsWith('after '));
      expect(after.sort(), client.name).toEqual(['after 0', 'after 1', 'after 2']);
      // Redis pub/sub keeps nothing while it is down (at most once), but never duplicates.
      expect(new Set(client.received).size, client.name).toBe(client.received.length);
    }
    for (const server of servers) {
      expect(server.alive(), `${server.name}:\n${server.output()}`).toBe(true);
      expect(brokerErrors(server).some((message) => /connection/.test(message))).toBe(true);
    }
  });

  test('a server process killed with SIGKILL: the others keep publishing to each other', async () => {
    const { servers, clients } = await cluster(3, 2, 'survive');
    const [victim, ...survivors] = servers as [ServerProcess, ...ServerProcess[]];
    const [victimClients, ...survivorClients] = clients as [Client[], ...Client[][]];
    await victim.stop('SIGKILL');
    for (const client of victimClients) expect(await client.closed).toBe(1006);
    const remaining = survivorClients.flat();
    for (const [index, group] of survivorClients.entries()) {
      await (group[0] as Client).command('pub', { topic: 'survive', text: `peer ${index}` });
      await (group[1] as Client).command('all', { topic: 'survive', text: `server ${index}` });
    }
    const expectedFor = (client: Client) => {
      const texts: string[] = [];
      for (const [index, group] of survivorClients.entries()) {
        if (group[0] !== client) texts.push(`peer ${index}`);
        texts.push(`server ${index}`);
      }
      return texts.sort();
    };
    await settle(remaining, (client) => expectedFor(client).length);
    for (const client of remaining) {
      expect([...client.received].sort(), client.name).toEqual(expectedFor(client));
    }
    // Redis notices the dead connection: only the survivors stay subscribed.
    await eventually(
      async () => (await numsub('survive')) === 2,
      () => 'stale subscription',
    );
    for (const server of survivors) {
      expect(server.alive(), server.name).toBe(true);
      expect(brokerErrors(server), server.name).toEqual([]);
    }
  });
});
