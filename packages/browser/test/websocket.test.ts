// Our Node class beyond what the differential test can compare with Chromium: WebIDL details
// (brand checks, argument counts, constants, event handler attributes), the Node-only options
// argument, the error event's cause, Blob ordering against close(), CloseEvent, and the
// stream backpressure hooks. Servers are `ws` on 127.0.0.1.
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnexpectedResponseError } from '@wskit/node';
import { afterEach, describe, expect, test } from 'vitest';
import { type WebSocket as ServerSocket, WebSocketServer } from 'ws';
import { type CloseEvent, WebSocket } from '../src/node.js';
import { kOnDrain, kPause, kResume } from '../src/stream-backpressure.js';

const servers: WebSocketServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Connected {
  socket: ServerSocket;
  request: IncomingMessage;
  messages: Array<[Buffer, boolean]>;
  closed: Promise<[number, string]>;
}

/** A `ws` server; `connections` yields each accepted client with what it received. */
async function startServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  servers.push(server);
  await once(server, 'listening');
  const accepted: Connected[] = [];
  const waiters: Array<(connected: Connected) => void> = [];
  server.on('connection', (socket, request) => {
    const messages: Array<[Buffer, boolean]> = [];
    socket.on('message', (data, isBinary) => messages.push([data as Buffer, isBinary]));
    const closed = new Promise<[number, string]>((resolve) =>
      socket.on('close', (code, reason) => resolve([code, reason.toString()])),
    );
    const connected = { socket, request, messages, closed };
    const waiter = waiters.shift();
    if (waiter) waiter(connected);
    else accepted.push(connected);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    next: (): Promise<Connected> => {
      const ready = accepted.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Polls until `predicate` holds; fails after 5 s. */
async function until(predicate: () => boolean, label: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function opened(ws: WebSocket): Promise<Event> {
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('close', () => reject(new Error('closed before opening')), { once: true });
  });
}

function closed(ws: WebSocket): Promise<CloseEvent> {
  return new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
}

function errored(ws: WebSocket): Promise<Event & { error?: unknown }> {
  return new Promise((resolve) => ws.addEventListener('error', resolve, { once: true }));
}

describe('WebIDL surface (websockets.spec.whatwg.org §3)', () => {
  test('constants are read-only and enumerable, on the class and on the prototype', () => {
    for (const target of [WebSocket, WebSocket.prototype]) {
      ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach((name, value) => {
        expect(Object.getOwnPropertyDescriptor(target, name)).toEqual({
          value,
          writable: false,
          enumerable: true,
          configurable: false,
        });
      });
    }
    expect(Object.prototype.toString.call(WebSocket.prototype)).toBe('[object WebSocket]');
    expect(WebSocket.prototype).toBeInstanceOf(EventTarget);
  });

  test('attributes and operations check their receiver (brand check)', () => {
    for (const name of [
      'url',
      'readyState',
      'bufferedAmount',
      'protocol',
      'binaryType',
      'onopen',
    ]) {
      const getter = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)?.get;
      expect(() => getter?.call({}), name).toThrow(new TypeError('Illegal invocation'));
    }
    expect(() => WebSocket.prototype.send.call({}, 'x')).toThrow(TypeError);
    expect(() => WebSocket.prototype.close.call(Object.create(WebSocket.prototype))).toThrow(
      TypeError,
    );
  });

  test('argument counts: the constructor and send() need one', async () => {
    const Constructor = WebSocket as unknown as new () => WebSocket;
    expect(() => new Constructor()).toThrow(
      "Failed to construct 'WebSocket': 1 argument required, but only 0 present.",
    );
    expect(() => (WebSocket as unknown as () => void)()).toThrow(TypeError);
    const { url, next } = await startServer();
    const ws = new WebSocket(url);
    await opened(ws);
    expect(() => (ws.send as () => void)()).toThrow(TypeError);
    ws.close();
    await next();
  });

  test('a relative URL is a SyntaxError: Node has no base URL', () => {
    expect(() => new WebSocket('/chat')).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });

  test('event handler attributes: functions kept, other values null, this is the socket', async () => {
    const { url } = await startServer();
    const ws = new WebSocket(url);
    expect(ws.onopen).toBeNull();
    ws.onopen = 42 as unknown as null;
    expect(ws.onopen).toBeNull();
    const seen: unknown[] = [];
    const handler = function (this: unknown, event: Event) {
      seen.push(this, event.type);
    };
    ws.onopen = handler;
    expect(ws.onopen).toBe(handler);
    ws.onerror = () => seen.push('never');
    ws.onerror = null;
    await opened(ws);
    expect(seen).toEqual([ws, 'open']);
    ws.close();
    await closed(ws);
  });

  test('send(): numbers and other values are converted to strings; shared memory is refused', async () => {
    const { url, next } = await startServer();
    const ws = new WebSocket(url);
    await opened(ws);
    const peer = await next();
    ws.send(42 as unknown as string);
    ws.send(new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2));
    expect(() => ws.send(new SharedArrayBuffer(4))).toThrow(TypeError);
    expect(() => ws.send(new Uint8Array(new SharedArrayBuffer(4)))).toThrow(TypeError);
    ws.close(1000);
    await peer.closed;
    expect(peer.messages.map(([data, isBinary]) => [[...data], isBinary])).toEqual([
      [[0x34, 0x32], false],
      [[2, 3], true],
    ]);
  });

  test('a buffer changed after send() goes out as it was at the call, compressed or not', async () => {
    const { url, next } = await startServer({ perMessageDeflate: { threshold: 0 } });
    const ws = new WebSocket(url);
    await opened(ws);
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const peer = await next();
    const bytes = new Uint8Array(4096).fill(1);
    ws.send(bytes);
    bytes.fill(2);
    ws.close();
    await peer.closed;
    expect(peer.messages[0]?.[0].every((byte) => byte === 1)).toBe(true);
  });
});

