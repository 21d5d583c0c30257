// Faults with real processes: two push servers (the built dist/server/node.js) on one real
// redis-server. One server is SIGKILLed (its subscribers move to the survivor and get what was
// published meanwhile, in sequence order), and Redis is restarted on the same port and data dir
// (the servers reconnect and re-subscribe by themselves; delivery across them works again).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  captureOutput,
  startRedisServer,
  stopChild,
  waitForPort,
} from '@wskit/app-shared/test-processes';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { buildServer } from '../scripts/build.mjs';
import { Client, notify, TOKEN } from './helpers.js';
import { freePort } from './redis.js';

const entry = fileURLToPath(new URL('../dist/server/node.js', import.meta.url));

interface Proc {
  url: string;
  ws: string;
  child: ChildProcess;
  output(): string;
}

const children: ChildProcess[] = [];
const clients: Client[] = [];
let redisDir: string;
let redisPort: number;
let redis: ChildProcess | undefined;

/** Same port and data dir every time; append-only file so sequence numbers survive a restart. */
async function startRedis(): Promise<void> {
  redis = (await startRedisServer(redisPort, redisDir)).child;
}

async function startPush(): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      PUSH_TOKEN: TOKEN,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output = captureOutput(child);
  await waitForPort(port, child, output);
  const url = `http://127.0.0.1:${port}`;
  return { url, ws: `ws://127.0.0.1:${port}/ws`, child, output };
}

/** A reconnecting client's first step: the first server of the list that accepts. */
async function connectAny(procs: Proc[]): Promise<Client> {
  let last: unknown;
  for (const proc of procs) {
    try {
      const client = await Client.connect(proc.ws);
      clients.push(client);
      return client;
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

async function subscribe(client: Client, topic: string, after?: number): Promise<void> {
  const count = client.of('subscribed').length;
  client.send({
    v: 1,
    type: 'subscribe',
    topics: [after === undefined ? { topic } : { topic, after }],
  });
  await client.waitFor(() => client.of('subscribed').length > count);
}

const seqs = (client: Client, topic: string) =>
  client
    .of('notification')
    .filter((n) => n.topic === topic)
    .map((n) => n.seq);

beforeAll(async () => {
  await buildServer();
  redisDir = mkdtempSync(`${tmpdir()}/push-faults-`);
  redisPort = await freePort();
  await startRedis();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await Promise.all(children.map((child) => stopChild(child)));
  await stopChild(redis);
  rmSync(redisDir, { recursive: true, force: true });
});

describe('faults', () => {
  test('a SIGKILLed server: the other keeps delivering, its subscribers move and replay in order', async () => {
    const [a, b] = await Promise.all([startPush(), startPush()]);
    const alice = await connectAny([a, b]);
    const bob = await connectAny([b, a]);
    await subscribe(alice, 'kill');
    await subscribe(bob, 'kill');
    for (const [index, via] of [a, b].entries())
      expect((await notify(via.url, { topic: 'kill', title: `k${index + 1}` })).status).toBe(202);
    await alice.waitFor(() => seqs(alice, 'kill').length === 2);
    const lastSeen = Math.max(...seqs(alice, 'kill'));

    const aliceGone = new Promise((resolve) => alice.socket.once('close', resolve));
    a.child.kill('SIGKILL');
    await aliceGone;

    // The survivor keeps accepting and delivering while alice moves.
    for (const title of ['k3', 'k4', 'k5'])
      expect((await notify(b.url, { topic: 'kill', title })).json.seq).toBeGreaterThan(2);
    await bob.waitFor(() => seqs(bob, 'kill').length === 5);

    // Alice's client walks its list (the killed server refuses) and resumes after lastSeen.
    const moved = await connectAny([a, b]);
    await subscribe(moved, 'kill', lastSeen);
    await moved.waitFor(() => seqs(moved, 'kill').length === 3);
    await notify(b.url, { topic: 'kill', title: 'k6' });
    await moved.waitFor(() => seqs(moved, 'kill').length === 4);
    expect(moved.of('notification').map((n) => [n.seq, n.title])).toEqual([
      [3, 'k3'],
      [4, 'k4'],
      [5, 'k5'],
      [6, 'k6'],
    ]);
    await bob.waitFor(() => seqs(bob, 'kill').length === 6);
    expect(seqs(bob, 'kill')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(b.child.exitCode).toBeNull();
  });

  test('Redis restarted: both servers reconnect and re-subscribe; nobody crashes', async () => {
    const [c, d] = await Promise.all([startPush(), startPush()]);
    const onC = await connectAny([c]);
    const onD = await connectAny([d]);
    await subscribe(onC, 'restart');
    await subscribe(onD, 'restart');
    expect((await notify(c.url, { topic: 'restart', title: 'r1' })).status).toBe(202);
    await onD.waitFor(() => seqs(onD, 'restart').length === 1);

    await stopChild(redis);
    // While Redis is down a notification is refused clearly (nothing half-accepted).
    const refused = await notify(c.url, { topic: 'restart', title: 'refused' });
    expect(refused.status).toBe(500);
    expect(String(refused.json.error)).toMatch(/Redis unavailable/);
    onC.send({ v: 1, type: 'ping' });
    await onC.waitFor(() => onC.of('pong').length === 1);

    await startRedis();
    // Retry each direction until accepted and delivered across processes.
    let accepted = 1;
    for (const [via, reader] of [
      [c, onD],
      [d, onC],
    ] as const) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = await notify(via.url, { topic: 'restart', title: `r${accepted + 1}` });
        if (answer.status === 202) {
          accepted = Number(answer.json.seq);
          try {
            await reader.waitFor(() => seqs(reader, 'restart').includes(accepted), 500);
            break;
          } catch {}
        }
        if (Date.now() > deadline)
          throw new Error(`no delivery after the restart: ${answer.status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    // One more after the outage, read as the final count.
    accepted = Number((await notify(c.url, { topic: 'restart', title: 'last' })).json.seq);
    // Every accepted notification reached both readers, once each and in order.
    const all = Array.from({ length: accepted }, (_, index) => index + 1);
    for (const reader of [onC, onD]) {
      await reader.waitFor(() => seqs(reader, 'restart').length === accepted);
      expect(seqs(reader, 'restart')).toEqual(all);
      expect(reader.socket.readyState).toBe(WebSocket.OPEN);
    }
    for (const proc of [c, d]) {
      expect(proc.child.exitCode).toBeNull();
      expect(proc.output()).toMatch(/re-established/);
    }
  });
});
