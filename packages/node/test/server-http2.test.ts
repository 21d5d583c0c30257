// WebSockets over HTTP/2 (RFC 8441): the wskit server on http2 streams, the wskit client
// (`connect(url, { http2 })`) as its peer, over TLS (h2) and cleartext (h2c); HTTP/1.1
// upgrades on the same port; refusals with the hook's status; resets, dying sessions and
// GOAWAY during traffic. Chromium as the second peer lives in interop-chromium-h2.test.ts.
import { once } from 'node:events';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import {
  connect,
  type NodeUpgradeRequest,
  type Peer,
  UnexpectedResponseError,
  type WebSocket,
  WebSocketServer,
} from '../src/index.js';
import { WebSocketServer as WsFaceServer } from '../src/ws/index.js';
import { deferred, TestScope, TLS_CERT, TLS_KEY, WsClient } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const TLS_CLIENT = { rejectUnauthorized: false };
const MIB = 1024 * 1024;

/** An echo server that records how every peer arrived. */
function echoHooks(seen: NodeUpgradeRequest[]) {
  return {
    open(peer: Peer) {
      seen.push(peer.request as NodeUpgradeRequest);
    },
    message(peer: Peer, message: { isBinary: boolean; bytes(): Uint8Array; text(): string }) {
      peer.send(message.isBinary ? message.bytes() : message.text());
    },
  };
}

async function standaloneHttp2(
  options: Partial<ConstructorParameters<typeof WebSocketServer>[0]> = {},
) {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    http2: true,
    tls: { key: TLS_KEY, cert: TLS_CERT },
    ...options,
  });
  scope.defer(() => server.close({ timeout: 200 }));
  await once(server, 'listening');
  return server;
}

async function open(url: string, options: Parameters<typeof connect>[1] = {}) {
  const ws = await connect(url, { tls: TLS_CLIENT, ...options });
  scope.defer(() => ws.terminate());
  return ws;
}

function nextMessage(ws: WebSocket<undefined>): Promise<[Buffer, boolean]> {
  return once(ws, 'message') as Promise<[Buffer, boolean]>;
}

