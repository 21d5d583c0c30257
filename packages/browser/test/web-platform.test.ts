// What the web-platform-tests' websockets/ directory expects of a WebSocket outside a page,
// written as our own tests against real `ws` servers on 127.0.0.1: relative URLs and Origin
// from `globalThis.location`, URL credentials as Basic authentication, subprotocols repeated
// in another case, ignored extra arguments, `close.length`, MessageEvent's tag, every typed
// array as binary, and one handshake at a time per host (RFC 6455 §4.1 step 2).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { type CloseEvent, WebSocket, WebSocketStream } from '../src/node.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Sets `globalThis.location` for one test, as Deno's --location or a harness would. */
function setLocation(location: unknown): void {
  const scope = globalThis as { location?: unknown };
  const had = Object.hasOwn(scope, 'location');
  const previous = scope.location;
  scope.location = location;
  cleanups.push(() => {
    if (had) scope.location = previous;
    else delete scope.location;
  });
}

/** A `ws` echo server that records each handshake request. */
async function startEchoServer() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });
  await once(server, 'listening');
  const requests: IncomingMessage[] = [];
  server.on('connection', (socket, request) => {
    requests.push(request);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const { port } = server.address() as AddressInfo;
  return { port, base: `ws://127.0.0.1:${port}`, requests };
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

function nextMessage(ws: WebSocket): Promise<MessageEvent> {
  return new Promise((resolve) =>
    ws.addEventListener('message', resolve as (event: Event) => void, { once: true }),
  );
}

async function closeAndWait(ws: WebSocket): Promise<void> {
  const done = closed(ws);
  ws.close();
  await done;
}

describe('URLs resolve against the environment (WebSocket constructor steps 1-2)', () => {
  test('with globalThis.location, absolute-path and path-relative URLs resolve against it', async () => {
    const { port, requests } = await startEchoServer();
    setLocation(new URL(`http://127.0.0.1:${port}/app/page.html?x=1`));

    const rooted = new WebSocket('/echo');
    expect(rooted.url).toBe(`ws://127.0.0.1:${port}/echo`);
    await opened(rooted);
    const relative = new WebSocket('echo?q=1');
    expect(relative.url).toBe(`ws://127.0.0.1:${port}/app/echo?q=1`);
    await opened(relative);
    expect(requests.map((request) => request.url)).toEqual(['/echo', '/app/echo?q=1']);
    await closeAndWait(rooted);
    await closeAndWait(relative);
  });

  test('an https: base gives wss:, and a plain object with href works as a location', () => {
    setLocation({ href: 'https://example.test/chat/', origin: 'https://example.test' });
    const ws = new WebSocket('socket');
    expect(ws.url).toBe('wss://example.test/chat/socket');
    ws.close();
  });

  test('non-ASCII in a relative URL is sent as UTF-8 percent-encoding, whatever the page', async () => {
    const { port, requests } = await startEchoServer();
    setLocation(new URL(`http://127.0.0.1:${port}/`));
    const ws = new WebSocket('/echo?é=ÿ');
    expect(ws.url).toBe(`ws://127.0.0.1:${port}/echo?%C3%A9=%C3%BF`);
    await opened(ws);
    expect(requests[0]?.url).toBe('/echo?%C3%A9=%C3%BF');
    await closeAndWait(ws);
  });

  test('without a location there is no base URL: a relative URL is a SyntaxError', () => {
    expect((globalThis as { location?: unknown }).location).toBeUndefined();
    for (const url of ['/echo', 'echo', '//127.0.0.1/echo']) {
      expect(() => new WebSocket(url)).toThrow(
        expect.objectContaining({ name: 'SyntaxError', constructor: DOMException }),
      );
    }
  });
});

describe('Origin (Fetch: the client is the environment)', () => {
  test("where a location exists, its origin is sent as Origin, as a page's or worker's", async () => {
    const { base, requests } = await startEchoServer();
    setLocation(new URL('https://app.example.test/inbox?tab=2'));
    const ws = new WebSocket(`${base}/echo`);
    await opened(ws);
    expect(requests[0]?.headers.origin).toBe('https://app.example.test');
    await closeAndWait(ws);
  });

  test('options.origin still wins, and without a location no Origin is sent', async () => {
    const { base, requests } = await startEchoServer();
    const plain = new WebSocket(`${base}/echo`);
    await opened(plain);
    expect(requests[0]?.headers.origin).toBeUndefined();
    setLocation(new URL('https://app.example.test/'));
    const explicit = new WebSocket(`${base}/echo`, [], { origin: 'https://other.example.test' });
    await opened(explicit);
    expect(requests[1]?.headers.origin).toBe('https://other.example.test');
    await closeAndWait(plain);
    await closeAndWait(explicit);
  });
});

describe('URL credentials', () => {
  test('user and password are sent as Authorization: Basic, not in the request line', async () => {
    const { port, requests } = await startEchoServer();
    const ws = new WebSocket(`ws://foo:bar@127.0.0.1:${port}/basic`);
    expect(ws.url).toBe(`ws://foo:bar@127.0.0.1:${port}/basic`);
    await opened(ws);
    expect(requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('foo:bar').toString('base64')}`,
    );
    expect(requests[0]?.url).toBe('/basic');
    await closeAndWait(ws);
  });

  test('percent-encoded credentials are decoded; an Authorization header given wins', async () => {
    const { port, requests } = await startEchoServer();
    const encoded = new WebSocket(`ws://us%20er:p%C3%A4ss@127.0.0.1:${port}/`);
    await opened(encoded);
    expect(requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('us er:päss').toString('base64')}`,
    );
    const explicit = new WebSocket(`ws://foo:bar@127.0.0.1:${port}/`, [], {
      headers: [['authorization', 'Bearer t0ken']],
    });
    await opened(explicit);
    expect(requests[1]?.headers.authorization).toBe('Bearer t0ken');
    await closeAndWait(encoded);
    await closeAndWait(explicit);
  });
});

