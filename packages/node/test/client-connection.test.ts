/**
 * An open client connection: sending (RFC 6455 §5.6), ping/pong (§5.5.2-3), the closing
 * handshake (§7.1.1-2, §5.5.1), terminate and backpressure, against `ws` and raw servers.
 */
import { once } from 'node:events';
import type * as net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { WebSocket as WsPeer } from 'ws';
import { connect, type WebSocket, WebSocketError } from '../src/index.js';
import {
  clearProxyEnvironment,
  closeAll,
  closePayload,
  FrameReader,
  readRequestHead,
  serverFrame,
  startEchoServer,
  startRawServer,
  startWsServer,
  switchingProtocols,
} from './client-helpers/servers.js';

let restoreEnvironment: () => void;
beforeAll(() => {
  restoreEnvironment = clearProxyEnvironment();
});
afterAll(() => restoreEnvironment());

const clients: WebSocket<undefined>[] = [];
async function open(
  url: string,
  options?: Parameters<typeof connect>[1],
): Promise<WebSocket<undefined>> {
  const client = await connect(url, options);
  clients.push(client);
  return client;
}
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await closeAll();
});

type CloseEvent = [code: number, reason: Buffer, wasClean: boolean];

/**
 * The next 'close' event. Not `events.once`: its promise rejects on an 'error' event, which a
 * failing connection emits before 'close'.
 */
function nextClose(client: WebSocket<undefined>): Promise<CloseEvent> {
  return new Promise((resolve) => {
    client.once('close', (...args: CloseEvent) => resolve(args));
  });
}

function nextError(client: WebSocket<undefined>): Promise<WebSocketError> {
  return new Promise((resolve) => {
    client.once('error', (error) => resolve(error as WebSocketError));
  });
}

function nextMessage(client: WebSocket<undefined>): Promise<[Buffer, boolean]> {
  return once(client, 'message') as Promise<[Buffer, boolean]>;
}

/** A ws server plus a connected client and the server's peer. */
async function pair(
  options: Parameters<typeof startWsServer>[0] = {},
): Promise<{ client: WebSocket<undefined>; peer: WsPeer }> {
  const server = await startWsServer(options);
  const connection = server.nextConnection();
  const client = await open(server.url);
  const { peer } = await connection;
  return { client, peer };
}

/**
 * A raw server that completes the handshake and hands the socket (and a reader of the client's
 * frames) to the test, so it can misbehave on purpose.
 */
async function rawPair(options: Parameters<typeof connect>[1] = {}): Promise<{
  client: WebSocket<undefined>;
  socket: net.Socket;
  frames: FrameReader;
}> {
  let resolveSide!: (value: { socket: net.Socket; frames: FrameReader }) => void;
  const side = new Promise<{ socket: net.Socket; frames: FrameReader }>((resolve) => {
    resolveSide = resolve;
  });
  const server = await startRawServer(async (socket) => {
    const head = await readRequestHead(socket);
    const frames = new FrameReader(socket, head.rest);
    socket.write(switchingProtocols(head.headers['sec-websocket-key'] as string));
    resolveSide({ socket, frames });
  });
  const client = await open(server.url, { perMessageDeflate: false, ...options });
  return { client, ...(await side) };
}

