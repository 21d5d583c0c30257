// Interop with headless Chromium's native WebSocket: a page served over http://127.0.0.1 by
// the same Node http server our WebSocketServer is attached to (a WebSocket opened from a
// data: page cannot reach loopback). Chromium always offers permessage-deflate; our server
// accepts it or not. The page (test/interop/page.html) compares every echo itself and hands
// plain results back through page.evaluate. One browser per file. A missing /usr/bin/chromium
// fails the suite: CI installs it. (An unmasked client frame cannot be provoked from a
// browser, so protocol-error cases live in the conformance suite, not here.)
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type WebSocket, WebSocketServer } from '../src/index.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  DEFLATE_MODES,
  fixture,
  Inbox,
  MIB,
  patternPayload,
  requireChromium,
} from './interop/helpers.js';

type CloseArgs = [code: number, reason: Buffer, wasClean: boolean];

interface Opened {
  id: number;
  extensions: string;
  protocol: string;
  url: string;
}

interface Echo {
  type: string;
  equal: boolean;
  length: number;
  text?: string;
}

interface Closed {
  code: number;
  reason: string;
  wasClean: boolean;
  readyState: number;
  errors: number;
}

type Spec =
  | { kind: 'text'; text: string }
  | { kind: 'repeated-text'; unit: string; count: number }
  | { kind: 'binary'; size: number };

/** window.interop in page.html. */
interface PageGlobal {
  interop: {
    open(url: string): Promise<Opened>;
    roundTrip(id: number, spec: Spec): Promise<Echo>;
    close(id: number, code?: number, reason?: string): Promise<Closed>;
    closed(id: number): Promise<Closed>;
  };
}

/**
 * Typed calls into the page. Each callback runs inside Chromium: it may use only its argument
 * (the cast to PageGlobal is a type, erased before Playwright serializes the function).
 */
const pageApi = (page: Page) => ({
  open: (url: string) =>
    page.evaluate((target) => (globalThis as unknown as PageGlobal).interop.open(target), url),
  roundTrip: (id: number, spec: Spec) =>
    page.evaluate(
      ([socket, payload]) =>
        (globalThis as unknown as PageGlobal).interop.roundTrip(socket, payload),
      [id, spec] as const,
    ),
  close: (id: number, code?: number, reason?: string) =>
    page.evaluate(
      ([socket, closeCode, closeReason]) =>
        (globalThis as unknown as PageGlobal).interop.close(socket, closeCode, closeReason),
      [id, code, reason] as const,
    ),
  closed: (id: number) =>
    page.evaluate((socket) => (globalThis as unknown as PageGlobal).interop.closed(socket), id),
});

/** 16 bytes of UTF-8 (13 UTF-16 units): 65,536 of them make exactly 1 MiB. */
const LARGE_TEXT_UNIT = 'ü✓ interop16 ';

const PAGE = readFileSync(fixture('page.html'));

let context: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  requireChromium();
  userDataDir = mkdtempSync(join(tmpdir(), 'wskit-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: 20_000,
  });
}, 25_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
});