describe('constructor and method arguments (WebIDL)', () => {
  test('subprotocols repeated in another case are a SyntaxError', () => {
    for (const protocols of [
      ['echo', 'eCho'],
      ['CHAT', 'chat'],
    ]) {
      expect(() => new WebSocket('ws://127.0.0.1:1/', protocols)).toThrow(
        expect.objectContaining({ name: 'SyntaxError' }),
      );
    }
  });

  test('arguments past the declared ones are ignored, not rejected', async () => {
    const { base } = await startEchoServer();
    const Construct = WebSocket as unknown as new (...args: unknown[]) => WebSocket;
    const ws = new Construct(`${base}/echo`, 'echo', 'stray', 42);
    await opened(ws);
    expect(ws.protocol).toBe('echo');
    await closeAndWait(ws);
  });

  test('lengths count required arguments: constructor 1, send 1, close 0', () => {
    expect(WebSocket.length).toBe(1);
    expect(WebSocket.prototype.send.length).toBe(1);
    expect(WebSocket.prototype.close.length).toBe(0);
  });
});

describe('messages', () => {
  test('a MessageEvent stringifies as [object MessageEvent] and is a MessageEvent', async () => {
    const { base } = await startEchoServer();
    const ws = new WebSocket(`${base}/echo`);
    await opened(ws);
    const message = nextMessage(ws);
    ws.send('hello');
    const event = await message;
    expect(Object.prototype.toString.call(event)).toBe('[object MessageEvent]');
    expect(String(event)).toBe('[object MessageEvent]');
    expect(event).toBeInstanceOf(MessageEvent);
    expect(event.constructor.name).toBe('MessageEvent');
    expect(event.data).toBe('hello');
    await closeAndWait(ws);
  });

  test('every typed array of the runtime (Float16Array where it exists) goes out as binary', async () => {
    const { base } = await startEchoServer();
    const ws = new WebSocket(`${base}/echo`);
    ws.binaryType = 'arraybuffer';
    await opened(ws);
    const names = [
      'Int8Array',
      'Uint8Array',
      'Uint8ClampedArray',
      'Int16Array',
      'Uint16Array',
      'Int32Array',
      'Uint32Array',
      'Float16Array', // Node 22+: absent on Node 20, and then not tried
      'Float32Array',
      'Float64Array',
      'BigInt64Array',
      'BigUint64Array',
      'DataView',
    ];
    const present = names.filter((name) => typeof (globalThis as never)[name] === 'function');
    expect(present.length).toBeGreaterThanOrEqual(12);
    for (const name of present) {
      const View = (globalThis as unknown as Record<string, new (buffer: ArrayBuffer) => unknown>)[
        name
      ] as new (
        buffer: ArrayBuffer,
      ) => ArrayBufferView;
      const bytes = Uint8Array.from({ length: 16 }, (_, index) => index + 1);
      const message = nextMessage(ws);
      ws.send(new View(bytes.buffer.slice(0)));
      const event = await message;
      expect(event.data, name).toBeInstanceOf(ArrayBuffer);
      expect(new Uint8Array(event.data as ArrayBuffer), name).toEqual(bytes);
    }
    await closeAndWait(ws);
  });
});