describe('sending (RFC 6455 §5.6)', () => {
  test('a string is sent as text, bytes as binary', async () => {
    const server = await startEchoServer();
    const client = await open(server.url);
    client.send('text');
    expect(await nextMessage(client)).toEqual([Buffer.from('text'), false]);
    client.send(Buffer.from([1, 2, 3]));
    expect(await nextMessage(client)).toEqual([Buffer.from([1, 2, 3]), true]);
  });

  test('ArrayBuffer and TypedArray views send exactly their bytes', async () => {
    const server = await startEchoServer();
    const client = await open(server.url);
    client.send(new Uint8Array([9, 8, 7]).buffer);
    expect((await nextMessage(client))[0]).toEqual(Buffer.from([9, 8, 7]));

    // A view into the middle of a larger buffer: only the view's bytes go out.
    const backing = new ArrayBuffer(16);
    new Uint8Array(backing).set([0, 0, 0, 0, 0x34, 0x12, 0x78, 0x56, 0xff, 0xff]);
    client.send(new Uint16Array(backing, 4, 2));
    expect((await nextMessage(client))[0]).toEqual(Buffer.from([0x34, 0x12, 0x78, 0x56]));

    client.send(new DataView(backing, 8, 2));
    expect((await nextMessage(client))[0]).toEqual(Buffer.from([0xff, 0xff]));

    client.send(new Float64Array([1.5]));
    const [data, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(true);
    expect(data.readDoubleLE(0)).toBe(1.5);
  });

  test('an empty message and a multi-byte UTF-8 message round-trip', async () => {
    const server = await startEchoServer();
    const client = await open(server.url);
    client.send('');
    expect(await nextMessage(client)).toEqual([Buffer.alloc(0), false]);
    client.send('héllo ✓ 😀');
    expect((await nextMessage(client))[0].toString()).toBe('héllo ✓ 😀');
  });

  test('a large message (1 MiB, 64-bit length) round-trips', async () => {
    const server = await startEchoServer({ perMessageDeflate: false });
    const client = await open(server.url, { perMessageDeflate: false });
    const large = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < large.length; i++) large[i] = i % 251;
    client.send(large);
    const [data] = await nextMessage(client);
    expect(Buffer.compare(data, large)).toBe(0);
  });

  test('messages arrive in order, compressed or not', async () => {
    const server = await startEchoServer({ perMessageDeflate: true });
    const client = await open(server.url);
    const sent = ['a', 'b'.repeat(5000), 'c', 'd'.repeat(3000), 'e'];
    const received: string[] = [];
    const done = new Promise<void>((resolve) => {
      client.on('message', (data: Buffer) => {
        received.push(data.toString());
        if (received.length === sent.length) resolve();
      });
    });
    for (const message of sent) client.send(message);
    await done;
    expect(received).toEqual(sent);
  });

  test('the send callback runs without an error once the data is written', async () => {
    const { client, peer } = await pair();
    const received = once(peer, 'message');
    const error = await new Promise((resolve) => client.send('with callback', resolve));
    expect(error ?? undefined).toBeUndefined();
    expect(String((await received)[0])).toBe('with callback');
  });

  test('sendAsync resolves, and the server receives the message', async () => {
    const { client, peer } = await pair({ perMessageDeflate: true });
    const received = once(peer, 'message');
    await client.sendAsync('x'.repeat(2000));
    expect(String((await received)[0])).toBe('x'.repeat(2000));
  });

  test('sending after close never throws (ws does not either): the callback and sendAsync get WS_ERR_INVALID_STATE', async () => {
    const { client } = await pair();
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    client.close();
    expect(() => client.send('late')).not.toThrow();
    const callbackError = await new Promise<Error | null | undefined>((resolve) =>
      client.send('late', resolve),
    );
    expect((callbackError as WebSocketError).code).toBe('WS_ERR_INVALID_STATE');
    await expect(client.sendAsync('late')).rejects.toMatchObject({ code: 'WS_ERR_INVALID_STATE' });
    // The late sends are the caller's to learn about, not an 'error' event.
    expect(errors).toEqual([]);
  });

  test('client frames are masked (RFC 6455 §5.3)', async () => {
    const { client, frames } = await rawPair();
    client.send('masked');
    const frame = await frames.frame(0);
    expect(frame).toMatchObject({ fin: true, rsv1: false, opcode: 1, masked: true });
    expect(frame.payload.toString()).toBe('masked');
  });
});

describe('ping and pong (RFC 6455 §5.5.2-3)', () => {
  test('ping(data) gets a pong with the same data from a ws server', async () => {
    const { client } = await pair();
    const pong = once(client, 'pong');
    client.ping('are you there');
    expect(String((await pong)[0])).toBe('are you there');
  });

  test('ping() without data', async () => {
    const { client } = await pair();
    const pong = once(client, 'pong');
    client.ping();
    expect(((await pong)[0] as Buffer).length).toBe(0);
  });

  test("a server's ping is reported and answered automatically", async () => {
    const { client, peer } = await pair();
    const ping = once(client, 'ping');
    const pong = once(peer, 'pong');
    peer.ping(Buffer.from('hb'));
    expect(String((await ping)[0])).toBe('hb');
    expect(String((await pong)[0])).toBe('hb');
  });

  test('an unsolicited pong from the server is reported', async () => {
    const { client, peer } = await pair();
    const pong = once(client, 'pong');
    peer.pong(Buffer.from('unsolicited'));
    expect(String((await pong)[0])).toBe('unsolicited');
  });

  test('ping on a terminated connection does not throw; its callback gets WS_ERR_INVALID_STATE', async () => {
    const { client } = await pair();
    client.terminate();
    expect(() => client.ping()).not.toThrow();
    const error = await new Promise<Error | null | undefined>((resolve) =>
      client.ping(undefined, resolve),
    );
    expect(error).toMatchObject({ code: 'WS_ERR_INVALID_STATE', message: /not open/ });
  });
});

