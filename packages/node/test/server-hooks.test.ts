/**
 * The shared hooks API on the Node server: upgrade (accept, reject, data, subprotocols),
 * open/message/close/error, hook failures; plus Origin checks, handshake validation and the
 * handshake timeout.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type CloseDetails,
  defineHooks,
  type Hooks,
  type Message,
  type Peer,
  type UpgradeRequest,
  type WebSocket,
  WebSocketError,
} from '../src/index.js';
import {
  closePayload,
  handshakeRequest,
  Op,
  rawHandshake,
  rawRequest,
} from './helpers/raw-client.js';
import { closeOf, deferred, nextTurn, record, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

describe('upgrade hook: rejecting', () => {
  test('an async hook rejects with { status: 401, headers, body }', async () => {
    const server = await scope.server({
      hooks: {
        async upgrade(request) {
          await nextTurn();
          if (request.headers.get('authorization') !== 'Bearer good') {
            return {
              status: 401,
              headers: { 'WWW-Authenticate': 'Bearer realm="chat"' },
              body: 'who are you?',
            };
          }
          return {};
        },
      },
    });
    const connections = record(server, 'connection');
    const rejected = await scope.rejected(wsUrl(server.port));
    expect(rejected.status).toBe(401);
    expect(rejected.headers['www-authenticate']).toBe('Bearer realm="chat"');
    expect(rejected.body).toBe('who are you?');
    expect(connections).toHaveLength(0);
    await scope.client(wsUrl(server.port), undefined, {
      headers: { authorization: 'Bearer good' },
    });
    expect(connections).toHaveLength(1);
  });

  test('the hook rejects with a WHATWG Response', async () => {
    const server = await scope.server({
      hooks: {
        upgrade: () => new Response('slow down', { status: 429, headers: { 'Retry-After': '30' } }),
      },
    });
    const rejected = await scope.rejected(wsUrl(server.port));
    expect(rejected.status).toBe(429);
    expect(rejected.headers['retry-after']).toBe('30');
    expect(rejected.body).toBe('slow down');
  });

  test('a hook that throws answers 500 without details and the server keeps serving', async () => {
    let calls = 0;
    const server = await scope.server({
      hooks: {
        upgrade() {
          calls++;
          if (calls === 1) throw new Error('database password is hunter2');
        },
      },
    });
    const clientErrors = record<[Error]>(server, 'wsClientError');
    const rejected = await scope.rejected(wsUrl(server.port));
    expect(rejected.status).toBe(500);
    expect(rejected.body).not.toMatch(/hunter2/);
    expect(clientErrors[0]?.[0].message).toMatch(/hunter2/);
    await scope.client(wsUrl(server.port));
  });
});

describe('upgrade hook: accepting', () => {
  test('typed data reaches peer.data in open, message and close', async () => {
    const seen: string[] = [];
    const closed = deferred<CloseDetails>();
    const hooks = defineHooks<{ user: string }>({
      upgrade: async (request) => ({
        data: { user: new URL(request.url).searchParams.get('user') ?? 'anonymous' },
        headers: { 'X-Welcome': 'yes' },
      }),
      open: (peer) => {
        seen.push(`open ${peer.data.user}`);
      },
      message: (peer, message) => {
        seen.push(`message ${peer.data.user} ${message.text()}`);
        peer.send(`hi ${peer.data.user}`);
      },
      close: (peer, details) => {
        seen.push(`close ${peer.data.user}`);
        closed.resolve(details);
      },
    });
    const server = await scope.server({ hooks });
    const upgrade = deferred<Record<string, string | string[] | undefined>>();
    const client = scope.track(new (await import('ws')).default(wsUrl(server.port, '/?user=ada')));
    client.on('upgrade', (response) => upgrade.resolve(response.headers));
    await once(client, 'open');
    expect((await upgrade.promise)['x-welcome']).toBe('yes');
    client.send('hello');
    expect(String((await once(client, 'message'))[0])).toBe('hi ada');
    client.close(1000, 'done');
    expect(await closed.promise).toEqual({ code: 1000, reason: 'done', wasClean: true });
    expect(seen).toEqual(['open ada', 'message ada hello', 'close ada']);
  });

  test('the request the hook sees: url, headers, protocols, origin, remoteAddress', async () => {
    const requests: UpgradeRequest[] = [];
    const server = await scope.server({
      hooks: {
        upgrade(request) {
          requests.push(request);
          return { protocol: 'chat.v2' };
        },
      },
    });
    const client = await scope.client(wsUrl(server.port, '/room?id=7'), ['chat.v2', 'chat.v1'], {
      origin: 'https://example.com',
      headers: { 'X-Custom': 'value' },
    });
    const [request] = requests as [UpgradeRequest];
    expect(request.url).toBe(`ws://127.0.0.1:${server.port}/room?id=7`);
    expect(request.method).toBe('GET');
    expect(request.headers.get('x-custom')).toBe('value');
    expect(request.protocols).toEqual(['chat.v2', 'chat.v1']);
    expect(request.origin).toBe('https://example.com');
    expect(request.remoteAddress).toBe('127.0.0.1');
    expect(client.protocol).toBe('chat.v2');
  });

  test('peer.url and request.url are built when first read, also after the headers were read', async () => {
    const seen = deferred<Array<string | undefined>>();
    const server = await scope.server({});
    server.on('connection', (peer) => {
      // The headers first: the request view lets go of its raw lines once they are parsed.
      const host = peer.request?.headers.get('host') ?? undefined;
      seen.resolve([host, peer.url, peer.request?.url]);
    });
    await scope.client(wsUrl(server.port, '/a/b?c=d'));
    const authority = `127.0.0.1:${server.port}`;
    const url = `ws://${authority}/a/b?c=d`;
    expect(await seen.promise).toEqual([authority, url, url]);
  });

  test('the hook picks a protocol from the offer; peer.protocol reports it', async () => {
    const protocols: string[] = [];
    const server = await scope.server({
      hooks: {
        upgrade: (request) => ({
          protocol: request.protocols.find((protocol) => protocol.startsWith('v')),
        }),
        open: (peer) => {
          protocols.push(peer.protocol);
        },
      },
    });
    const client = await scope.client(wsUrl(server.port), ['x-other', 'v3', 'v2']);
    expect(client.protocol).toBe('v3');
    expect(protocols).toEqual(['v3']);
  });

  test('the selectProtocol option picks when the hook does not', async () => {
    const offers: Array<readonly string[]> = [];
    const server = await scope.server({
      selectProtocol: (protocols) => {
        offers.push(protocols);
        return protocols.includes('json') ? 'json' : undefined;
      },
    });
    const client = await scope.client(wsUrl(server.port), ['msgpack', 'json']);
    expect(client.protocol).toBe('json');
    expect(offers).toEqual([['msgpack', 'json']]);
  });

  test('RFC 6455 §4.2.2: by default no subprotocol is selected, even when offered', async () => {
    const server = await scope.server();
    const client = scope.track(
      await rawHandshake(server.port, { headers: { 'Sec-WebSocket-Protocol': 'chat, superchat' } }),
    );
    expect(client.response.status).toBe(101);
    expect(client.response.headers['sec-websocket-protocol']).toBeUndefined();
  });

  test('RFC 6455 §4.2.2: a selected protocol that was not offered → 500, no crash', async () => {
    const server = await scope.server({ hooks: { upgrade: () => ({ protocol: 'made-up' }) } });
    const clientErrors = record<[WebSocketError]>(server, 'wsClientError');
    const connections = record(server, 'connection');
    const { status, client } = await rawRequest(
      server.port,
      handshakeRequest(server.port, { headers: { 'Sec-WebSocket-Protocol': 'real' } }),
    );
    scope.track(client);
    expect(status).toBe(500);
    expect(clientErrors[0]?.[0].code).toBe('WS_ERR_INVALID_SUBPROTOCOL');
    expect(connections).toHaveLength(0);
    // Still serving.
    const next = await rawHandshake(server.port, {
      headers: { 'Sec-WebSocket-Protocol': 'made-up' },
    });
    expect(scope.track(next).response.headers['sec-websocket-protocol']).toBe('made-up');
  });
});

describe('hooks: open, message, close, error', () => {
  test('message views: text(), json(), bytes(), isBinary', async () => {
    const messages: Message[] = [];
    const got = deferred();
    const server = await scope.server({
      hooks: {
        message(_peer, message) {
          messages.push(message);
          if (messages.length === 3) got.resolve();
        },
      },
    });
    const client = await scope.client(wsUrl(server.port));
    client.send('plain');
    client.send(JSON.stringify({ n: 1, list: ['a'] }));
    client.send(new Uint8Array([9, 8, 7]));
    await got.promise;
    const [plain, json, binary] = messages as [Message, Message, Message];
    expect(plain.text()).toBe('plain');
    expect(plain.isBinary).toBe(false);
    expect(json.json()).toEqual({ n: 1, list: ['a'] });
    expect(binary.isBinary).toBe(true);
    expect([...binary.bytes()]).toEqual([9, 8, 7]);
    expect(binary.byteLength).toBe(3);
  });

  test('close hook: code, reason, wasClean after a clean close', async () => {
    const closed = deferred<CloseDetails>();
    const server = await scope.server({
      hooks: { close: (_peer, details) => closed.resolve(details) },
    });
    const client = await scope.client(wsUrl(server.port));
    client.close(4321, 'see you');
    expect(await closed.promise).toEqual({ code: 4321, reason: 'see you', wasClean: true });
  });

  test('close hook: 1006 and wasClean false when the transport drops', async () => {
    const closed = deferred<CloseDetails>();
    const server = await scope.server({
      hooks: { close: (_peer, details) => closed.resolve(details) },
    });
    const client = await scope.client(wsUrl(server.port));
    client.terminate();
    expect(await closed.promise).toMatchObject({ code: 1006, wasClean: false });
  });

  test('RFC 6455 §5.1: an unmasked client frame → close 1002 and the error hook', async () => {
    const errors: Error[] = [];
    const closed = deferred<CloseDetails>();
    const server = await scope.server({
      hooks: {
        error: (_peer, error) => {
          errors.push(error);
        },
        close: (_peer, details) => closed.resolve(details),
      },
    });
    const client = scope.track(await rawHandshake(server.port));
    client.sendFrame({ opcode: Op.TEXT, payload: 'not masked', mask: false });
    const close = await client.readFrameOf(Op.CLOSE);
    expect(close.payload.readUInt16BE(0)).toBe(1002);
    await client.closed;
    // RFC 6455 §7.1.5: the close hook reports the peer's code; it sent none, so 1006.
    expect(await closed.promise).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WebSocketError);
    expect((errors[0] as WebSocketError).closeCode).toBe(1002);
  });

  test("the ws-style 'error' event reports the same protocol error", async () => {
    const server = await scope.server();
    const connection = once(server, 'connection');
    const client = scope.track(await rawHandshake(server.port));
    const [socket] = (await connection) as [WebSocket];
    const error = once(socket, 'error');
    client.sendFrame({ opcode: Op.TEXT, payload: 'x', mask: false });
    expect(((await error)[0] as WebSocketError).closeCode).toBe(1002);
  });

  const failingHooks: Array<{ name: string; hooks: Hooks }> = [
    {
      name: 'an open hook that throws',
      hooks: {
        open() {
          throw new Error('open failed');
        },
      },
    },
    {
      name: 'a message hook that rejects',
      hooks: {
        async message() {
          await nextTurn();
          throw new Error('message failed');
        },
      },
    },
    {
      name: 'a close hook that throws',
      hooks: {
        close() {
          throw new Error('close failed');
        },
      },
    },
  ];

  test.each(failingHooks)('$name goes to the error hook', async ({ hooks }) => {
    const errors: Array<{ message: string; peer: Peer }> = [];
    const reported = deferred();
    const server = await scope.server({
      hooks: {
        ...hooks,
        error: (peer, error) => {
          errors.push({ message: error.message, peer });
          reported.resolve();
        },
      },
    });
    const client = await scope.client(wsUrl(server.port));
    client.send('trigger');
    if (hooks.close !== undefined) client.close(1000);
    await reported.promise;
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/failed/);
    if (hooks.close === undefined) {
      // The connection survives a failing hook.
      expect(errors[0]?.peer.readyState).toBe(1);
      const echoed = once(client, 'close');
      client.close(1000);
      expect((await echoed)[0]).toBe(1000);
    }
  });

  // The timeout only makes a regression fail fast: without the fix the process-level throw
  // also drops the rest of the chunk, so the reply never comes.
  test('a throwing hook without an error hook or listener does not crash the process', {
    timeout: 5_000,
  }, async () => {
    const server = await scope.server({
      hooks: {
        message(peer, message) {
          if (message.text() === 'boom') throw new Error('hook bug');
          peer.send('ok');
        },
      },
    });
    const client = await scope.client(wsUrl(server.port));
    client.send('boom');
    client.send('fine');
    expect(String((await once(client, 'message'))[0])).toBe('ok');
  });

  test('an error hook that throws itself does not crash the process', async () => {
    const called = deferred();
    const server = await scope.server({
      hooks: {
        message() {
          throw new Error('first');
        },
        error() {
          called.resolve();
          throw new Error('second');
        },
      },
    });
    const client = await scope.client(wsUrl(server.port));
    client.send('x');
    await called.promise;
    client.close(1000);
    expect((await closeOf(client)).code).toBe(1000);
  });
});

describe('RFC 6455 §10.2: Origin allow-list', () => {
  test('an allowed origin is accepted; another one and a missing one get 403', async () => {
    const server = await scope.server({ allowedOrigins: ['https://good.example'] });
    const clientErrors = record<[WebSocketError]>(server, 'wsClientError');
    await scope.client(wsUrl(server.port), undefined, { origin: 'https://good.example' });
    const other = await scope.rejected(wsUrl(server.port), { origin: 'https://evil.example' });
    expect(other.status).toBe(403);
    const missing = await scope.rejected(wsUrl(server.port));
    expect(missing.status).toBe(403);
    expect(clientErrors.map(([error]) => error.code)).toEqual([
      'WS_ERR_ORIGIN_NOT_ALLOWED',
      'WS_ERR_ORIGIN_NOT_ALLOWED',
    ]);
  });

  test('a predicate decides', async () => {
    const seen: Array<string | undefined> = [];
    const server = await scope.server({
      allowedOrigins: (origin) => {
        seen.push(origin);
        return origin?.endsWith('.trusted.example') ?? false;
      },
    });
    await scope.client(wsUrl(server.port), undefined, { origin: 'https://a.trusted.example' });
    const rejected = await scope.rejected(wsUrl(server.port), { origin: 'https://other.example' });
    expect(rejected.status).toBe(403);
    expect(seen).toEqual(['https://a.trusted.example', 'https://other.example']);
  });

  test('the upgrade hook never runs for a refused origin', async () => {
    let upgrades = 0;
    const server = await scope.server({
      allowedOrigins: [],
      hooks: {
        upgrade: () => {
          upgrades++;
        },
      },
    });
    expect((await scope.rejected(wsUrl(server.port), { origin: 'https://x.example' })).status).toBe(
      403,
    );
    expect(upgrades).toBe(0);
  });
});

describe('RFC 6455 §4.2.1: handshake validation (raw TCP)', () => {
  const cases: Array<{
    name: string;
    method?: string;
    headers?: Record<string, string | null>;
    status: number;
    check?: (headers: Readonly<Record<string, string>>) => void;
  }> = [
    {
      name: 'a POST → 405 with Allow: GET',
      method: 'POST',
      status: 405,
      check: (headers) => expect(headers.allow).toBe('GET'),
    },
    { name: 'no Sec-WebSocket-Key → 400', headers: { 'Sec-WebSocket-Key': null }, status: 400 },
    {
      name: 'a short Sec-WebSocket-Key → 400',
      headers: { 'Sec-WebSocket-Key': 'c2hvcnQ=' },
      status: 400,
    },
    {
      name: 'version 8 → 426 with Sec-WebSocket-Version: 13',
      headers: { 'Sec-WebSocket-Version': '8' },
      status: 426,
      check: (headers) => expect(headers['sec-websocket-version']).toBe('13'),
    },
    {
      name: 'no version → 400 with Sec-WebSocket-Version: 13',
      headers: { 'Sec-WebSocket-Version': null },
      status: 400,
      check: (headers) => expect(headers['sec-websocket-version']).toBe('13'),
    },
    { name: 'Upgrade: h2c → 400', headers: { Upgrade: 'h2c' }, status: 400 },
  ];

  test.each(cases)('$name', async ({ method, headers, status, check }) => {
    const server = await scope.server();
    const connections = record(server, 'connection');
    const response = await rawRequest(
      server.port,
      handshakeRequest(server.port, { method, headers }),
    );
    scope.track(response.client);
    expect(response.status).toBe(status);
    expect(response.headers.connection).toMatch(/close/i);
    check?.(response.headers);
    await response.client.closed;
    expect(connections).toHaveLength(0);
  });

  test('no Upgrade header at all is a plain request → 426', async () => {
    const server = await scope.server();
    const response = await rawRequest(
      server.port,
      handshakeRequest(server.port, { headers: { Upgrade: null, Connection: 'close' } }),
    );
    scope.track(response.client);
    expect(response.status).toBe(426);
  });
});

describe('handshake timeout', () => {
  test('an upgrade hook that never resolves → 408 and the socket closed', async () => {
    const server = await scope.server({
      handshakeTimeout: 100,
      hooks: { upgrade: () => new Promise<never>(() => {}) },
    });
    const clientErrors = record<[WebSocketError]>(server, 'wsClientError');
    const response = await rawRequest(server.port, handshakeRequest(server.port));
    scope.track(response.client);
    expect(response.status).toBe(408);
    await response.client.closed;
    expect(clientErrors.map(([error]) => error.code)).toEqual(['WS_ERR_HANDSHAKE_TIMEOUT']);
  });

  test('a hook that resolves after the timeout opens no connection', async () => {
    const late = deferred<undefined>();
    const opened: string[] = [];
    const server = await scope.server({
      handshakeTimeout: 50,
      hooks: {
        upgrade: () => late.promise,
        open: (peer) => {
          opened.push(peer.id);
        },
      },
    });
    const connections = record(server, 'connection');
    const response = await rawRequest(server.port, handshakeRequest(server.port));
    scope.track(response.client);
    expect(response.status).toBe(408);
    late.resolve(undefined);
    await nextTurn();
    await response.client.closed;
    expect(connections).toHaveLength(0);
    expect(opened).toEqual([]);
    expect(server.clients.size).toBe(0);
  });
});

describe('close frames from a raw client', () => {
  test('RFC 6455 §5.5.1: the server echoes the close code and closes TCP first', async () => {
    const server = await scope.server();
    const client = scope.track(await rawHandshake(server.port));
    client.sendFrame({ opcode: Op.CLOSE, payload: closePayload(1000, 'bye') });
    const echo = await client.readFrameOf(Op.CLOSE);
    expect(echo.payload.readUInt16BE(0)).toBe(1000);
    await client.closed;
  });
});