function pattern(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

describe('RFC 8441 server, standalone http2: true with TLS', () => {
  test('the wskit client opens a WebSocket as an h2 stream: echoes up to 8 MiB with deflate', async () => {
    const seen: NodeUpgradeRequest[] = [];
    const server = await standaloneHttp2({ perMessageDeflate: true, hooks: echoHooks(seen) });
    const ws = await open(`wss://127.0.0.1:${server.port}/echo?x=1`, { http2: 'require' });
    // The server's default 12-bit windows (DEFAULT_SERVER_WINDOW_BITS), as on HTTP/1.1.
    expect(ws.extensions).toBe(
      'permessage-deflate; server_max_window_bits=12; client_max_window_bits=12',
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]?.httpVersion).toBe('2.0');
    expect(seen[0]?.method).toBe('CONNECT');
    expect(seen[0]?.url).toBe(`wss://127.0.0.1:${server.port}/echo?x=1`);
    // The WHATWG Headers view leaves the pseudo-headers out.
    expect(seen[0]?.headers.get('sec-websocket-version')).toBe('13');
    for (const size of [0, 125, 126, 65_535, 65_536, MIB, 8 * MIB]) {
      const payload = pattern(size);
      const echoed = nextMessage(ws);
      ws.send(payload);
      const [data, isBinary] = await echoed;
      expect(isBinary).toBe(true);
      expect(data.equals(payload)).toBe(true);
    }
    const text = nextMessage(ws);
    ws.send('héllo');
    expect((await text)[0].toString()).toBe('héllo');
  });

  test('close codes travel both ways; the stream ends after the closing handshake', async () => {
    const serverClosed = deferred<{ code: number; reason: string }>();
    const server = await standaloneHttp2({
      hooks: {
        message(peer, message) {
          if (message.text() === 'close-me') peer.close(4001, 'as asked');
        },
        close(_peer, details) {
          serverClosed.resolve({ code: details.code, reason: details.reason });
        },
      },
    });
    const first = await open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' });
    const firstClosed = once(first, 'close');
    first.send('close-me');
    const [code, reason, wasClean] = (await firstClosed) as [number, Buffer, boolean];
    expect([code, reason.toString(), wasClean]).toEqual([4001, 'as asked', true]);
    expect(await serverClosed.promise).toEqual({ code: 4001, reason: 'as asked' });

    const second = await open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' });
    const peerClosed = new Promise<number>((resolve) => {
      for (const peer of server.clients) peer.once('close', (peerCode) => resolve(peerCode));
    });
    second.close(4002, 'client says');
    expect(await peerClosed).toBe(4002);
  });

  test('100 WebSockets share one HTTP/2 session', async () => {
    const httpServer = http2.createSecureServer({ key: TLS_KEY, cert: TLS_CERT });
    const seen: NodeUpgradeRequest[] = [];
    const server = new WebSocketServer({ server: httpServer, hooks: echoHooks(seen) });
    const sessions = new Set<http2.ServerHttp2Session>();
    httpServer.on('session', (session) => sessions.add(session));
    scope.defer(async () => {
      await server.close({ timeout: 200 });
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    const sockets = await Promise.all(
      // A TLS options object written inline each time: equal options share the session.
      Array.from({ length: 100 }, () =>
        open(`wss://127.0.0.1:${port}/many`, {
          http2: 'require',
          tls: { rejectUnauthorized: false },
        }),
      ),
    );
    expect(seen).toHaveLength(100);
    expect(seen.every((request) => request.httpVersion === '2.0')).toBe(true);
    expect(sessions.size).toBe(1);
    const echoes = await Promise.all(
      sockets.map(async (ws, index) => {
        const echoed = nextMessage(ws);
        ws.send(`n${index}`);
        return (await echoed)[0].toString();
      }),
    );
    expect(echoes).toEqual(sockets.map((_, index) => `n${index}`));
  });

  test('HTTP/1.1 upgrades keep working on the same port (ALPN http/1.1)', async () => {
    const seen: NodeUpgradeRequest[] = [];
    const server = await standaloneHttp2({ hooks: echoHooks(seen) });
    const wskit = await open(`wss://127.0.0.1:${server.port}/h1`);
    const viaWs = await scope.client(`wss://127.0.0.1:${server.port}/h1`, undefined, TLS_CLIENT);
    expect(seen.map((request) => request.httpVersion)).toEqual(['1.1', '1.1']);
    const echoed = nextMessage(wskit);
    wskit.send('over h1');
    expect((await echoed)[0].toString()).toBe('over h1');
    const wsEcho = once(viaWs, 'message');
    viaWs.send('ws over h1');
    expect(String((await wsEcho)[0])).toBe('ws over h1');
    expect(viaWs).toBeInstanceOf(WsClient);
  });

  test("a refused CONNECT gets the hook's status, headers and body", async () => {
    const server = await standaloneHttp2({
      hooks: {
        upgrade(request) {
          if (request.headers.get('authorization') !== 'Bearer ok') {
            return new Response('who are you?', {
              status: 401,
              headers: { 'www-authenticate': 'Bearer' },
            });
          }
          return undefined;
        },
      },
    });
    const refused = await connect(`wss://127.0.0.1:${server.port}/`, {
      http2: 'require',
      tls: TLS_CLIENT,
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UnexpectedResponseError);
    const error = refused as UnexpectedResponseError;
    expect(error.status).toBe(401);
    expect(error.headers.get('www-authenticate')).toBe('Bearer');
    expect(error.body.toString()).toBe('who are you?');
    const accepted = await open(`wss://127.0.0.1:${server.port}/`, {
      http2: 'require',
      headers: { authorization: 'Bearer ok' },
    });
    expect(accepted.readyState).toBe(1);
  });

  test('a malformed extended CONNECT gets 400/426 and the server carries on', async () => {
    const server = await standaloneHttp2({ hooks: echoHooks([]) });
    const session = http2.connect(`https://127.0.0.1:${server.port}`, TLS_CLIENT);
    scope.defer(() => session.destroy());
    await once(session, 'remoteSettings');
    const statusOf = async (headers: http2.OutgoingHttpHeaders) => {
      const stream = session.request(headers, { endStream: false });
      const [response] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
      stream.destroy();
      return response[':status'];
    };
    const base = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':authority': `127.0.0.1:${server.port}`,
      ':path': '/',
    };
    expect(await statusOf(base)).toBe(400); // no sec-websocket-version
    expect(await statusOf({ ...base, 'sec-websocket-version': '8' })).toBe(426);
    expect(await statusOf({ ...base, 'sec-websocket-version': '13' })).toBe(200);
  });
});

describe('RFC 8441 server attached to a user http2 server', () => {
  test('h2c (http2.createServer): ws:// over cleartext HTTP/2, 100 WebSockets on one session', async () => {
    const httpServer = http2.createServer();
    const seen: NodeUpgradeRequest[] = [];
    const server = new WebSocketServer({ server: httpServer, hooks: echoHooks(seen) });
    const sessions = new Set<http2.ServerHttp2Session>();
    httpServer.on('session', (session) => sessions.add(session));
    scope.defer(async () => {
      await server.close({ timeout: 200 });
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    const sockets = await Promise.all(
      Array.from({ length: 100 }, () => open(`ws://127.0.0.1:${port}/plain`, { http2: 'require' })),
    );
    expect(sessions.size).toBe(1);
    expect(seen).toHaveLength(100);
    expect(seen.every((request) => request.httpVersion === '2.0')).toBe(true);
    expect(seen[0]?.url).toBe(`ws://127.0.0.1:${port}/plain`);
    const ws = sockets[0] as WebSocket<undefined>;
    const echoed = nextMessage(ws);
    ws.send(pattern(100_000));
    expect((await echoed)[0].equals(pattern(100_000))).toBe(true);
    const closed = once(ws, 'close');
    ws.close();
    await closed;
  });

  test('one TLS port: the page over h2 from the user handler, WebSockets over h2 and h1', async () => {
    const httpServer = http2.createSecureServer(
      { key: TLS_KEY, cert: TLS_CERT, allowHTTP1: true },
      (request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end(`page over HTTP/${request.httpVersion}`);
      },
    );
    const seen: NodeUpgradeRequest[] = [];
    const server = new WebSocketServer({ server: httpServer, path: '/ws', hooks: echoHooks(seen) });
    const sessions = new Set<http2.ServerHttp2Session>();
    httpServer.on('session', (session) => sessions.add(session));
    scope.defer(async () => {
      await server.close({ timeout: 200 });
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;

    // The page, on its own HTTP/2 client session.
    const pageSession = http2.connect(`https://127.0.0.1:${port}`, TLS_CLIENT);
    scope.defer(() => pageSession.destroy());
    const page = pageSession.request({ ':path': '/' });
    let body = '';
    page.setEncoding('utf8');
    for await (const chunk of page) body += chunk;
    expect(body).toBe('page over HTTP/2.0');

    const overH2 = await open(`wss://127.0.0.1:${port}/ws`, { http2: 'require' });
    const overH1 = await open(`wss://127.0.0.1:${port}/ws`);
    expect(seen.map((request) => request.httpVersion)).toEqual(['2.0', '1.1']);
    for (const ws of [overH2, overH1]) {
      const echoed = nextMessage(ws);
      ws.send('same hooks');
      expect((await echoed)[0].toString()).toBe('same hooks');
    }
    // A CONNECT for another path is not ours: 404 from the router.
    const refused = await connect(`wss://127.0.0.1:${port}/elsewhere`, {
      http2: 'require',
      tls: TLS_CLIENT,
    }).catch((error: unknown) => error);
    expect((refused as UnexpectedResponseError).status).toBe(404);
  });
});

describe('RFC 8441 server in noServer mode, and plain requests', () => {
  test('handleStream(stream, headers) from your own stream listener', async () => {
    const httpServer = http2.createServer({ settings: { enableConnectProtocol: true } });
    const seen: NodeUpgradeRequest[] = [];
    const server = new WebSocketServer({ noServer: true, hooks: echoHooks(seen) });
    const handed: string[] = [];
    httpServer.on('stream', (stream, headers) => {
      if (headers[':method'] === 'CONNECT' && headers[':protocol'] === 'websocket') {
        server.handleStream(stream, headers, (peer, request) => {
          handed.push(`${peer.id !== ''} ${request.httpVersion}`);
        });
      }
    });
    const sessions = new Set<http2.ServerHttp2Session>();
    httpServer.on('session', (session) => sessions.add(session));
    scope.defer(async () => {
      await server.close({ timeout: 200 });
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    const ws = await open(`ws://127.0.0.1:${port}/`, { http2: 'require' });
    expect(handed).toEqual(['true 2.0']);
    const echoed = nextMessage(ws);
    ws.send('by hand');
    expect((await echoed)[0].toString()).toBe('by hand');
  });

  test('a plain HTTP/2 request to the standalone server gets 426 without HTTP/1.1 headers', async () => {
    const server = await standaloneHttp2();
    const session = http2.connect(`https://127.0.0.1:${server.port}`, TLS_CLIENT);
    scope.defer(() => session.destroy());
    const stream = session.request({ ':path': '/' });
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    let body = '';
    stream.setEncoding('utf8');
    for await (const chunk of stream) body += chunk;
    expect(headers[':status']).toBe(426);
    expect(headers.upgrade).toBeUndefined();
    expect(body).toContain('WebSocket only');
  });

  test('option http2 is checked', () => {
    expect(() => new WebSocketServer({ noServer: true, http2: true })).toThrow(
      'option http2 needs port',
    );
    expect(() => new WebSocketServer({ port: 0, http2: 'yes' as never })).toThrow(
      'option http2 must be a boolean',
    );
  });
});

describe('RFC 8441 with the ws-style face (@wskit/node/ws)', () => {
  test('verifyClient judges h2 streams too; connection gets the request view', async () => {
    const httpServer = http2.createSecureServer({ key: TLS_KEY, cert: TLS_CERT, allowHTTP1: true });
    const infos: Array<{ secure: boolean; cookie: unknown; version: unknown; url: unknown }> = [];
    const server = new WsFaceServer({
      server: httpServer,
      verifyClient: (info: {
        secure: boolean;
        req: { headers: Record<string, unknown>; httpVersion: string; url?: string };
      }) => {
        infos.push({
          secure: info.secure,
          cookie: info.req.headers.cookie,
          version: info.req.httpVersion,
          url: info.req.url,
        });
        return info.req.headers.cookie === 'session=ok';
      },
    });
    const versions: string[] = [];
    server.on('connection', (socket, request) => {
      versions.push((request as unknown as NodeUpgradeRequest).httpVersion);
      socket.on('message', (data) => socket.send(data.toString()));
    });
    const sessions = new Set<http2.ServerHttp2Session>();
    httpServer.on('session', (session) => sessions.add(session));
    scope.defer(async () => {
      await server.close();
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    const refused = await connect(`wss://127.0.0.1:${port}/v`, {
      http2: 'require',
      tls: TLS_CLIENT,
    }).catch((error: unknown) => error);
    expect((refused as UnexpectedResponseError).status).toBe(401);
    const ws = await open(`wss://127.0.0.1:${port}/v`, {
      http2: 'require',
      headers: { cookie: 'session=ok' },
    });
    const echoed = nextMessage(ws);
    ws.send('verified');
    expect((await echoed)[0].toString()).toBe('verified');
    expect(infos).toEqual([
      { secure: true, cookie: undefined, version: '2.0', url: '/v' },
      { secure: true, cookie: 'session=ok', version: '2.0', url: '/v' },
    ]);
    expect(versions).toEqual(['2.0']);
  });
});

describe('RFC 8441 client fallback', () => {
  test('http2: true falls back to HTTP/1.1 on an HTTP/1.1-only server; require refuses', async () => {
    const seen: NodeUpgradeRequest[] = [];
    const server = await scope.server({
      tls: { key: TLS_KEY, cert: TLS_CERT },
      hooks: echoHooks(seen),
    });
    const ws = await open(`wss://127.0.0.1:${server.port}/`, { http2: true });
    expect(seen[0]?.httpVersion).toBe('1.1');
    expect(ws.readyState).toBe(1);
    const refused = await connect(`wss://127.0.0.1:${server.port}/`, {
      http2: 'require',
      tls: TLS_CLIENT,
    }).catch((error: unknown) => error);
    expect((refused as { code?: string }).code).toBe('WS_ERR_CONNECTION_FAILED');
    expect(String((refused as Error).message)).toContain('does not offer WebSockets over HTTP/2');
  });

  test('an HTTP/2 server without SETTINGS_ENABLE_CONNECT_PROTOCOL: fallback to its HTTP/1.1 upgrade', async () => {
    const httpServer = http2.createSecureServer({ key: TLS_KEY, cert: TLS_CERT, allowHTTP1: true });
    const seen: NodeUpgradeRequest[] = [];
    const server = new WebSocketServer({ noServer: true, hooks: echoHooks(seen) });
    httpServer.on('upgrade', (request, socket, head) =>
      server.handleUpgrade(request, socket, head),
    );
    const sessions = new Set<http2.ServerHttp2Session>();
    httpServer.on('session', (session) => sessions.add(session));
    scope.defer(async () => {
      await server.close({ timeout: 200 });
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    await open(`wss://127.0.0.1:${port}/`, { http2: true });
    expect(seen.map((request) => request.httpVersion)).toEqual(['1.1']);
    const refused = await connect(`wss://127.0.0.1:${port}/`, {
      http2: 'require',
      tls: TLS_CLIENT,
    }).catch((error: unknown) => error);
    expect(String((refused as Error).message)).toContain('SETTINGS_ENABLE_CONNECT_PROTOCOL');
  });

  test('http2 must be true, false or require', async () => {
    await expect(connect('wss://127.0.0.1:1/', { http2: 'yes' as never })).rejects.toThrow(
      "option http2 must be true, false or 'require'",
    );
  });
});

describe('RFC 8441 failures: resets, dead sessions, GOAWAY', () => {
  test('a stream reset by the client is a 1006 for that peer only', async () => {
    const closes: number[] = [];
    const seen: NodeUpgradeRequest[] = [];
    const server = await standaloneHttp2({
      hooks: { ...echoHooks(seen), close: (_peer, details) => void closes.push(details.code) },
    });
    const doomed = await open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' });
    const survivor = await open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' });
    const clientClosed = once(doomed, 'close');
    doomed.terminate(); // destroy() on the stream: RST_STREAM
    expect(((await clientClosed) as [number])[0]).toBe(1006);
    await expect.poll(() => closes).toEqual([1006]);
    const echoed = nextMessage(survivor);
    survivor.send('still here');
    expect((await echoed)[0].toString()).toBe('still here');
  });

  test('a session that dies closes every peer on it with 1006 and nothing crashes', async () => {
    const closes: number[] = [];
    const addresses: Array<string | undefined> = [];
    const server = await standaloneHttp2({
      hooks: {
        close: (peer, details) => {
          // The session is gone by now: the address was kept.
          addresses.push(peer.request.remoteAddress);
          closes.push(details.code);
        },
      },
    });
    const session = http2.connect(`https://127.0.0.1:${server.port}`, TLS_CLIENT);
    await once(session, 'remoteSettings');
    const streams = [1, 2, 3].map(() =>
      session.request(
        {
          ':method': 'CONNECT',
          ':protocol': 'websocket',
          ':scheme': 'https',
          ':authority': `127.0.0.1:${server.port}`,
          ':path': '/',
          'sec-websocket-version': '13',
        },
        { endStream: false },
      ),
    );
    await Promise.all(streams.map((stream) => once(stream, 'response')));
    await expect.poll(() => server.clients.size).toBe(3);
    for (const stream of streams) stream.on('error', () => {});
    session.destroy();
    await expect.poll(() => closes).toEqual([1006, 1006, 1006]);
    expect(addresses).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    // The server still takes new WebSockets.
    const ws = await open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' });
    expect(ws.readyState).toBe(1);
  });

  test('GOAWAY during traffic: every message the server acknowledged arrived, clients get 1001', async () => {
    const received: string[] = [];
    const server = await standaloneHttp2({
      hooks: {
        message(peer, message) {
          received.push(message.text());
          peer.send(`ack ${message.text()}`);
        },
      },
    });
    const clients = await Promise.all(
      [0, 1, 2].map(() => open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' })),
    );
    const acks: string[] = [];
    const closes = clients.map((ws) => {
      ws.on('message', (data) => acks.push(data.toString()));
      return once(ws, 'close') as Promise<[number, Buffer, boolean]>;
    });
    // Traffic in flight when the shutdown starts.
    for (let i = 0; i < 200; i++) clients[i % 3]?.send(`m${i}`);
    await expect.poll(() => acks.length).toBeGreaterThan(10);
    const closing = server.close({ timeout: 2_000 });
    const codes = (await Promise.all(closes)).map(([code]) => code);
    await closing;
    expect(codes).toEqual([1001, 1001, 1001]);
    // Every acknowledgement names a message the server got, and none is invented or reordered.
    for (const ack of acks) expect(received).toContain(ack.slice(4));
    expect(new Set(received).size).toBe(received.length);
  });

  test('a GOAWAY from the server: open WebSockets carry on, the next one opens a new session', async () => {
    const httpServer = http2.createSecureServer({ key: TLS_KEY, cert: TLS_CERT });
    const server = new WebSocketServer({ server: httpServer, hooks: echoHooks([]) });
    const sessions: http2.ServerHttp2Session[] = [];
    httpServer.on('session', (session) => sessions.push(session));
    scope.defer(async () => {
      await server.close({ timeout: 200 });
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    const before = await open(`wss://127.0.0.1:${port}/`, { http2: 'require' });
    expect(sessions).toHaveLength(1);
    // RFC 9113 §6.8: streams up to the last stream id carry on; no new stream on this session.
    sessions[0]?.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    const echoed = nextMessage(before);
    before.send('after goaway');
    expect((await echoed)[0].toString()).toBe('after goaway');
    const after = await open(`wss://127.0.0.1:${port}/`, { http2: 'require' });
    expect(sessions).toHaveLength(2);
    const echoedAfter = nextMessage(after);
    after.send('new session');
    expect((await echoedAfter)[0].toString()).toBe('new session');
  });

  test('shutdown of a standalone server: GOAWAY after the close frames; a busy session is cut after closeTimeout', async () => {
    const server = await standaloneHttp2({ closeTimeout: 300, hooks: echoHooks([]) });
    const ws = await open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' });
    // A second client holds a plain stream open that never ends (no WebSocket on it).
    const session = http2.connect(`https://127.0.0.1:${server.port}`, TLS_CLIENT);
    scope.defer(() => session.destroy());
    session.on('error', () => {});
    const busy = session.request({ ':method': 'POST', ':path': '/upload' }, { endStream: false });
    busy.on('error', () => {});
    await once(busy, 'response');
    const goaway = once(session, 'goaway');
    const wsClosed = once(ws, 'close') as Promise<[number]>;
    await server.close({ timeout: 1_000 });
    expect((await wsClosed)[0]).toBe(1001);
    await goaway;
    expect(session.destroyed || session.closed).toBe(true);
  });

  test('HTTP/2 flow control is the backpressure: bufferedAmount grows, drain follows', async () => {
    const drained = deferred<Peer>();
    const server = await standaloneHttp2({ hooks: { drain: (peer) => drained.resolve(peer) } });
    const ws = await open(`wss://127.0.0.1:${server.port}/`, { http2: 'require' });
    ws.pause(); // the client stops reading: its stream window runs out
    await expect.poll(() => server.clients.size).toBe(1);
    const [peer] = [...server.clients];
    const chunk = pattern(256 * 1024);
    let sends = 0;
    // Until HTTP/2 flow control holds the bytes back in the stream's buffer.
    while ((peer?.bufferedAmount ?? 0) < 2 * MIB && sends < 64) {
      peer?.send(chunk);
      sends++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(peer?.bufferedAmount).toBeGreaterThan(MIB);
    let got = 0;
    ws.on('message', () => got++);
    ws.resume();
    expect(await drained.promise).toBe(peer);
    await expect.poll(() => got).toBe(sends);
  });
});