describe('closing (RFC 6455 §7)', () => {
  test('close(code, reason): the server sees them, then the client reports a clean close', async () => {
    const { client, peer } = await pair();
    const serverClose = once(peer, 'close');
    const clientClose = nextClose(client);
    client.close(4001, 'bye now');
    expect(client.readyState).toBe(client.CLOSING);
    const [serverCode, serverReason] = await serverClose;
    expect(serverCode).toBe(4001);
    expect(String(serverReason)).toBe('bye now');
    const [code, reason, wasClean] = await clientClose;
    expect(code).toBe(4001);
    expect(Buffer.isBuffer(reason)).toBe(true);
    expect(reason.toString()).toBe('bye now');
    expect(wasClean).toBe(true);
    expect(client.readyState).toBe(client.CLOSED);
  });

  test('close() without a code: the server reports 1005', async () => {
    const { client, peer } = await pair();
    const serverClose = once(peer, 'close');
    const clientClose = nextClose(client);
    client.close();
    expect((await serverClose)[0]).toBe(1005);
    const [code, , wasClean] = await clientClose;
    expect(code).toBe(1005);
    expect(wasClean).toBe(true);
  });

  test('close with an invalid code throws and leaves the connection open', async () => {
    const { client } = await pair();
    expect(() => client.close(1006)).toThrow(WebSocketError);
    expect(() => client.close(1000, 'r'.repeat(124))).toThrow(WebSocketError);
    expect(client.readyState).toBe(client.OPEN);
  });

  test('a close started by the server is echoed and reported', async () => {
    const { client, peer } = await pair();
    const clientClose = nextClose(client);
    const serverClose = once(peer, 'close');
    peer.close(1001, 'going away');
    const [code, reason, wasClean] = await clientClose;
    expect([code, reason.toString(), wasClean]).toEqual([1001, 'going away', true]);
    expect((await serverClose)[0]).toBe(1001);
  });

  test('terminate() reports 1006 and the server sees the connection drop', async () => {
    const { client, peer } = await pair();
    const serverClose = once(peer, 'close');
    const clientClose = nextClose(client);
    client.terminate();
    const [code, reason, wasClean] = await clientClose;
    expect([code, reason.length, wasClean]).toEqual([1006, 0, false]);
    expect((await serverClose)[0]).toBe(1006);
  });

  test('the server dropping TCP without a close frame reports 1006', async () => {
    const { client, peer } = await pair();
    const clientClose = nextClose(client);
    peer.terminate();
    const [code, , wasClean] = await clientClose;
    expect([code, wasClean]).toEqual([1006, false]);
  });

  test('§7.1.1: after the close handshake the client waits for the server to close TCP', async () => {
    const { client, socket, frames } = await rawPair();
    let serverSawEnd = false;
    socket.on('end', () => {
      serverSawEnd = true;
    });
    let clientClosed = false;
    const clientClose = nextClose(client);
    void clientClose.then(() => {
      clientClosed = true;
    });
    client.close(1000, 'done');
    const closeFrame = await frames.frame(0);
    expect(closeFrame.opcode).toBe(8);
    expect(closeFrame.payload).toEqual(closePayload(1000, 'done'));
    // The server echoes the close frame but keeps TCP open for a while.
    socket.write(serverFrame(8, closePayload(1000)));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(serverSawEnd).toBe(false);
    expect(clientClosed).toBe(false);
    expect(client.readyState).toBe(client.CLOSING);
    // Now the server closes TCP first, as the RFC says it should.
    socket.end();
    const [code, , wasClean] = await clientClose;
    expect([code, wasClean]).toEqual([1000, true]);
  });

  test('the client closes TCP itself after closeTimeout if the server never does', async () => {
    const server = await startRawServer(async (socket) => {
      const head = await readRequestHead(socket);
      const frames = new FrameReader(socket, head.rest);
      socket.write(switchingProtocols(head.headers['sec-websocket-key'] as string));
      // Echo the close frame, then never close TCP.
      await frames.frame(0);
      socket.write(serverFrame(8, closePayload(1000)));
    });
    const client = await open(server.url, { perMessageDeflate: false, closeTimeout: 200 });
    const socketClosed = server.nextSocket().then((socket) => once(socket, 'close'));
    const clientClose = nextClose(client);
    const started = performance.now();
    client.close(1000);
    const [code, , wasClean] = await clientClose;
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
    // Both close frames were exchanged: the closing handshake completed (§7.1.4).
    expect([code, wasClean]).toEqual([1000, true]);
    await socketClosed;
  });

  test('the client closes TCP after closeTimeout if the server never answers the close frame', async () => {
    const { client, socket, frames } = await rawPair({ closeTimeout: 100 });
    const clientClose = nextClose(client);
    const socketClosed = once(socket, 'close');
    client.close(1000);
    await frames.frame(0);
    const [code, , wasClean] = await clientClose;
    expect([code, wasClean]).toEqual([1006, false]);
    await socketClosed;
  });

  test('a close frame from the server is answered with the same code', async () => {
    const { client, socket, frames } = await rawPair();
    const clientClose = nextClose(client);
    socket.write(serverFrame(8, closePayload(4321, 'server leaving')));
    const echo = await frames.frame(0);
    expect(echo.opcode).toBe(8);
    expect(echo.payload.readUInt16BE(0)).toBe(4321);
    socket.end();
    const [code, reason, wasClean] = await clientClose;
    expect([code, reason.toString(), wasClean]).toEqual([4321, 'server leaving', true]);
  });

  test('a protocol error from the server fails the connection with 1002 and an error event', async () => {
    const { client, socket, frames } = await rawPair();
    const errorEvent = nextError(client);
    const clientClose = nextClose(client);
    // A masked frame from the server is forbidden (RFC 6455 §5.1).
    socket.write(Buffer.from('818100000000ff', 'hex'));
    const error = await errorEvent;
    expect(error.code).toBe('WS_ERR_UNEXPECTED_MASK');
    expect(client.readyState).toBe(client.CLOSING);
    const closeFrame = await frames.frame(0);
    expect(closeFrame.opcode).toBe(8);
    expect(closeFrame.payload.readUInt16BE(0)).toBe(1002);
    socket.end();
    const [code, , wasClean] = await clientClose;
    expect([code, wasClean]).toEqual([1006, false]);
  });
});

