/**
 * The cap on live zlib streams (`LiveStreamPool`) against real peers: with a pool of 2 streams
 * and 6 connections taking turns, every connection's streams are freed between its messages
 * and rebuilt from the kept window. Context takeover must still hold in both directions: a
 * message repeated on the same connection crosses the wire as a few bytes of back references
 * (checked on a byte-counting TCP relay) and comes back byte-exact. Peers: ws (in process) and
 * Python's websockets (/usr/bin/python3, test/interop/python_deflate_rounds.py).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import {
  connect,
  LiveStreamPool,
  type WebSocket,
  WebSocketServer,
  zlibStreamPool,
} from '../src/index.js';
import { WebSocketServer as WsSurfaceServer } from '../src/ws/index.js';
import { TestScope, type WsClient, wsUrl } from './helpers/server.js';
import {
  fixture,
  JsonLines,
  PYTHON,
  requirePythonWebsockets,
  withTimeout,
} from './interop/helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const CONNECTIONS = 6;
const CAPACITY = 2;
/** Base64 of 2,250 random bytes: compresses to about 3/4 alone, to a few bytes when repeated. */
const freshMessage = (): string => randomBytes(2250).toString('base64');

// ---------------------------------------------------------------------------------------------
// A TCP relay that counts bytes: what the compressed frames really cost on the wire.

interface Relay {
  port: number;
  /** Bytes from the clients to the server, and back, so far. */
  counts(): { up: number; down: number };
}

async function countingRelay(targetPort: number): Promise<Relay> {
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const server = createConnection(targetPort, '127.0.0.1');
    sockets.add(client).add(server);
    client.on('data', (chunk: Buffer) => {
      up += chunk.length;
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      down += chunk.length;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) socket.on('close', end).on('error', end);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  scope.defer(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => relay.close(resolve));
  });
  return { port: (relay.address() as AddressInfo).port, counts: () => ({ up, down }) };
}

// ---------------------------------------------------------------------------------------------
// Rounds: every connection sends a fresh message, or repeats its last one.

type Kind = 'fresh' | 'repeat';
type Mode = 'sequential' | 'fragmented' | 'burst';
const ROUNDS: ReadonlyArray<{ kind: Kind; mode: Mode }> = [
  { kind: 'fresh', mode: 'sequential' },
  { kind: 'repeat', mode: 'sequential' },
  { kind: 'fresh', mode: 'fragmented' },
  { kind: 'repeat', mode: 'sequential' },
  { kind: 'fresh', mode: 'burst' },
  { kind: 'repeat', mode: 'burst' },
  { kind: 'repeat', mode: 'fragmented' },
];

/** Runs one round; resolves with the payload bytes sent and the connections whose echo differed. */
type RoundRunner = (
  round: number,
  kind: Kind,
  mode: Mode,
) => Promise<{ payload: number; mismatches: number[] }>;

interface RoundFigures {
  kind: Kind;
  mode: Mode;
  payload: number;
  up: number;
  down: number;
  evicted: number;
  liveAfter: number;
  mismatches: number[];
}

async function runRounds(
  relay: Relay,
  pool: LiveStreamPool,
  runRound: RoundRunner,
  rounds: ReadonlyArray<{ kind: Kind; mode: Mode }> = ROUNDS,
): Promise<RoundFigures[]> {
  const figures: RoundFigures[] = [];
  for (const [round, { kind, mode }] of rounds.entries()) {
    const before = relay.counts();
    const evictedBefore = pool.evicted;
    const { payload, mismatches } = await runRound(round, kind, mode);
    const after = relay.counts();
    figures.push({
      kind,
      mode,
      payload,
      up: after.up - before.up,
      down: after.down - before.down,
      evicted: pool.evicted - evictedBefore,
      liveAfter: pool.size,
      mismatches,
    });
  }
  return figures;
}

/** With context takeover: repeats cost a few bytes per message both ways, fresh ones most of theirs. */
function expectTakeoverAcrossEvictions(figures: RoundFigures[]): void {
  expectTakeover(figures);
  for (const round of figures) {
    const context = JSON.stringify(round);
    // Taking turns, every connection needs streams another connection's had to give up.
    if (round.mode !== 'burst') expect(round.evicted, context).toBeGreaterThanOrEqual(CONNECTIONS);
    expect(round.liveAfter, context).toBeLessThanOrEqual(CAPACITY);
  }
}

