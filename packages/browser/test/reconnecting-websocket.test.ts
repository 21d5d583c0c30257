// ReconnectingWebSocket over real sockets on loopback, against @wskit/node's server, for each
// WebSocket class in test/rs-helpers/classes.ts: restarts, queued sends, stop codes, refused
// handshakes, the heartbeat against a server that stops answering, and close() leaving nothing
// that keeps Node alive (checked in a child process). Exact timing lives in
// reconnecting-schedule.test.ts; here delays are short and only their order matters.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type {
  ReconnectedEvent,
  ReconnectingCloseEvent,
  ReconnectingEvent,
} from '../src/reconnect-events.js';
import {
  type ReconnectCloseInfo,
  ReconnectingWebSocket,
  type ReconnectingWebSocketOptions,
} from '../src/reconnecting-websocket.js';
import { bundle } from './rs-helpers/bundle.js';
import { WEBSOCKET_CLASSES } from './rs-helpers/classes.js';
import { delay, Inbox } from './rs-helpers/inbox.js';
import { TestServer } from './rs-helpers/server.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(WEBSOCKET_CLASSES)('ReconnectingWebSocket over $name', ({ WebSocket }) => {
  let server: TestServer;
  const sockets: ReconnectingWebSocket[] = [];

  function connect(options: ReconnectingWebSocketOptions = {}, url = server.url) {
    const socket = new ReconnectingWebSocket(url, {
      WebSocket,
      initialDelay: 30,
      maxDelay: 200,
      jitter: 0,
      ...options,
    });
    sockets.push(socket);
    return {
      socket,
      opens: Inbox.ofTarget(socket, 'open'),
      messages: Inbox.ofTarget<MessageEvent>(socket, 'message'),
      closes: Inbox.ofTarget<ReconnectingCloseEvent>(socket, 'close'),
      reconnecting: Inbox.ofTarget<ReconnectingEvent>(socket, 'reconnecting'),
      reconnected: Inbox.ofTarget<ReconnectedEvent>(socket, 'reconnected'),
    };
  }

  beforeAll(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    server.rejectStatus = undefined;
    server.handshakeDelay = 0;
    if (!server.running) await server.listen();
    for (const peer of server.peers) peer.terminate();
    server.forget();
  });

  afterAll(async () => {
    await server.stop();
  });

  test('behaves as a WebSocket: open, echo of text and binary, url, binaryType', async () => {
    const { socket, opens, messages } = connect();
    socket.binaryType = 'arraybuffer';
    await opens.next();
    expect(socket.readyState).toBe(ReconnectingWebSocket.OPEN);
    expect(socket.url).toBe(server.url);
    expect(socket.protocol).toBe('');
    socket.send('héllo ✓');
    expect((await messages.next()).data).toBe('héllo ✓');
    socket.send(new Uint8Array([1, 2, 3]));
    const binary = (await messages.next()).data as ArrayBuffer;
    expect(binary).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(binary)]).toEqual([1, 2, 3]);
  });

  test('server restart: the client comes back and sends what was queued, in order', async () => {
    const { socket, opens, closes, reconnecting, reconnected, messages } = connect();
    await opens.next();
    const first = await server.connections.next();
    await server.stop(1012);
    expect((await closes.next()).code).toBe(1012);
    expect((await reconnecting.next()).attempt).toBe(1);
    // Down: attempts are refused; sends wait in the queue.
    socket.send('queued 1');
    socket.send('queued 2');
    socket.send('queued 3');
    expect(socket.queuedMessages).toBe(3);
    expect((await reconnecting.next()).attempt).toBe(2);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    await server.listen();
    await opens.next();
    const second = await server.connections.next();
    expect(second.peer).not.toBe(first.peer);
    expect(await second.messages.take(3)).toEqual(['queued 1', 'queued 2', 'queued 3']);
    const event = await reconnected.next();
    expect(event.attempt).toBeGreaterThanOrEqual(2);
    expect(socket.readyState).toBe(ReconnectingWebSocket.OPEN);
    expect(socket.queuedMessages).toBe(0);
    // The echoes of the queued messages come back on the new connection.
    expect((await messages.take(3)).map((message) => message.data)).toEqual([
      'queued 1',
      'queued 2',
      'queued 3',
    ]);
  });

  test('a dropped TCP connection (no close frame) reconnects too', async () => {
    const { opens, closes } = connect();
    await opens.next();
    const { peer } = await server.connections.next();
    peer.terminate();
    const close = await closes.next();
    expect([close.code, close.wasClean, close.willReconnect]).toEqual([1006, false, true]);
    await opens.next();
  });

  test.each([
    [4001, 'unauthorized'],
    [1008, 'policy'],
  ])('close code %i from the server stops reconnecting', async (code, reason) => {
    const { socket, opens, closes } = connect();
    await opens.next();
    const { peer } = await server.connections.next();
    const handshakes = server.handshakes;
    peer.close(code, reason);
    const close = await closes.next();
    expect([close.code, close.reason, close.willReconnect]).toEqual([code, reason, false]);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    // The server ended it: a late send (a reply computed meanwhile) is discarded, not thrown.
    expect(() => socket.send('late')).not.toThrow();
    await delay(150);
    expect(server.handshakes).toBe(handshakes);
  });

  test('shouldReconnect: false stops', async () => {
    const seen: Array<[number, boolean, number]> = [];
    const { opens, closes } = connect({
      shouldReconnect: ({ code, opened }, attempt) => {
        seen.push([code, opened, attempt]);
        return false;
      },
    });
    await opens.next();
    (await server.connections.next()).peer.close(1011, 'bug');
    expect((await closes.next()).willReconnect).toBe(false);
    expect(seen).toEqual([[1011, true, 1]]);
  });

  test('a handshake refused with 401 does not loop: maxRetries caps it, backoff spaces it', async () => {
    server.rejectStatus = 401;
    const before = server.handshakes;
    const { socket, closes, reconnecting, opens } = connect({ maxRetries: 3, initialDelay: 20 });
    const final = await waitForFinalClose(closes);
    expect([final.code, final.wasClean]).toEqual([1006, false]);
    expect(reconnecting.all.map((event) => [event.attempt, event.delay])).toEqual([
      [1, 20],
      [2, 40],
      [3, 80],
    ]);
    expect(opens.all).toEqual([]);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    await delay(300);
    expect(server.handshakes - before).toBe(4);
  });

  test('a handshake refused with 403: shouldReconnect can stop on the first never-opened close', async () => {
    server.rejectStatus = 403;
    const before = server.handshakes;
    const infos: ReconnectCloseInfo[] = [];
    const { closes } = connect({
      shouldReconnect: (info) => {
        infos.push(info);
        return info.opened;
      },
    });
    const final = await waitForFinalClose(closes);
    expect(final.code).toBe(1006);
    expect(infos).toHaveLength(1);
    expect(infos[0]?.opened).toBe(false);
    // Node classes say why in the error; browsers cannot (only error + 1006).
    if (infos[0]?.error instanceof Error) expect(infos[0].error.message).toMatch(/403/);
    await delay(150);
    expect(server.handshakes - before).toBe(1);
  });

  test('heartbeat: a server that stops answering is detected, closed with 4000, and replaced', async () => {
    const { opens, closes, messages } = connect({
      heartbeat: {
        interval: 50,
        timeout: 300,
        message: 'ping',
        isPong: (event) => event.data === 'ping',
      },
    });
    await opens.next();
    const first = await server.connections.next();
    // The pings echo back and are consumed as pongs: no 'message' event.
    await first.messages.take(2);
    expect(messages.all).toEqual([]);
    // Half-open as the client sees it: the server reads nothing and answers nothing, the TCP
    // connection stays up.
    first.socket.pause();
    const close = await closes.next();
    expect([close.code, close.reason, close.wasClean, close.willReconnect]).toEqual([
      4000,
      'heartbeat timeout',
      false,
      true,
    ]);
    await opens.next();
    const second = await server.connections.next();
    await second.messages.next();
    first.peer.terminate();
  });

  test('a handshake that hangs past connectTimeout is abandoned and retried', async () => {
    server.handshakeDelay = 400;
    const { opens, closes } = connect({ connectTimeout: 100 });
    const close = await closes.next();
    expect([close.code, close.reason, close.willReconnect]).toEqual([
      1006,
      'connect timeout',
      true,
    ]);
    server.handshakeDelay = 0;
    await opens.next();
  });

  test('close() stops for good: nothing reconnects when the server comes back', async () => {
    const { socket, opens, closes } = connect();
    await opens.next();
    const { closes: serverCloses } = await server.connections.next();
    socket.close(4100, 'leaving');
    expect(await serverCloses.next()).toEqual([4100, 'leaving']);
    const close = await closes.next();
    expect([close.code, close.reason, close.willReconnect]).toEqual([4100, 'leaving', false]);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    // Sending after one's own close() is a bug of the caller, whatever the timing.
    expect(() => socket.send('late')).toThrow(/send after close\(\)/);
    const handshakes = server.handshakes;
    await delay(150);
    expect(server.handshakes).toBe(handshakes);
  });

  test('close() while waiting to retry: no attempt follows', async () => {
    const { socket, opens, reconnecting, closes } = connect({ initialDelay: 100 });
    await opens.next();
    await server.stop();
    await reconnecting.next();
    socket.close();
    const final = await waitForFinalClose(closes);
    expect(final.willReconnect).toBe(false);
    await server.listen();
    const handshakes = server.handshakes;
    await delay(300);
    expect(server.handshakes).toBe(handshakes);
  });
});