describe('backpressure', () => {
  test('bufferedAmount grows while the server does not read and drops back after', async () => {
    let serverSocket!: net.Socket;
    const server = await startRawServer(async (socket) => {
      const head = await readRequestHead(socket);
      socket.write(switchingProtocols(head.headers['sec-websocket-key'] as string));
      socket.pause(); // stop reading: the kernel buffers fill up, then the client's
      serverSocket = socket;
    });
    const client = await open(server.url, { perMessageDeflate: false });
    expect(client.bufferedAmount).toBe(0);
    const chunk = Buffer.alloc(256 * 1024, 1);
    // Send until the kernel buffers on both sides are full and Node starts queueing.
    let sent = 0;
    while (client.bufferedAmount < 4 * 1024 * 1024 && sent < 256) {
      client.send(chunk);
      sent++;
    }
    expect(client.bufferedAmount).toBeGreaterThan(1024 * 1024);
    const before = client.bufferedAmount;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still stuck: nobody reads.
    expect(client.bufferedAmount).toBeGreaterThan(before / 2);

    const drained = once(client, 'drain');
    let received = 0;
    const expected = sent * (chunk.length + 14); // 14 = 2 + 8 (64-bit length) + 4 (mask)
    const allReceived = new Promise<void>((resolve) => {
      serverSocket.on('data', (data: Buffer) => {
        received += data.length;
        if (received >= expected) resolve();
      });
    });
    serverSocket.resume();
    await drained;
    expect(client.bufferedAmount).toBe(0);
    await allReceived;
    expect(received).toBe(expected);
  });

  test('a server that never reads past maxBufferedAmount gets the connection dropped', async () => {
    const server = await startRawServer(async (socket) => {
      const head = await readRequestHead(socket);
      socket.write(switchingProtocols(head.headers['sec-websocket-key'] as string));
      socket.pause();
    });
    const client = await open(server.url, {
      perMessageDeflate: false,
      maxBufferedAmount: 1024 * 1024,
    });
    let dropped: WebSocketError | undefined;
    client.on('error', (error) => {
      dropped = error as WebSocketError;
    });
    const clientClose = nextClose(client);
    const chunk = Buffer.alloc(256 * 1024);
    for (let i = 0; i < 256 && dropped === undefined; i++) client.send(chunk, () => {});
    expect(dropped?.code).toBe('WS_ERR_SEND_BUFFER_FULL');
    expect((await clientClose)[0]).toBe(1006);
  });

  test('after a drop for maxBufferedAmount, send reports WS_ERR_INVALID_STATE instead of throwing', async () => {
    const server = await startRawServer(async (socket) => {
      const head = await readRequestHead(socket);
      socket.write(switchingProtocols(head.headers['sec-websocket-key'] as string));
      socket.pause();
    });
    const client = await open(server.url, {
      perMessageDeflate: false,
      maxBufferedAmount: 1024 * 1024,
    });
    let dropped = false;
    client.on('error', () => {
      dropped = true;
    });
    const chunk = Buffer.alloc(256 * 1024);
    for (let i = 0; i < 256 && !dropped; i++) client.send(chunk, () => {});
    expect(dropped).toBe(true);
    // The connection is failing: it is no longer OPEN, and a send gets an error callback.
    expect(client.readyState).not.toBe(client.OPEN);
    const error = await new Promise<Error | null | undefined>((resolve) => {
      try {
        client.send('late', resolve);
      } catch (thrown) {
        resolve(new Error(`send threw: ${(thrown as Error).message}`));
      }
    });
    expect((error as WebSocketError | undefined)?.code).toBe('WS_ERR_INVALID_STATE');
  });
});