/** Repeats cost a few bytes per message both ways, fresh ones most of theirs. */
function expectTakeover(figures: RoundFigures[]): void {
  for (const round of figures) {
    const context = JSON.stringify(round);
    expect(round.mismatches, context).toEqual([]);
    if (round.kind === 'fresh') {
      expect(round.up, context).toBeGreaterThan(0.6 * round.payload);
      expect(round.down, context).toBeGreaterThan(0.6 * round.payload);
    } else {
      // 6 messages of 3,000 bytes: a back reference each, plus frame headers (and masks).
      expect(round.up, context).toBeLessThan(0.05 * round.payload);
      expect(round.down, context).toBeLessThan(0.05 * round.payload);
    }
  }
}

/** Without context takeover every message stands alone, and no stream outlives its message. */
function expectNoTakeover(figures: RoundFigures[]): void {
  for (const round of figures) {
    const context = JSON.stringify(round);
    expect(round.mismatches, context).toEqual([]);
    expect(round.up, context).toBeGreaterThan(0.6 * round.payload);
    expect(round.down, context).toBeGreaterThan(0.6 * round.payload);
    expect(round.liveAfter, context).toBe(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Peers

function echo(socket: { on: WebSocket['on']; send: WebSocket['send'] }): void {
  socket.on('message', (data: Buffer, isBinary: boolean) =>
    socket.send(isBinary ? data : data.toString()),
  );
}

/**
 * `syncMaxBytes: 0` unless `zlib` says otherwise: every message on a zlib stream, the pool's
 * business. `zlib: {}` leaves the package's default.
 */
async function ourServer(
  pool: LiveStreamPool,
  noContextTakeover: boolean,
  zlib: { syncMaxBytes?: number } = { syncMaxBytes: 0 },
) {
  const server = await scope.server({
    perMessageDeflate: {
      streamPool: pool,
      ...zlib,
      serverNoContextTakeover: noContextTakeover,
      clientNoContextTakeover: noContextTakeover,
    },
  });
  server.on('connection', echo);
  return server;
}

/** A text message at a time from something with ws-style `message` events. */
function messages(socket: { on(event: 'message', listener: (data: Buffer) => void): unknown }) {
  const queue: string[] = [];
  const waiting: Array<(text: string) => void> = [];
  socket.on('message', (data: Buffer) => {
    const text = data.toString();
    const next = waiting.shift();
    if (next === undefined) queue.push(text);
    else next(text);
  });
  return (): Promise<string> => {
    const text = queue.shift();
    return withTimeout(
      text !== undefined ? Promise.resolve(text) : new Promise((resolve) => waiting.push(resolve)),
      'echo',
    );
  };
}

/** Round runner for ws-style clients (`send(text, { fin })`). */
function wsStyleRounds(
  clients: Array<{ send(data: string, options: { fin: boolean }): void }>,
  nextOf: Array<() => Promise<string>>,
): RoundRunner {
  let last: string[] = [];
  const exchange = async (index: number, fragmented: boolean): Promise<string> => {
    const client = clients[index] as (typeof clients)[number];
    const message = last[index] as string;
    if (fragmented) {
      const third = Math.floor(message.length / 3);
      client.send(message.slice(0, third), { fin: false });
      client.send(message.slice(third, 2 * third), { fin: false });
      client.send(message.slice(2 * third), { fin: true });
    } else {
      client.send(message, { fin: true });
    }
    return (nextOf[index] as () => Promise<string>)();
  };
  return async (_round, kind, mode) => {
    if (kind === 'fresh') last = clients.map(freshMessage);
    let replies: string[];
    if (mode === 'burst') {
      replies = await Promise.all(clients.map((_, index) => exchange(index, false)));
    } else {
      replies = [];
      for (const index of clients.keys()) {
        replies.push(await exchange(index, mode === 'fragmented'));
      }
    }
    const mismatches = replies.flatMap((reply, index) => (reply === last[index] ? [] : [index]));
    return { payload: last.reduce((sum, message) => sum + message.length, 0), mismatches };
  };
}

async function wsClients(port: number): Promise<WsClient[]> {
  const clients: WsClient[] = [];
  for (let index = 0; index < CONNECTIONS; index++) {
    clients.push(await scope.client(wsUrl(port), undefined, { perMessageDeflate: true }));
  }
  for (const client of clients) expect(client.extensions).toMatch(/^permessage-deflate/);
  return clients;
}

// ---------------------------------------------------------------------------------------------

describe(`our server with a pool of ${CAPACITY} streams, ${CONNECTIONS} ws clients`, () => {
  test('context takeover survives every eviction, both ways, byte-exact (fragmented and burst too)', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const server = await ourServer(pool, false);
    const relay = await countingRelay(server.port);
    const clients = await wsClients(relay.port);
    const figures = await runRounds(relay, pool, wsStyleRounds(clients, clients.map(messages)));
    expectTakeoverAcrossEvictions(figures);
  });

  test('no context takeover: unaffected, every message stands alone, no stream left alive', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const server = await ourServer(pool, true);
    const relay = await countingRelay(server.port);
    // ws's `extensions` names the extension without parameters: the rounds below show the
    // negotiated no context takeover (a repeat costs as much as the original).
    const clients = await wsClients(relay.port);
    const figures = await runRounds(relay, pool, wsStyleRounds(clients, clients.map(messages)));
    expectNoTakeover(figures);
  });
});

describe(`our client with a pool of ${CAPACITY} streams, ${CONNECTIONS} connections to a ws server`, () => {
  test('context takeover survives every eviction, both ways, byte-exact', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const wsServer = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    scope.defer(() => new Promise((resolve) => wsServer.close(resolve)));
    await once(wsServer, 'listening');
    wsServer.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    const relay = await countingRelay((wsServer.address() as AddressInfo).port);
    const clients: WebSocket[] = [];
    for (let index = 0; index < CONNECTIONS; index++) {
      const client = await connect(wsUrl(relay.port), {
        perMessageDeflate: { streamPool: pool, syncMaxBytes: 0 },
      });
      scope.defer(() => client.terminate());
      expect(client.extensions).toMatch(/^permessage-deflate/);
      clients.push(client);
    }
    // Our client sends whole messages; fragmentation is covered on the server side.
    const rounds = ROUNDS.map(({ kind, mode }) => ({
      kind,
      mode: mode === 'fragmented' ? ('sequential' as const) : mode,
    }));
    const runner = wsStyleRounds(
      clients.map((client) => ({ send: (data: string) => client.send(data) })),
      clients.map(messages),
    );
    expectTakeoverAcrossEvictions(await runRounds(relay, pool, runner, rounds));
  });
});

