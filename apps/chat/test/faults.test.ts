// Faults with real processes: two chat processes (the built dist/server/node.js) on one real
// redis-server. A chat process is SIGKILLed (its users move to the survivor and get what they
// missed), and Redis is restarted on the same port and data dir (the processes reconnect,
// re-subscribe, and cross-process delivery works again without a crash).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  captureOutput,
  startRedisServer,
  stopChild,
  waitForPort,
} from '@wskit/app-shared/test-processes';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { ChatClient } from './clients.js';
import { APP_DIR, freePort } from './processes.js';

interface Proc {
  port: number;
  child: ChildProcess;
  output(): string;
}

const children: ChildProcess[] = [];
const clients: ChatClient[] = [];
let redisDir: string;
let redisPort: number;
let redis: ChildProcess | undefined;

/** Same port and data dir every time; append-only file so rooms and history survive a restart. */
async function startRedis(): Promise<void> {
  redis = (await startRedisServer(redisPort, redisDir)).child;
}

async function startChat(): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(APP_DIR, 'dist', 'server', 'node.js')], {
    env: {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output = captureOutput(child);
  await waitForPort(port, child, output);
  return { port, child, output };
}

/** A reconnecting client's first step: the first URL of the list that accepts a connection. */
async function connectAny(procs: Proc[]): Promise<ChatClient> {
  let last: unknown;
  for (const proc of procs) {
    try {
      const client = await ChatClient.connect(`ws://127.0.0.1:${proc.port}/ws`);
      clients.push(client);
      return client;
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

function closed(client: ChatClient): Promise<void> {
  if (client.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => client.socket.once('close', () => resolve()));
}

let counter = 0;
async function say(client: ChatClient, room: string, text: string) {
  const id = `m${counter++}`;
  client.send({ v: 1, type: 'say', room, id, text });
  return client.next('ack', (ack) => ack.id === id);
}

beforeAll(async () => {
  redisDir = mkdtempSync(join(tmpdir(), 'wskit-chat-faults-'));
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
  test('a SIGKILLed process: the other keeps working, its users move over and catch up', async () => {
    const [a, b] = await Promise.all([startChat(), startChat()]);
    const ada = await connectAny([a, b]);
    const bob = await connectAny([b, a]);
    const dan = await connectAny([b, a]);
    ada.send({ v: 1, type: 'create', room: 'kill' });
    await ada.next('created');
    await ada.join('kill', 'ada', 'u-ada');
    await bob.join('kill', 'bob', 'u-bob');
    await dan.join('kill', 'dan', 'u-dan');
    const before = await say(bob, 'kill', 'before the crash');
    await ada.next('message', (m) => m.message.text === 'before the crash');
    const lastSeen = before.messageId;

    const adaGone = closed(ada);
    a.child.kill('SIGKILL');
    await adaGone;

    // The survivor's users still talk to each other.
    await say(bob, 'kill', 'while ada moves');
    expect(
      (await dan.next('message', (m) => m.message.text === 'while ada moves')).message.nick,
    ).toBe('bob');

    // Ada's client walks its URL list: the killed process refuses, the survivor accepts; the
    // join with lastSeen replays what she missed.
    const moved = await connectAny([a, b]);
    const rejoined = await moved.join('kill', 'ada', 'u-ada', lastSeen);
    expect(rejoined.replayed).toBe(true);
    expect(rejoined.history.map((m) => m.text)).toEqual(['while ada moves']);
    await say(dan, 'kill', 'welcome back');
    expect(
      (await moved.next('message', (m) => m.message.text === 'welcome back')).message.nick,
    ).toBe('dan');
    await say(moved, 'kill', 'ada again');
    await bob.next('message', (m) => m.message.text === 'ada again');
    expect(b.child.exitCode).toBeNull();
  });

  test('Redis restarted: both processes reconnect and re-subscribe; nobody crashes', async () => {
    const [c, d] = await Promise.all([startChat(), startChat()]);
    const cyd = await connectAny([c]);
    const eve = await connectAny([d]);
    await cyd.join('lobby', 'cyd', 'u-cyd');
    await eve.join('lobby', 'eve', 'u-eve');
    await say(cyd, 'lobby', 'before the restart');
    await eve.next('message', (m) => m.message.text === 'before the restart');

    await stopChild(redis);
    // While Redis is down a message fails clearly (an error reply), the socket stays open.
    cyd.send({ v: 1, type: 'say', room: 'lobby', id: 'down', text: 'lost' });
    expect(await cyd.next('error')).toMatchObject({ code: 'internal' });
    await new Promise((resolve) => setTimeout(resolve, 300));

    await startRedis();
    // Retry until both directions flow again (the backoff is at most a few hundred ms here).
    for (const [from, to] of [
      [cyd, eve],
      [eve, cyd],
    ] as const) {
      const deadline = Date.now() + 10_000;
      for (let attempt = 0; ; attempt++) {
        const text = `after ${counter}-${attempt}`;
        from.send({ v: 1, type: 'say', room: 'lobby', id: `r${counter}-${attempt}`, text });
        try {
          await to.next('message', (m) => m.message.text === text, 500);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
      counter++;
    }
    for (const proc of [c, d]) {
      expect(proc.child.exitCode).toBeNull();
      expect(proc.output()).toMatch(/re-established/);
    }
    for (const client of [cyd, eve]) expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });
});
