// What users of reconnecting-websocket and partysocket reach for, over our Node WebSocket and
// a real @wskit/node server on loopback: URL and protocols as (async) functions asked before
// every attempt, reconnect(), startClosed, retryCount, the debug hook, unknown options (with
// "did you mean" for the other libraries' names), and error events that say why on Node.
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ReconnectingWebSocket,
  type ReconnectingWebSocketOptions,
  WebSocketStream,
} from '../src/node.js';
import { editDistance } from '../src/option-names.js';
import type {
  ReconnectingCloseEvent,
  ReconnectingErrorEvent,
  ReconnectingEvent,
} from '../src/reconnect-events.js';
import { Inbox } from './rs-helpers/inbox.js';
import { TestServer } from './rs-helpers/server.js';

let server: TestServer;
const sockets: ReconnectingWebSocket[] = [];

beforeAll(async () => {
  server = await TestServer.start();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const peer of server.peers) peer.terminate();
  server.forget();
});

afterAll(async () => {
  await server.stop();
});

type Url = ConstructorParameters<typeof ReconnectingWebSocket>[0];

function open(url: Url, options: ReconnectingWebSocketOptions = {}, protocols?: unknown) {
  const fast = { initialDelay: 20, maxDelay: 50, jitter: 0, ...options };
  const socket =
    protocols === undefined
      ? new ReconnectingWebSocket(url, fast)
      : new ReconnectingWebSocket(url, protocols as string[], fast);
  sockets.push(socket);
  return {
    socket,
    opens: Inbox.ofTarget(socket, 'open'),
    closes: Inbox.ofTarget<ReconnectingCloseEvent>(socket, 'close'),
    errors: Inbox.ofTarget<ReconnectingErrorEvent>(socket, 'error'),
    reconnecting: Inbox.ofTarget<ReconnectingEvent>(socket, 'reconnecting'),
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('URL and protocols as functions', () => {
  test('an async URL function is asked before every attempt (a fresh token each time)', async () => {
    let calls = 0;
    const { socket, opens } = open(async () => {
      calls += 1;
      return `${server.url}?token=t${calls}`;
    });
    expect(socket.url).toBe('');
    expect(socket.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    await opens.next();
    const first = await server.connections.next();
    expect(first.request.url).toBe('/?token=t1');
    expect(socket.url).toBe(`${server.url}?token=t1`);

    first.peer.terminate();
    await opens.next();
    const second = await server.connections.next();
    expect(second.request.url).toBe('/?token=t2');
    expect(calls).toBe(2);
  });

  test('round robin over servers: each attempt goes to the next URL', async () => {
    const other = await TestServer.start();
    try {
      const urls = [server.url, other.url];
      let next = 0;
      const { opens } = open(() => urls[next++ % urls.length] as string);
      await opens.next();
      (await server.connections.next()).peer.terminate();
      await opens.next();
      const onOther = await other.connections.next();
      expect(onOther.request.headers.host).toBe(new URL(other.url).host);
    } finally {
      await other.stop();
    }
  });

  test('protocols may be a function too', async () => {
    const selecting = await TestServer.start({
      server: { selectProtocol: (offered) => offered[0] ?? '' },
    });
    try {
      const { socket, opens } = open(selecting.url, {}, async () => ['v2.chat', 'v1.chat']);
      await opens.next();
      const { request } = await selecting.connections.next();
      expect(request.headers['sec-websocket-protocol']).toBe('v2.chat, v1.chat');
      expect(socket.protocol).toBe('v2.chat');
      socket.close();
    } finally {
      await selecting.stop();
    }
  });

  test('a URL function that throws or rejects is a failed attempt: error, close, retry', async () => {
    let calls = 0;
    const { opens, errors, closes, reconnecting } = open(() => {
      calls += 1;
      if (calls === 1) throw new Error('token service down');
      if (calls === 2) return Promise.reject(new Error('still down'));
      return server.url;
    });
    expect((await errors.next()).message).toBe('token service down');
    const close = await closes.next();
    expect([close.code, close.willReconnect]).toEqual([1006, true]);
    expect((await reconnecting.next()).attempt).toBe(1);
    expect((await errors.next()).message).toBe('still down');
    await opens.next();
    expect(calls).toBe(3);
  });

  test('close() while the URL function runs: nothing connects afterwards', async () => {
    const before = server.handshakes;
    let answer: (url: string) => void = () => {};
    const { socket, closes } = open(() => new Promise<string>((resolve) => (answer = resolve)));
    socket.close();
    const close = await closes.next();
    expect(close.willReconnect).toBe(false);
    answer(server.url);
    // A later connection proves the server would have seen the abandoned one by now.
    const later = open(server.url);
    await later.opens.next();
    expect(server.handshakes - before).toBe(1);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });
});

describe('startClosed, reconnect(), retryCount', () => {
  test('startClosed: nothing connects until reconnect()', async () => {
    const before = server.handshakes;
    const { socket, opens } = open(server.url, { startClosed: true });
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    // Another socket opening first shows that no handshake was started meanwhile.
    const probe = open(server.url);
    await probe.opens.next();
    expect(server.handshakes - before).toBe(1);
    socket.reconnect();
    expect(socket.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    await opens.next();
    expect(server.handshakes - before).toBe(2);
    socket.send('after start');
    const connections = await server.connections.take(2);
    expect(await connections[1]?.messages.next()).toBe('after start');
  });

  test('reconnect(code, reason) closes the open connection with them and connects at once', async () => {
    const { socket, opens, closes } = open(server.url, { initialDelay: 60_000 });
    await opens.next();
    const first = await server.connections.next();
    socket.reconnect(4100, 'switching room');
    const close = await closes.next();
    expect([close.code, close.reason, close.willReconnect]).toEqual([4100, 'switching room', true]);
    expect(await first.closes.next()).toEqual([4100, 'switching room']);
    // initialDelay is a minute: only an immediate reconnect opens within the test.
    await opens.next();
    expect(socket.retryCount).toBe(0);
  });

  test('reconnect() after close() starts again; invalid close arguments throw', async () => {
    const { socket, opens, closes } = open(server.url);
    await opens.next();
    socket.close();
    expect((await closes.next()).willReconnect).toBe(false);
    expect(() => socket.reconnect(1001)).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    );
    socket.reconnect();
    await opens.next();
    expect(socket.readyState).toBe(ReconnectingWebSocket.OPEN);
  });

  test('retryCount counts failed attempts in a row and resets once a connection holds', async () => {
    const port = await closedPort();
    const { socket, reconnecting } = open(`ws://127.0.0.1:${port}/`, { maxRetries: 2 });
    expect(socket.retryCount).toBe(0);
    await reconnecting.next();
    expect(socket.retryCount).toBe(1);
    await reconnecting.next();
    expect(socket.retryCount).toBe(2);
    const stable = open(server.url, { minUptime: 0 });
    await stable.opens.next();
    (await server.connections.next()).peer.terminate();
    await stable.reconnecting.next();
    expect(stable.socket.retryCount).toBe(1);
    await stable.opens.next();
    (await server.connections.next()).peer.terminate();
    // minUptime 0: the connection that opened reset the count before this retry.
    await stable.reconnecting.next();
    expect(stable.socket.retryCount).toBe(1);
  });
});

describe('the debug hook', () => {
  test('a function receives each step; true logs through console.debug', async () => {
    const lines: string[] = [];
    const { socket, opens, closes } = open(server.url, {
      debug: (message, ...details) => lines.push([message, ...details].join(' ')),
    });
    await opens.next();
    (await server.connections.next()).peer.terminate();
    await opens.next();
    socket.close();
    await closes.take(2);
    expect(lines[0]).toBe(`connecting ${server.url}`);
    expect(lines[1]).toBe(`open ${server.url}`);
    expect(lines[2]).toMatch(/^retry 1 in 20 ms after close 1006/);
    expect(lines).toContain(`connecting ${server.url}`);

    const original = console.debug;
    const logged: unknown[][] = [];
    console.debug = (...args: unknown[]) => logged.push(args);
    try {
      const verbose = open(server.url, { debug: true });
      await verbose.opens.next();
    } finally {
      console.debug = original;
    }
    expect(logged[0]).toEqual([`ReconnectingWebSocket: connecting`, server.url]);
  });
});

describe('unknown options throw, naming the option', () => {
  test.each([
    ['maxReconnectionDelay', "'maxDelay'"],
    ['minReconnectionDelay', "'initialDelay'"],
    ['reconnectionDelayGrowFactor', "'factor'"],
    ['connectionTimeout', "'connectTimeout'"],
    ['maxEnqueuedMessages', "'queue: { maxMessages }'"],
    ['debugLogger', "'debug' (a function)"],
    ['query', "'url' as a function"],
  ])("reconnecting-websocket's / partysocket's %s: did you mean %s?", (name, hint) => {
    expect(() => new ReconnectingWebSocket(server.url, { [name]: 1 } as never)).toThrow(
      new TypeError(`ReconnectingWebSocket: unknown option '${name}'; did you mean ${hint}?`),
    );
  });

  test('typos get the closest name; nothing close gets no suggestion; nothing connects', () => {
    const before = server.handshakes;
    expect(() => new ReconnectingWebSocket(server.url, { startclosed: true } as never)).toThrow(
      "unknown option 'startclosed'; did you mean 'startClosed'?",
    );
    expect(() => new ReconnectingWebSocket(server.url, { maxRetry: 3 } as never)).toThrow(
      "did you mean 'maxRetries'?",
    );
    expect(() => new ReconnectingWebSocket(server.url, { banana: 1 } as never)).toThrow(
      new TypeError("ReconnectingWebSocket: unknown option 'banana'"),
    );
    expect(
      () => new ReconnectingWebSocket(server.url, { queue: { maxMessage: 5 } } as never),
    ).toThrow(
      "ReconnectingWebSocket: queue: unknown option 'maxMessage'; did you mean 'maxMessages'?",
    );
    expect(
      () =>
        new ReconnectingWebSocket(server.url, {
          heartbeat: { interval: 1, timeout: 2, message: 'p', pong: 'x' },
        } as never),
    ).toThrow("heartbeat: unknown option 'pong'");
    expect(() => new WebSocketStream(server.url, { protocol: 'chat' } as never)).toThrow(
      "WebSocketStream: unknown option 'protocol'; did you mean 'protocols'?",
    );
    expect(server.handshakes).toBe(before);
  });

  test('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('maxdelay', 'maxdelay')).toBe(0);
  });
});

describe('error events on Node say why', () => {
  test('connection refused: the message is the cause’s, and error holds the cause', async () => {
    const port = await closedPort();
    const { errors } = open(`ws://127.0.0.1:${port}/`, { maxRetries: 0 });
    const event = await errors.next();
    expect(event.message).toMatch(/ECONNREFUSED/);
    expect(event.message).toBe((event.error as Error).message);
  });
});