describe(`our server with a pool of ${CAPACITY} streams, ${CONNECTIONS} Python websockets clients`, () => {
  beforeAll(() => {
    requirePythonWebsockets();
  });

  let python: ChildProcessWithoutNullStreams | undefined;
  let stderr = '';
  afterAll(async () => {
    if (python !== undefined && python.exitCode === null) python.kill('SIGKILL');
  });

  async function pythonRounds(port: number, takeover: boolean): Promise<RoundRunner> {
    stderr = '';
    const child = spawn(PYTHON, [
      fixture('python_deflate_rounds.py'),
      wsUrl(port),
      String(CONNECTIONS),
      takeover ? 'takeover' : 'no-takeover',
    ]);
    python = child;
    const events = new JsonLines();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => events.feed(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', () => events.end());
    scope.defer(async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'close');
      child.stdin.end(`${JSON.stringify({ quit: true })}\n`);
      await withTimeout(exited, 'python_deflate_rounds.py exit').catch(() => child.kill('SIGKILL'));
    });
    const opened = await events
      .waitFor('open', (event) => event.event === 'open', 10_000)
      .catch((error: Error) => {
        throw new Error(`${error.message}\npython_deflate_rounds.py stderr:\n${stderr}`);
      });
    for (const extensions of opened.extensions as string[][]) {
      expect(extensions.join()).toMatch(/PerMessageDeflate/);
    }
    return async (round, kind, mode) => {
      child.stdin.write(`${JSON.stringify({ round, kind, mode })}\n`);
      const result = await events.waitFor(
        `round ${round}`,
        (event) => event.event === 'round' && event.round === round,
      );
      return { payload: result.payload as number, mismatches: result.mismatches as number[] };
    };
  }

  test('context takeover survives every eviction, both ways, byte-exact (fragmented and burst too)', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const server = await ourServer(pool, false);
    const relay = await countingRelay(server.port);
    const figures = await runRounds(relay, pool, await pythonRounds(relay.port, true));
    expectTakeoverAcrossEvictions(figures);
    expect(stderr).toBe('');
  });

  test('no context takeover: unaffected, every message stands alone, no stream left alive', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const server = await ourServer(pool, false);
    const relay = await countingRelay(server.port);
    const figures = await runRounds(relay, pool, await pythonRounds(relay.port, false));
    expectNoTakeover(figures);
    expect(stderr).toBe('');
  });
});

