// Headless Chromium's native WebSocket over HTTP/2 (RFC 8441): the page comes over HTTP/2 from
// a Node http2.createSecureServer our WebSocketServer is attached to; Chromium then opens its
// `wss://` WebSockets as extended CONNECT streams of an HTTP/2 connection, because the server
// advertises SETTINGS_ENABLE_CONNECT_PROTOCOL. The server side asserts every peer arrived as
// an HTTP/2 stream (`peer.request.httpVersion === '2.0'`), all on one session. Browsers need TLS for
// HTTP/2, so this page is https://127.0.0.1 with the test certificate, accepted through
// --ignore-certificate-errors. A missing /usr/bin/chromium fails the suite.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type NodeUpgradeRequest, type Peer, WebSocketServer } from '../src/index.js';
import { TLS_CERT, TLS_KEY } from './helpers/server.js';
import { CHROMIUM, CHROMIUM_ARGS, MIB, requireChromium } from './interop/helpers.js';

const PAGE = '<!doctype html><meta charset="utf-8"><title>wskit over HTTP/2</title>';

let context: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  requireChromium();
  userDataDir = mkdtempSync(join(tmpdir(), 'wskit-chromium-h2-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'],
    timeout: 20_000,
  });
}, 25_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
});

interface PageResult {
  extensions: string[];
  echoes: Array<{ size: number; equal: boolean; type: string }>;
  text: string;
  closes: Array<{ code: number; reason: string; wasClean: boolean }>;
}

/**
 * Runs in the page: opens `count` WebSockets, echoes binary messages of `sizes` on each (a
 * pattern compared byte by byte), one text message, then closes the first with 4000 and asks
 * the server to close the others with 4001. Only its arguments may be used in here.
 */
async function runInPage([url, count, sizes]: [string, number, number[]]): Promise<PageResult> {
  const pattern = (size: number) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
    return bytes;
  };
  const next = (socket: WebSocket) =>
    new Promise<MessageEvent>((resolve) =>
      socket.addEventListener('message', resolve, { once: true }),
    );
  const sockets = await Promise.all(
    Array.from({ length: count }, () => {
      const socket = new WebSocket(url);
      socket.binaryType = 'arraybuffer';
      return new Promise<WebSocket>((resolve, reject) => {
        socket.onopen = () => resolve(socket);
        socket.onerror = () => reject(new Error('WebSocket failed to open'));
      });
    }),
  );
  const echoes: PageResult['echoes'] = [];
  for (const socket of sockets) {
    for (const size of sizes) {
      const sent = pattern(size);
      const reply = next(socket);
      socket.send(sent);
      const event = await reply;
      const got = new Uint8Array(event.data as ArrayBuffer);
      let equal = got.length === sent.length;
      for (let i = 0; equal && i < got.length; i++) equal = got[i] === sent[i];
      echoes.push({ size, equal, type: typeof event.data === 'string' ? 'text' : 'binary' });
    }
  }
  const textReply = next(sockets[0] as WebSocket);
  (sockets[0] as WebSocket).send('héllo über h2 ✓');
  const text = String((await textReply).data);
  const closes = await Promise.all(
    sockets.map(
      (socket, index) =>
        new Promise<PageResult['closes'][number]>((resolve) => {
          socket.onclose = (event) =>
            resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean });
          if (index === 0) socket.close(4000, 'page says bye');
          else socket.send('close-me');
        }),
    ),
  );
  return { extensions: sockets.map((socket) => socket.extensions), echoes, text, closes };
}