async function waitForFinalClose(closes: Inbox<ReconnectingCloseEvent>) {
  for (;;) {
    const event = await closes.next();
    if (!event.willReconnect) return event;
  }
}

describe('no timers are left after close(): the process exits on its own', () => {
  let folder: string;
  let script: string;
  let server: TestServer;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'wskit-rws-exit-'));
    script = join(folder, 'exit-child.cjs');
    const entry = fileURLToPath(new URL('./rs-helpers/exit-child.ts', import.meta.url));
    writeFileSync(script, await bundle(entry, 'node'));
    server = await TestServer.start();
  });

  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await server.stop();
  });

  function run(url: string, scenario: string, webSocketClass: string) {
    const child = spawn(process.execPath, [script, url, scenario, webSocketClass], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    return new Promise<{ code: number | null; output: string; exited: boolean }>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: null, output, exited: false });
      }, 8000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output, exited: true });
      });
    });
  }

  describe.each(['ws', 'ours'])('with the %s class', (webSocketClass) => {
    test('after an open connection with a heartbeat is closed', async () => {
      const result = await run(server.url, 'open', webSocketClass);
      expect(result).toEqual({ code: 0, output: 'closed\n', exited: true });
    });

    test('after close() during the wait between retries', async () => {
      const url = `ws://127.0.0.1:${await closedPort()}/`;
      const result = await run(url, 'waiting', webSocketClass);
      expect(result).toEqual({ code: 0, output: 'closed\n', exited: true });
    });
  });
});