describe('one handshake at a time per host (RFC 6455 §4.1 step 2)', () => {
  /** A WebSocket server whose first handshake is held until `releaseFirst()`. */
  async function startHoldingServer() {
    const httpServer: Server = createServer();
    const wss = new WebSocketServer({ noServer: true });
    const sockets = new Set<Socket>();
    httpServer.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const upgrades: string[] = [];
    let releaseFirst = (): void => {};
    const firstReleased = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    httpServer.on('upgrade', async (request, socket, head) => {
      upgrades.push(request.url ?? '');
      if (upgrades.length === 1) await firstReleased;
      wss.handleUpgrade(request, socket, head, () => {});
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    cleanups.push(async () => {
      releaseFirst();
      for (const socket of sockets) socket.destroy();
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    const { port } = httpServer.address() as AddressInfo;
    return { base: `ws://127.0.0.1:${port}`, upgrades, releaseFirst };
  }

  test('a second WebSocket to the same host connects only once the first handshake finished', async () => {
    const held = await startHoldingServer();
    const other = await startEchoServer();
    const first = new WebSocket(`${held.base}/first`);
    const second = new WebSocket(`${held.base}/second`);
    const events: string[] = [];
    first.addEventListener('open', () => events.push('first open'));
    second.addEventListener('open', () => events.push('second open'));
    // Another host (here: another port) is not held up; by the time it has opened and echoed
    // a message, an unheld second handshake would have reached the server long ago.
    const probe = new WebSocket(`${other.base}/probe`);
    await opened(probe);
    const echoed = nextMessage(probe);
    probe.send('ping');
    await echoed;
    expect(held.upgrades).toEqual(['/first']);
    expect(second.readyState).toBe(WebSocket.CONNECTING);

    held.releaseFirst();
    await opened(second);
    expect(held.upgrades).toEqual(['/first', '/second']);
    expect(events).toEqual(['first open', 'second open']);
    await closeAndWait(first);
    await closeAndWait(second);
    await closeAndWait(probe);
  });

  test('a waiting WebSocket closed before its turn fails at once and never reaches the server', async () => {
    const held = await startHoldingServer();
    const first = new WebSocket(`${held.base}/first`);
    const second = new WebSocket(`${held.base}/second`);
    const events: string[] = [];
    second.addEventListener('error', () => events.push('error'));
    const secondClosed = closed(second);
    second.close();
    const event = await secondClosed;
    expect(events).toEqual(['error']);
    expect([event.code, event.wasClean]).toEqual([1006, false]);
    expect(first.readyState).toBe(WebSocket.CONNECTING);

    held.releaseFirst();
    await opened(first);
    // The released first handshake was the only one: the closed second never connected.
    const third = new WebSocket(`${held.base}/third`);
    await opened(third);
    expect(held.upgrades).toEqual(['/first', '/third']);
    await closeAndWait(first);
    await closeAndWait(third);
  });

  test('a failed handshake releases the host too', async () => {
    const { base, requests } = await startEchoServer();
    const refused = new WebSocket('ws://127.0.0.1:1/');
    const sameHostAfterFailure = new WebSocket('ws://127.0.0.1:1/again');
    const [first, second] = await Promise.all([closed(refused), closed(sameHostAfterFailure)]);
    expect([first.code, second.code]).toEqual([1006, 1006]);
    const ws = new WebSocket(`${base}/echo`);
    await opened(ws);
    expect(requests).toHaveLength(1);
    await closeAndWait(ws);
  });
});

describe("WebSocketStream (the proposal's WebIDL and the same URL rules)", () => {
  test('the URL is required; options must be an object; protocols a sequence, not a string', () => {
    const Construct = WebSocketStream as unknown as new (...args: unknown[]) => WebSocketStream;
    expect(() => new Construct()).toThrow(TypeError);
    expect(() => new Construct('ws://127.0.0.1:1/', '?')).toThrow(TypeError);
    expect(() => new Construct('ws://127.0.0.1:1/', { protocols: 'echo' })).toThrow(TypeError);
    expect(() => new WebSocketStream('invalid://')).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
    expect(() => new WebSocketStream('ws://127.0.0.1:1/', { protocols: ['echo', 'ECHO'] })).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
  });

  test('a relative URL resolves against globalThis.location; opened gives the right types', async () => {
    const { port, requests } = await startEchoServer();
    setLocation(new URL(`http://127.0.0.1:${port}/app/`));
    const stream = new WebSocketStream('echo', { protocols: ['echo'] });
    expect(stream.url).toBe(`ws://127.0.0.1:${port}/app/echo`);
    const { readable, writable, protocol, extensions } = await stream.opened;
    expect(readable).toBeInstanceOf(ReadableStream);
    expect(writable).toBeInstanceOf(WritableStream);
    expect(protocol).toBe('echo');
    expect(typeof extensions).toBe('string');
    expect(requests[0]?.headers.origin).toBe(`http://127.0.0.1:${port}`);
    stream.close();
    expect(await stream.closed).toEqual({ closeCode: 1005, reason: '' });
  });

  test('a connection that fails rejects opened and closed with a WebSocketError', async () => {
    const stream = new WebSocketStream('ws://127.0.0.1:1/');
    const [opened, closed] = await Promise.allSettled([stream.opened, stream.closed]);
    for (const outcome of [opened, closed]) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as DOMException;
      expect(reason).toBeInstanceOf(DOMException);
      expect(reason.name).toBe('WebSocketError');
    }
  });
});