describe('our server ↔ Chromium over HTTP/2 (RFC 8441)', () => {
  let httpServer: http2.Http2SecureServer;
  let server: WebSocketServer;
  let page: Page;
  let port: number;
  const pageVersions: string[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  /** The sessions the extended CONNECT streams came on. */
  const connectSessions = new Set<http2.Http2Session>();
  const requests: NodeUpgradeRequest[] = [];
  const serverCloses: number[] = [];
  const refusals: Array<number | undefined> = [];

  beforeAll(async () => {
    httpServer = http2.createSecureServer(
      { key: TLS_KEY, cert: TLS_CERT, allowHTTP1: true },
      (request, response) => {
        // Chromium may also ask for /favicon.ico, sooner or later: only the page counts.
        if (request.url === '/') pageVersions.push(request.httpVersion);
        if (request.url === '/') {
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          response.end(PAGE);
        } else {
          response.writeHead(404);
          response.end();
        }
      },
    );
    httpServer.on('session', (session) => sessions.add(session));
    httpServer.on('stream', (stream, headers) => {
      if (headers[':method'] === 'CONNECT' && stream.session !== undefined)
        connectSessions.add(stream.session);
    });
    server = new WebSocketServer({
      server: httpServer,
      path: '/ws',
      perMessageDeflate: true,
      hooks: {
        upgrade(request) {
          // RFC 6455 §4.2.2 / RFC 8441 §5: a refusal is an ordinary HTTP status.
          if (request.url.endsWith('?deny')) return { status: 403 };
          return undefined;
        },
        open(peer: Peer) {
          requests.push(peer.request as NodeUpgradeRequest);
        },
        message(peer, message) {
          if (!message.isBinary && message.text() === 'close-me') {
            peer.close(4001, 'server says bye');
            return;
          }
          peer.send(message.isBinary ? message.bytes() : message.text());
        },
        close(_peer, details) {
          serverCloses.push(details.code);
        },
      },
    });
    server.on('wsClientError', (error) => refusals.push((error as { status?: number }).status));
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    port = (httpServer.address() as AddressInfo).port;
    page = await context.newPage();
    await page.goto(`https://127.0.0.1:${port}/`);
  });

  afterAll(async () => {
    await page?.close();
    await server.close({ timeout: 1_000 });
    for (const session of sessions) session.destroy();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });

  test('several WebSockets arrive as h2 streams of one session; echoes up to 8 MiB with deflate; close codes', async () => {
    expect(pageVersions).toEqual(['2.0']);
    const sizes = [0, 125, 126, 65_535, 65_536, MIB, 8 * MIB];
    const result = await page.evaluate(runInPage, [`wss://127.0.0.1:${port}/ws`, 3, sizes] as [
      string,
      number,
      number[],
    ]);
    // The server side saw three extended CONNECT streams, multiplexed on one HTTP/2 session
    // (Chromium may keep it apart from the page's own connection).
    expect(requests.map((request) => [request.httpVersion, request.method])).toEqual([
      ['2.0', 'CONNECT'],
      ['2.0', 'CONNECT'],
      ['2.0', 'CONNECT'],
    ]);
    expect(requests.every((request) => request.origin === `https://127.0.0.1:${port}`)).toBe(true);
    expect(connectSessions.size).toBe(1);
    for (const extensions of result.extensions) expect(extensions).toMatch(/^permessage-deflate/);
    expect(result.echoes).toHaveLength(3 * sizes.length);
    expect(result.echoes.every((echo) => echo.equal && echo.type === 'binary')).toBe(true);
    expect(result.text).toBe('héllo über h2 ✓');
    expect(result.closes).toEqual([
      { code: 4000, reason: 'page says bye', wasClean: true },
      { code: 4001, reason: 'server says bye', wasClean: true },
      { code: 4001, reason: 'server says bye', wasClean: true },
    ]);
    await expect.poll(() => [...serverCloses].sort()).toEqual([4000, 4001, 4001]);
  }, 60_000);

  test('a refused CONNECT: the page sees the WebSocket fail, the server answered with the status', async () => {
    const outcome = await page.evaluate(
      (url) =>
        new Promise<{ error: boolean; code: number }>((resolve) => {
          const socket = new WebSocket(url);
          let error = false;
          socket.onerror = () => {
            error = true;
          };
          socket.onclose = (event) => resolve({ error, code: event.code });
        }),
      `wss://127.0.0.1:${port}/ws?deny`,
    );
    expect(outcome).toEqual({ error: true, code: 1006 });
    expect(refusals).toEqual([403]);
  });
});