describe('closing', () => {
  test('close() with only a reason sends 1000 and the reason', async () => {
    const { url, next } = await startServer();
    const ws = new WebSocket(url);
    await opened(ws);
    const peer = await next();
    const done = closed(ws);
    ws.close(undefined, 'bye');
    expect(await peer.closed).toEqual([1000, 'bye']);
    expect((await done).code).toBe(1000);
  });

  test('Blobs still being read go out before the close frame, in call order', async () => {
    const { url, next } = await startServer();
    const ws = new WebSocket(url);
    await opened(ws);
    const peer = await next();
    const done = closed(ws);
    ws.send(new Blob(['first']));
    ws.send('second');
    ws.send(new Blob([new Uint8Array([3])]));
    ws.close(4000, 'done');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    ws.send('dropped: after close()');
    expect(await peer.closed).toEqual([4000, 'done']);
    expect(peer.messages.map(([data, isBinary]) => [data.toString('latin1'), isBinary])).toEqual([
      ['first', true],
      ['second', false],
      ['\x03', true],
    ]);
    const event = await done;
    expect([event.code, event.reason, event.wasClean]).toEqual([4000, 'done', true]);
  });
});

describe('the Node-only third argument', () => {
  test('headers and origin reach the server; perMessageDeflate: false offers no extension', async () => {
    const { url, next } = await startServer({ perMessageDeflate: true });
    const ws = new WebSocket(url, [], {
      headers: { Authorization: 'Bearer token' },
      origin: 'https://app.example',
      perMessageDeflate: false,
    });
    await opened(ws);
    const { request } = await next();
    expect(request.headers.authorization).toBe('Bearer token');
    expect(request.headers.origin).toBe('https://app.example');
    expect(request.headers['sec-websocket-extensions']).toBeUndefined();
    expect(ws.extensions).toBe('');
    ws.close();
    await closed(ws);
  });

  test('by default permessage-deflate is offered and no Origin is sent', async () => {
    const { url, next } = await startServer({ perMessageDeflate: true });
    const ws = new WebSocket(url);
    await opened(ws);
    const { request } = await next();
    expect(request.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    expect(request.headers.origin).toBeUndefined();
    ws.close();
    await closed(ws);
  });

  test('a non-object third argument is not options: ignored, as WebIDL ignores extra arguments', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1/', [], 'nope' as never);
    expect((await closed(ws)).code).toBe(1006);
  });

  test('an invalid option fails the connection with the cause on the error event', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1/', [], { handshakeTimeout: -1 });
    const [error, close] = await Promise.all([errored(ws), closed(ws)]);
    expect(error.error).toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
    expect(close.code).toBe(1006);
  });
});

describe('failures', () => {
  test('the error event carries the cause: a 403 is an UnexpectedResponseError', async () => {
    const { url } = await startServer({
      verifyClient: (_info, callback) => callback(false, 403, 'Forbidden'),
    });
    const ws = new WebSocket(url);
    const [error, event] = await Promise.all([errored(ws), closed(ws)]);
    expect(error).toBeInstanceOf(Event);
    expect(error.error).toBeInstanceOf(UnexpectedResponseError);
    expect((error.error as UnexpectedResponseError).status).toBe(403);
    expect([event.code, event.wasClean, ws.readyState]).toEqual([1006, false, WebSocket.CLOSED]);
  });

  test('connection refused: error, then close 1006', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1/');
    const events: string[] = [];
    ws.onerror = () => events.push('error');
    ws.onclose = (event) => events.push(`close ${event.code}`);
    await closed(ws);
    expect(events).toEqual(['error', 'close 1006']);
  });
});

describe('stream backpressure hooks (stream-backpressure.ts)', () => {
  test('[kPause] holds messages back until [kResume]', async () => {
    const { url, next } = await startServer();
    const ws = new WebSocket(url);
    ws[kPause]();
    await opened(ws);
    const peer = await next();
    const received: string[] = [];
    ws.onmessage = (event) => received.push(event.data as string);
    peer.socket.send('one');
    peer.socket.send('two');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toEqual([]);
    ws[kResume]();
    await until(() => received.length === 2, 'both messages');
    expect(received).toEqual(['one', 'two']);
    ws.close();
    await closed(ws);
  });

  test('[kOnDrain] reports each decrease of bufferedAmount until unsubscribed', async () => {
    const { url } = await startServer();
    const ws = new WebSocket(url);
    await opened(ws);
    const amounts: number[] = [];
    const unsubscribe = ws[kOnDrain](() => amounts.push(ws.bufferedAmount));
    ws.send('x'.repeat(100));
    ws.send(new Uint8Array(50));
    expect(ws.bufferedAmount).toBe(150);
    await until(() => amounts.length === 2, 'two drain calls');
    expect(amounts).toEqual([50, 0]);
    unsubscribe();
    ws.send('more');
    await until(() => ws.bufferedAmount === 0, 'the last send written');
    expect(amounts).toEqual([50, 0]);
    ws.close();
    await closed(ws);
  });
});