describe.each(DEFLATE_MODES)('our server ↔ Chromium, $name', ({ deflate }) => {
  let httpServer: http.Server;
  let server: WebSocketServer;
  let page: Page;
  let api: ReturnType<typeof pageApi>;
  let url: string;
  const received: Array<[Buffer, boolean]> = [];
  let connections: Inbox<[WebSocket, http.IncomingMessage]>;

  beforeAll(async () => {
    httpServer = http.createServer((request, response) => {
      if (request.url === '/') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end(PAGE);
      } else {
        response.writeHead(404).end();
      }
    });
    server = new WebSocketServer({ server: httpServer, path: '/ws', perMessageDeflate: deflate });
    connections = new Inbox(server, 'connection');
    server.on('connection', (peer: WebSocket) => {
      peer.on('message', (data: Buffer, isBinary: boolean) => {
        received.push([Buffer.from(data), isBinary]);
        peer.send(isBinary ? data : data.toString('utf8'), () => {});
      });
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const { port } = httpServer.address() as { port: number };
    url = `ws://127.0.0.1:${port}/ws`;
    page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    api = pageApi(page);
  });

  afterAll(async () => {
    await page?.close();
    await server.close({ timeout: 1_000 });
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });

  async function open() {
    const opened = await api.open(url);
    const [peer, request] = await connections.next();
    const closes = new Inbox<CloseArgs>(peer, 'close', 'server close');
    received.length = 0;
    return { opened, peer, socket: request.socket as Socket, closes };
  }

  test('the extensions the page sees are the ones our server accepted (RFC 7692 §5)', async () => {
    const { opened, peer } = await open();
    expect(opened.protocol).toBe('');
    expect(opened.extensions).toBe(peer.extensions);
    if (deflate) expect(opened.extensions).toMatch(/^permessage-deflate(;|$)/);
    else expect(opened.extensions).toBe('');
    await api.close(opened.id, 1000);
  });

  test('text, ArrayBuffer and 1 MiB messages echo exactly, with their types', async () => {
    const { opened, socket } = await open();
    const texts = ['Hello, Chromium!', 'héllo wörld · ✓ 日本語 · 𝄞 🎉', ''];
    for (const text of texts) {
      expect(await api.roundTrip(opened.id, { kind: 'text', text })).toEqual({
        type: 'text',
        equal: true,
        length: text.length,
        text,
      });
    }
    const sizes = [0, 125, 126, 65_536, MIB];
    for (const size of sizes) {
      expect(await api.roundTrip(opened.id, { kind: 'binary', size })).toEqual({
        type: 'arraybuffer',
        equal: true,
        length: size,
      });
    }
    // 1 MiB of compressible UTF-8 text: the wire shows whether deflate ran.
    const large = { kind: 'repeated-text', unit: LARGE_TEXT_UNIT, count: MIB / 16 } as const;
    const readBefore = socket.bytesRead;
    const writtenBefore = socket.bytesWritten;
    expect(await api.roundTrip(opened.id, large)).toEqual({
      type: 'text',
      equal: true,
      length: large.count * LARGE_TEXT_UNIT.length,
    });
    const read = socket.bytesRead - readBefore;
    const written = socket.bytesWritten - writtenBefore;
    if (deflate) {
      expect(read).toBeLessThan(MIB / 50);
      expect(written).toBeLessThan(MIB / 50);
    } else {
      expect(read).toBeGreaterThan(MIB);
      expect(written).toBeGreaterThan(MIB);
    }

    // What the server received, in order, with the type the browser sent.
    expect(received.map(([data, isBinary]) => [isBinary, data.length])).toEqual([
      ...texts.map((text) => [false, Buffer.byteLength(text)]),
      ...sizes.map((size) => [true, size]),
      [false, MIB],
    ]);
    texts.forEach((text, index) => {
      expect((received[index] as [Buffer, boolean])[0].toString('utf8')).toBe(text);
    });
    sizes.forEach((size, index) => {
      const [data] = received[texts.length + index] as [Buffer, boolean];
      expect(Buffer.compare(data, patternPayload(size)), `binary ${size} B`).toBe(0);
    });
    await api.close(opened.id, 1000);
  });

  test('our server closes with 4000 and a reason: onclose reports it, wasClean', async () => {
    const { opened, peer, closes } = await open();
    peer.close(4000, 'server closing ✓');
    expect(await api.closed(opened.id)).toEqual({
      code: 4000,
      reason: 'server closing ✓',
      wasClean: true,
      readyState: 3,
      errors: 0,
    });
    const [code, reason, wasClean] = await closes.next();
    // Chromium answers with the code and the reason it received.
    expect({ code, reason: reason.toString(), wasClean }).toEqual({
      code: 4000,
      reason: 'server closing ✓',
      wasClean: true,
    });
  });

  test('the page closes with 4001 and a reason: our server reports it', async () => {
    const { opened, closes } = await open();
    const closed = await api.close(opened.id, 4001, 'page bye ✓');
    // The page reports our answer: the code and the reason echoed (RFC 6455 §5.5.1).
    expect(closed).toEqual({
      code: 4001,
      reason: 'page bye ✓',
      wasClean: true,
      readyState: 3,
      errors: 0,
    });
    const [code, reason, wasClean] = await closes.next();
    expect({ code, reason: reason.toString(), wasClean }).toEqual({
      code: 4001,
      reason: 'page bye ✓',
      wasClean: true,
    });
  });

  test('the page closes without a code: 1005 on both ends (RFC 6455 §7.1.5)', async () => {
    const { opened, closes } = await open();
    const closed = await api.close(opened.id);
    expect(closed).toEqual({ code: 1005, reason: '', wasClean: true, readyState: 3, errors: 0 });
    const [code, reason, wasClean] = await closes.next();
    expect({ code, reason: reason.toString(), wasClean }).toEqual({
      code: 1005,
      reason: '',
      wasClean: true,
    });
  });
});