describe('the streamPool option', () => {
  test('is checked when the server or client is created, naming the option', async () => {
    expect(
      () => new WebSocketServer({ noServer: true, perMessageDeflate: { streamPool: 4 } as never }),
    ).toThrow(/perMessageDeflate\.streamPool must be a LiveStreamPool/);
    expect(
      () =>
        new WebSocketServer({
          noServer: true,
          perMessageDeflate: { streamPools: zlibStreamPool } as never,
        }),
    ).toThrow(/streamPools.*did you mean streamPool/);
    await expect(
      connect('ws://127.0.0.1:9/', { perMessageDeflate: { streamPool: {} as never } }),
    ).rejects.toThrow(/perMessageDeflate\.streamPool must be a LiveStreamPool/);
  });

  test('the ws-shaped server takes it next to ws names (concurrencyLimit)', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const server = new WsSurfaceServer({
      port: 0,
      host: '127.0.0.1',
      perMessageDeflate: { concurrencyLimit: 2, streamPool: pool, syncMaxBytes: 0 },
    });
    scope.defer(() => new Promise((resolve) => server.close(() => resolve(undefined))));
    await once(server, 'listening');
    server.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    const client = await scope.client(wsUrl((server.address() as AddressInfo).port), undefined, {
      perMessageDeflate: true,
    });
    const next = messages(client);
    const message = freshMessage();
    client.send(message);
    expect(await next()).toBe(message);
    expect(pool.size).toBeGreaterThan(0);
  });
});

describe(`our server with the default syncMaxBytes (one zlib call per message), ${CONNECTIONS} ws clients`, () => {
  test('context takeover holds on the wire, byte-exact, and no zlib stream is ever made', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const server = await ourServer(pool, false, {});
    const relay = await countingRelay(server.port);
    const clients = await wsClients(relay.port);
    const figures = await runRounds(relay, pool, wsStyleRounds(clients, clients.map(messages)));
    expectTakeover(figures);
    for (const round of figures) {
      expect([round.evicted, round.liveAfter], JSON.stringify(round)).toEqual([0, 0]);
    }
  });
});

describe('the syncMaxBytes option', () => {
  test('is checked when the server or client is created, naming the option', async () => {
    for (const value of [-1, 0.5, '4096', null]) {
      expect(
        () =>
          new WebSocketServer({
            noServer: true,
            perMessageDeflate: { syncMaxBytes: value as never },
          }),
      ).toThrow(/perMessageDeflate\.syncMaxBytes must be a non-negative integer or Infinity/);
    }
    await expect(
      connect('ws://127.0.0.1:9/', { perMessageDeflate: { syncMaxBytes: -1 } }),
    ).rejects.toThrow(/perMessageDeflate\.syncMaxBytes must be a non-negative integer or Infinity/);
  });

  test('by default a message up to 64 KiB never reaches a zlib stream; one above does', async () => {
    const pool = new LiveStreamPool(CAPACITY, 60_000);
    const server = await scope.server({ perMessageDeflate: { streamPool: pool } });
    server.on('connection', echo);
    const client = await scope.client(wsUrl(server.port), undefined, { perMessageDeflate: true });
    const next = messages(client);
    for (const size of [100, 64 * 1024]) {
      const message = 'x'.repeat(size - 6) + randomBytes(3).toString('hex');
      client.send(message);
      expect(await next()).toBe(message);
    }
    expect(pool.size).toBe(0);
    const large = 'y'.repeat(64 * 1024 + 1);
    client.send(large);
    expect(await next()).toBe(large);
    // ws compressed the message on its stream; ours inflated and compressed it on two.
    expect(pool.size).toBe(2);
  });
});
