// ReconnectingWebSocket in headless Chromium over the browser's own WebSocket: the key
// scenarios of reconnecting-websocket.test.ts where the browser differs from Node (a refused
// handshake is only error + 1006, online/offline events exist), plus a WebSocketStream round
// trip over the native class. The module is bundled with esbuild (test/rs-helpers/
// browser-harness.ts) and served from http://127.0.0.1; the WebSocket server is a separate
// @wskit/node server so it can restart on its port while the page stays.
import { once } from 'node:events';
import * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type Browser, launchChromium } from './chromium.js';
import type { Harness, HarnessOptions } from './rs-helpers/browser-harness.js';
import { bundle } from './rs-helpers/bundle.js';
import { delay } from './rs-helpers/inbox.js';
import { TestServer } from './rs-helpers/server.js';

const PAGE =
  '<!doctype html><meta charset="utf-8"><script type="module" src="/harness.js"></script>';

let browser: Browser;
let httpServer: http.Server;
let server: TestServer;
let page: Page;

/** Typed calls into the page; each callback runs in Chromium and may use only its argument. */
const call = {
  open: (url: string, options: HarnessOptions = {}) =>
    page.evaluate(
      ([target, settings]) =>
        (globalThis as unknown as { harness: Harness }).harness.open(target, settings),
      [url, options] as const,
    ),
  send: (id: number, data: string) =>
    page.evaluate(
      ([socket, message]) =>
        (globalThis as unknown as { harness: Harness }).harness.send(socket, message),
      [id, data] as const,
    ),
  close: (id: number, code?: number, reason?: string) =>
    page.evaluate(
      ([socket, closeCode, closeReason]) =>
        (globalThis as unknown as { harness: Harness }).harness.close(
          socket,
          closeCode,
          closeReason,
        ),
      [id, code, reason] as const,
    ),
  state: (id: number) =>
    page.evaluate(
      (socket) => (globalThis as unknown as { harness: Harness }).harness.state(socket),
      id,
    ),
  waitFor: (id: number, prefix: string, count = 1, timeout = 5000) =>
    page.evaluate(
      ([socket, start, times, ms]) =>
        (globalThis as unknown as { harness: Harness }).harness.waitFor(socket, start, times, ms),
      [id, prefix, count, timeout] as const,
    ),
  closeAll: () =>
    page.evaluate(() => (globalThis as unknown as { harness: Harness }).harness.closeAll()),
  onLine: () =>
    page.evaluate(() => (globalThis as unknown as { harness: Harness }).harness.onLine()),
  streamRoundTrip: (url: string) =>
    page.evaluate(
      (target) => (globalThis as unknown as { harness: Harness }).harness.streamRoundTrip(target),
      url,
    ),
};

beforeAll(async () => {
  const entry = fileURLToPath(new URL('./rs-helpers/browser-harness.ts', import.meta.url));
  const script = await bundle(entry, 'browser');
  httpServer = http.createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (request.url === '/harness.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(script);
    } else {
      response.writeHead(404).end();
    }
  });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  const { port } = httpServer.address() as { port: number };
  server = await TestServer.start();
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => 'harness' in globalThis);
}, 30_000);

afterEach(async () => {
  await call.closeAll();
  await browser.context.setOffline(false);
  server.rejectStatus = undefined;
  if (!server.running) await server.listen();
  for (const peer of server.peers) peer.terminate();
  server.forget();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  httpServer?.closeAllConnections();
  await new Promise((resolve) => httpServer?.close(resolve));
});

