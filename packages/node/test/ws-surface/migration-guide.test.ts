/**
 * Every row of the README's "Migrating from ws" guide, as a test of @wskit/node/ws: the ws
 * options and events it accepts, and each deliberate difference with the reason it states.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket, {
  type VerifyClientCallback,
  type VerifyClientInfo,
  WebSocketServer,
} from '../../src/ws/index.js';
import { closeCode, listening, nextText, Scope } from './helpers.js';

const scope = new Scope();
afterEach(() => scope.cleanup());

async function echoServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1', ...options }));
  wss.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
  );
  return { wss, url: await listening(wss) };
}

async function opened(url: string, ...args: unknown[]): Promise<WebSocket> {
  const ws = scope.client(new (WebSocket as new (...a: unknown[]) => WebSocket)(url, ...args));
  await once(ws, 'open');
  return ws;
}

async function refusal(
  url: string,
  options?: object,
): Promise<{ statusCode: number; headers: Record<string, string> }> {
  const ws = scope.client(new WebSocket(url, options as never));
  const [, response] = await once(ws, 'unexpected-response');
  return response;
}

describe('server options under their ws names', () => {
  test('maxPayload: a bigger message closes the connection with 1009', async () => {
    const { url } = await echoServer({ maxPayload: 1024 });
    const ws = await opened(url);
    ws.send(Buffer.alloc(1025));
    const [code] = await once(ws, 'close');
    expect(code).toBe(1009);
  });

  test('verifyClient(info) => false refuses with 401; its info has origin, secure and req', async () => {
    const seen: Array<{ origin: string | undefined; secure: boolean; path: string | undefined }> =
      [];
    const { url } = await echoServer({
      verifyClient: (info: {
        origin: string | undefined;
        secure: boolean;
        req: { url?: string };
      }) => {
        seen.push({ origin: info.origin, secure: info.secure, path: info.req.url });
        return info.origin === 'https://good.example';
      },
    });
    expect((await refusal(`${url}/x`, { origin: 'https://evil.example' })).statusCode).toBe(401);
    await opened(`${url}/y`, { origin: 'https://good.example' });
    expect(seen).toEqual([
      { origin: 'https://evil.example', secure: false, path: '/x' },
      { origin: 'https://good.example', secure: false, path: '/y' },
    ]);
  });

  test('verifyClient(info, callback): async, with a status, a message and headers', async () => {
    const { url } = await echoServer({
      verifyClient: (info: VerifyClientInfo, callback: VerifyClientCallback) => {
        setTimeout(() => {
          if (info.req.headers.authorization === 'Bearer good') callback(true);
          else callback(false, 403, 'Forbidden', { 'X-Reason': 'token' });
        }, 5);
      },
    });
    const refused = await refusal(url);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['x-reason']).toBe('token');
    await opened(url, { headers: { Authorization: 'Bearer good' } });
  });

  test('handleProtocols(protocols: Set, request) picks one; false picks none', async () => {
    const { url } = await echoServer({
      handleProtocols: (protocols: Set<string>) => (protocols.has('chat.v2') ? 'chat.v2' : false),
    });
    expect((await opened(url, ['chat.v1', 'chat.v2'])).protocol).toBe('chat.v2');
    expect((await opened(url, ['chat.v1'])).protocol).toBe('');
  });

  test('perMessageDeflate with ws keys, concurrencyLimit included', async () => {
    const { url } = await echoServer({
      perMessageDeflate: { threshold: 0, concurrencyLimit: 2, serverNoContextTakeover: true },
    });
    const ws = await opened(url);
    expect(ws.extensions).toMatch(/permessage-deflate/);
    ws.send('compressed both ways');
    expect(await nextText(ws)).toBe('compressed both ways');
  });

  test("clientTracking: false keeps no clients; 'headers' adds response headers", async () => {
    const { wss, url } = await echoServer({ clientTracking: false });
    wss.on('headers', (headers) => headers.push('Set-Cookie: visited=1'));
    const ws = scope.client(new WebSocket(url));
    // 'upgrade' comes right before 'open', in the same turn: listen for both first.
    const [[response]] = await Promise.all([once(ws, 'upgrade'), once(ws, 'open')]);
    expect(response.headers['set-cookie']).toBe('visited=1');
    expect(wss.clients.size).toBe(0);
  });

  test('path and backlog', async () => {
    const { url } = await echoServer({ path: '/chat', backlog: 16 });
    await opened(`${url}/chat`);
    expect((await refusal(`${url}/other`)).statusCode).toBe(404);
  });

  test('server.close(callback): the callback runs; unlike ws, open sockets get 1001 first', async () => {
    const { wss, url } = await echoServer();
    const ws = await opened(url);
    const closed = once(ws, 'close');
    await new Promise<void>((done) => wss.close(() => done()));
    expect((await closed)[0]).toBe(1001);
  });
});

describe('client: new WebSocket(address, protocols?, options?)', () => {
  test('CONNECTING, then open; subprotocols; the WebSocket constants', async () => {
    const { url } = await echoServer({
      handleProtocols: (protocols: Set<string>) => [...protocols][0] ?? false,
    });
    const ws = scope.client(new WebSocket(url, 'chat.v1'));
    expect([
      ws.readyState,
      ws.CONNECTING,
      WebSocket.OPEN,
      WebSocket.CLOSING,
      WebSocket.CLOSED,
    ]).toEqual([0, 0, 1, 2, 3]);
    expect(() => ws.send('too early')).toThrow(/not open yet/);
    await once(ws, 'open');
    expect([ws.readyState, ws.protocol]).toEqual([WebSocket.OPEN, 'chat.v1']);
  });

  test('binaryType: nodebuffer (default), arraybuffer, fragments; text stays a Buffer', async () => {
    const { url } = await echoServer();
    const ws = await opened(url);
    const next = async () => (await once(ws, 'message'))[0];
    ws.send(Uint8Array.of(1, 2));
    expect(Buffer.isBuffer(await next())).toBe(true);
    ws.binaryType = 'arraybuffer';
    ws.send(Uint8Array.of(1, 2));
    const arrayBuffer = await next();
    expect(arrayBuffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(arrayBuffer as ArrayBuffer)]).toEqual([1, 2]);
    ws.binaryType = 'fragments';
    ws.send(Uint8Array.of(3));
    expect(await next()).toEqual([Buffer.from([3])]);
    ws.send('text');
    expect(Buffer.isBuffer(await next())).toBe(true);
    expect(() => {
      ws.binaryType = 'blob' as never;
    }).toThrow(/binaryType must be one of/);
  });

  test("'unexpected-response' gets the answer; without a listener: 'error', then 'close' 1006", async () => {
    const server = createServer((_request, response) => response.end());
    server.on('upgrade', (_request, socket) => {
      socket.end('HTTP/1.1 418 Teapot\r\nX-Kind: pot\r\nContent-Length: 3\r\n\r\nyes');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    scope.onCleanup(() => new Promise<void>((done) => server.close(() => done())));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const listened = scope.client(new WebSocket(url));
    const [request, response] = await once(listened, 'unexpected-response');
    expect(request).toMatchObject({ method: 'GET' });
    expect(response).toMatchObject({ statusCode: 418, headers: { 'x-kind': 'pot' } });
    expect(String(response.body)).toBe('yes');

    const plain = scope.client(new WebSocket(url));
    const events: string[] = [];
    plain.on('error', (error) => events.push(`error ${error.message}`));
    const code = await closeCode(plain);
    expect(events).toEqual(['error Unexpected server response: 418 Teapot']);
    expect(code).toBe(1006);
  });

  test("followRedirects: a 'redirect' event, then open at the new URL", async () => {
    const { url } = await echoServer({ path: '/new' });
    const server = createServer();
    server.on('upgrade', (_request, socket) => {
      socket.end(`HTTP/1.1 302 Found\r\nLocation: ${url}/new\r\nContent-Length: 0\r\n\r\n`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    scope.onCleanup(() => new Promise<void>((done) => server.close(() => done())));
    const ws = scope.client(
      new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/old`, {
        followRedirects: true,
      }),
    );
    const [redirected] = await once(ws, 'redirect');
    expect(redirected).toBe(`${url}/new`);
    await once(ws, 'open');
    expect(ws.url).toBe(`${url}/new`);
  });

  test('close() or terminate() before open: error, then close 1006, as in ws', async () => {
    const { url } = await echoServer();
    for (const stop of ['close', 'terminate'] as const) {
      const ws = scope.client(new WebSocket(url));
      const errors: string[] = [];
      ws.on('error', (error) => errors.push(error.message));
      ws[stop]();
      const code = await closeCode(ws);
      expect([code, errors]).toEqual([
        1006,
        ['WebSocket was closed before the connection was established'],
      ]);
      expect(ws.readyState).toBe(WebSocket.CLOSED);
    }
  });

  test("ping and pong with ws's (data?, mask?, callback?) arguments; 'ping'/'pong' events", async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    const pinged = new Promise<string>((done) =>
      wss.on('connection', (ws) => ws.on('ping', (data) => done(String(data)))),
    );
    const ws = await opened(await listening(wss));
    const pong = once(ws, 'pong');
    await new Promise<void>((done, fail) =>
      ws.ping('hb', true, (error) => (error ? fail(error) : done())),
    );
    expect(await pinged).toBe('hb');
    expect(String((await pong)[0])).toBe('hb');
    await new Promise<void>((done) => ws.ping(() => done()));
    await new Promise<void>((done) => ws.pong('x', () => done()));
  });

  test('pause() holds messages until resume(); isPaused says so', async () => {
    const { url } = await echoServer();
    const ws = await opened(url);
    const received: string[] = [];
    ws.on('message', (data) => received.push(String(data)));
    ws.pause();
    expect(ws.isPaused).toBe(true);
    ws.send('held');
    await new Promise((done) => setTimeout(done, 50));
    expect(received).toEqual([]);
    ws.resume();
    await expect.poll(() => received).toEqual(['held']);
  });

  test('send after close does not throw (the callback gets the error); fin: false is refused', async () => {
    const { url } = await echoServer();
    const ws = await opened(url);
    expect(() => ws.send('x', { fin: false })).toThrow(/fin: false/);
    ws.close();
    expect(() => ws.send('late')).not.toThrow();
    const error = await new Promise((done) => ws.send('late', done));
    expect(error).toMatchObject({ code: 'WS_ERR_INVALID_STATE' });
  });
});

describe('deliberate differences, each refused by name with the reason', () => {
  test('skipUTF8Validation: true, autoPong: false, agent, protocolVersion 8', () => {
    expect(() => new WebSocket('ws://127.0.0.1:1', { skipUTF8Validation: true })).toThrow(
      /always validated \(RFC 6455 §8\.1\)/,
    );
    expect(() => new WebSocket('ws://127.0.0.1:1', { autoPong: false })).toThrow(/always answered/);
    expect(() => new WebSocket('ws://127.0.0.1:1', { agent: {} })).toThrow(
      /option agent is not supported/,
    );
    expect(() => new WebSocket('ws://127.0.0.1:1', { protocolVersion: 8 })).toThrow(/must be 13/);
    expect(() => new WebSocketServer({ noServer: true, skipUTF8Validation: true })).toThrow(
      /RFC 6455 §8\.1/,
    );
  });

  test('perMessageDeflate: true negotiates 12-bit windows with a ws client; 15 and true restore ws defaults', async () => {
    const { default: RealWebSocket } = await import('ws');
    const negotiated = async (perMessageDeflate: object | boolean): Promise<string> => {
      const { url } = await echoServer({ perMessageDeflate });
      const client = new RealWebSocket(url, { perMessageDeflate: true });
      try {
        // 'upgrade' comes right before 'open', in the same turn: listen for both first.
        const [[response]] = await Promise.all([once(client, 'upgrade'), once(client, 'open')]);
        client.send('x'.repeat(2000));
        const [data] = await once(client, 'message');
        expect(String(data)).toBe('x'.repeat(2000));
        return response.headers['sec-websocket-extensions'];
      } finally {
        client.terminate();
      }
    };
    expect(await negotiated(true)).toBe(
      'permessage-deflate; server_max_window_bits=12; client_max_window_bits=12',
    );
    expect(
      await negotiated({ serverMaxWindowBits: 15, clientMaxWindowBits: true, threshold: 0 }),
    ).toBe('permessage-deflate');
  });

  test('sends from a timer leave together when it ends; bufferedAmount counts them until then', async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    const connected = once(wss, 'connection');
    const client = await opened(await listening(wss));
    const [serverSide] = (await connected) as [WebSocket];
    const received: string[] = [];
    const both = new Promise((done) =>
      client.on('message', (data) => received.push(String(data)) === 2 && done(null)),
    );
    const held = await new Promise<number>((done) =>
      setTimeout(() => {
        serverSide.send('one');
        serverSide.send('two');
        done(serverSide.bufferedAmount);
      }, 1),
    );
    // Two unmasked frames of 3-byte payloads (RFC 6455 §5.2): ws would report 0 here.
    expect(held).toBe(2 * (2 + 3));
    expect(serverSide.bufferedAmount).toBe(0);
    await both;
    expect(received).toEqual(['one', 'two']);
  });

  test('a misspelt option still throws on the ws surface', () => {
    expect(() => new WebSocketServer({ noServer: true, maxPayLoad: 5 } as never)).toThrow(
      /unknown option maxPayLoad/,
    );
  });

  test("a failed connect with no 'error' listener does not crash the process (ws would)", async () => {
    const closedPort = await new Promise<number>((done) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => done(port));
      });
    });
    const ws = scope.client(new WebSocket(`ws://127.0.0.1:${closedPort}`));
    expect(await closeCode(ws)).toBe(1006);
  });
});

describe('the package shape: require() and import', () => {
  const execFileAsync = promisify(execFile);
  const packageDir = resolve(import.meta.dirname, '../..');

  test("require('@wskit/node/ws') is the WebSocket class, with Server and createWebSocketStream", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '-e',
        "const WebSocket = require('@wskit/node/ws'); console.log([typeof WebSocket, WebSocket.Server === WebSocket.WebSocketServer, typeof WebSocket.createWebSocketStream, WebSocket.OPEN].join(' '))",
      ],
      { cwd: packageDir },
    );
    expect(stdout.trim()).toBe('function true function 1');
  });

  test('import WebSocket, { WebSocketServer } from @wskit/node/ws', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import WebSocket, { WebSocketServer, WebSocket as Named } from '@wskit/node/ws'; console.log([WebSocket === Named, WebSocket.Server === WebSocketServer].join(' '))",
      ],
      { cwd: packageDir },
    );
    expect(stdout.trim()).toBe('true true');
  });
});