describe('ReconnectingWebSocket in Chromium (native WebSocket)', () => {
  test('server restart: reconnects, sends the queued messages in order, reports each step', async () => {
    const id = await call.open(server.url, { initialDelay: 50, maxDelay: 200, jitter: 0 });
    await call.waitFor(id, 'open');
    await server.connections.next();
    await server.stop(1012);
    await call.waitFor(id, 'reconnecting 2');
    for (const message of ['q1', 'q2', 'q3']) await call.send(id, message);
    expect((await call.state(id)).queued).toBe(3);
    await server.listen();
    const connection = await server.connections.next();
    expect(await connection.messages.take(3)).toEqual(['q1', 'q2', 'q3']);
    const log = await call.waitFor(id, 'message q3');
    const reconnected = log.findIndex((line) => line.startsWith('reconnected'));
    expect(log.slice(0, 3)).toEqual(['open', 'close 1012 retry', 'reconnecting 1 50']);
    expect(log[reconnected - 1]).toBe('open');
    expect(log.slice(-3)).toEqual(['message q1', 'message q2', 'message q3']);
    await call.close(id);
  });

  test('a handshake refused with 401 (error + 1006 in a browser) does not loop', async () => {
    server.rejectStatus = 401;
    const before = server.handshakes;
    const id = await call.open(server.url, { initialDelay: 20, jitter: 0, maxRetries: 2 });
    const log = await call.waitFor(id, 'close 1006 final');
    expect(log).toEqual([
      'error',
      'close 1006 retry',
      'reconnecting 1 20',
      'error',
      'close 1006 retry',
      'reconnecting 2 40',
      'error',
      'close 1006 final',
    ]);
    await delay(300);
    expect(server.handshakes - before).toBe(3);
    expect((await call.state(id)).readyState).toBe(3);
  });

  test('shouldReconnect can stop at the first connection that never opened', async () => {
    server.rejectStatus = 403;
    const before = server.handshakes;
    const id = await call.open(server.url, { initialDelay: 20, stopIfNeverOpened: true });
    expect(await call.waitFor(id, 'close 1006 final')).toEqual(['error', 'close 1006 final']);
    await delay(200);
    expect(server.handshakes - before).toBe(1);
  });

  test('stop code 4001 from the server ends reconnecting', async () => {
    const id = await call.open(server.url, { initialDelay: 20 });
    await call.waitFor(id, 'open');
    (await server.connections.next()).peer.close(4001, 'unauthorized');
    expect(await call.waitFor(id, 'close')).toEqual(['open', 'close 4001 final']);
    const handshakes = server.handshakes;
    await delay(200);
    expect(server.handshakes).toBe(handshakes);
  });

  test('heartbeat detects a server that stops answering and reconnects', async () => {
    const id = await call.open(server.url, {
      initialDelay: 20,
      jitter: 0,
      heartbeat: { interval: 50, timeout: 300, ping: 'ping' },
    });
    await call.waitFor(id, 'open');
    const first = await server.connections.next();
    await first.messages.take(2);
    first.socket.pause();
    const log = await call.waitFor(id, 'open', 2);
    expect(log).toEqual(['open', 'close 4000 retry', 'reconnecting 1 20', 'open', 'reconnected 1']);
    await server.connections.next();
    first.peer.terminate();
    await call.close(id);
  });

  test('offline holds the retry; online retries at once', async () => {
    // A long backoff: only the 'online' event can explain a quick reconnect.
    const id = await call.open(server.url, { initialDelay: 30_000, jitter: 0 });
    await call.waitFor(id, 'open');
    const { peer } = await server.connections.next();
    await browser.context.setOffline(true);
    expect(await call.onLine()).toBe(false);
    peer.terminate();
    await call.waitFor(id, 'reconnecting 1');
    const handshakes = server.handshakes;
    await delay(200);
    expect(server.handshakes).toBe(handshakes);
    await browser.context.setOffline(false);
    await call.waitFor(id, 'open', 2);
    expect(server.handshakes).toBe(handshakes + 1);
    await call.close(id);
  });

  test('close() stops for good', async () => {
    const id = await call.open(server.url, { initialDelay: 20 });
    await call.waitFor(id, 'open');
    const { closes } = await server.connections.next();
    await call.close(id, 4100, 'bye');
    expect(await closes.next()).toEqual([4100, 'bye']);
    expect(await call.waitFor(id, 'close')).toEqual(['open', 'close 4100 final']);
    await server.stop();
    await server.listen();
    const handshakes = server.handshakes;
    await delay(200);
    expect(server.handshakes).toBe(handshakes);
  });
});

describe('WebSocketStream in Chromium (native WebSocket)', () => {
  test('writes, reads text and bytes, closes with a code', async () => {
    const result = call.streamRoundTrip(server.url);
    const { closes } = await server.connections.next();
    expect(await result).toEqual({
      text: 'stream text',
      bytes: [7, 8, 9],
      isUint8Array: true,
      closed: { closeCode: 4000, reason: 'done' },
    });
    expect(await closes.next()).toEqual([4000, 'done']);
  });
});
