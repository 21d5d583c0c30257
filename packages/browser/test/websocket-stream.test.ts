// WebSocketStream over real sockets on loopback, against @wskit/node's server, for each
// WebSocket class: reading and writing, read backpressure (a slow consumer makes the server's
// send buffer grow when the class can pause; buffering otherwise), writes that wait for the
// socket to drain, closing from either side, and the abort signal.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  WebSocketCloseError,
  WebSocketStream,
  type WebSocketStreamOptions,
} from '../src/websocket-stream.js';
import {
  PausableWsWebSocket,
  WEBSOCKET_CLASSES,
  type WebSocketClassCase,
} from './rs-helpers/classes.js';
import { delay, waitFor } from './rs-helpers/inbox.js';
import { TestServer } from './rs-helpers/server.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** A binary message that carries its sequence number in its first 4 bytes. */
function numbered(sequence: number, size: number): Buffer {
  const bytes = Buffer.alloc(size, sequence & 0xff);
  bytes.writeUInt32BE(sequence, 0);
  return bytes;
}

const CASES: readonly WebSocketClassCase[] = [
  ...WEBSOCKET_CLASSES,
  { name: 'ws with pause hooks', WebSocket: PausableWsWebSocket, pausable: true },
];

describe.each(CASES)('WebSocketStream over $name', ({ WebSocket, pausable }) => {
  let server: TestServer;
  const streams: WebSocketStream[] = [];

  function open(options: WebSocketStreamOptions = {}, url = server.url) {
    const stream = new WebSocketStream(url, { WebSocket, ...options });
    streams.push(stream);
    return stream;
  }

  beforeAll(async () => {
    // A peer that does not read must not get dropped here: the test is about it.
    server = await TestServer.start({ server: { maxBufferedAmount: Number.POSITIVE_INFINITY } });
  });

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
    for (const peer of server.peers) peer.terminate();
    server.rejectStatus = undefined;
    server.handshakeDelay = 0;
    server.forget();
  });

  afterAll(async () => {
    await server.stop();
  });

  test('opened gives the streams; text and binary messages go both ways', async () => {
    const stream = open();
    expect(stream.url).toBe(server.url);
    const { readable, writable, protocol, extensions } = await stream.opened;
    expect(protocol).toBe('');
    expect(typeof extensions).toBe('string');
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write('héllo ✓');
    await writer.write(new Uint8Array([1, 2, 3]));
    await writer.write(new Uint16Array([0x0102]).buffer);
    expect((await reader.read()).value).toBe('héllo ✓');
    const binary = (await reader.read()).value;
    expect(binary).toBeInstanceOf(Uint8Array);
    expect([...(binary as Uint8Array)]).toEqual([1, 2, 3]);
    expect((await reader.read()).value).toEqual(new Uint8Array(new Uint16Array([0x0102]).buffer));
    const { messages } = await server.connections.next();
    expect(await messages.take(3)).toEqual([
      'héllo ✓',
      Buffer.from([1, 2, 3]),
      Buffer.from(new Uint16Array([0x0102]).buffer),
    ]);
    await expect(writer.write(42 as unknown as string)).rejects.toThrow(TypeError);
  });

  test(
    pausable
      ? 'a slow consumer stops the socket from reading: the server’s send buffer fills, then drains in order'
      : 'without pause hooks a slow consumer costs client memory: everything is read into the queue (documented limit)',
    async () => {
      const stream = open({ readableHighWaterMark: 256 * KIB });
      const { readable } = await stream.opened;
      const { peer } = await server.connections.next();
      const size = 64 * KIB;
      const limit = pausable ? 2048 : 256; // 128 MiB or 16 MiB at most
      let sent = 0;
      while (sent < limit && peer.bufferedAmount < 8 * MIB) {
        peer.send(numbered(sent, size));
        sent++;
        if (sent % 16 === 0) await delay(5);
      }
      await delay(200);
      if (pausable) {
        // Nobody reads and the client stopped reading its socket: the data waits on the server.
        expect(peer.bufferedAmount).toBeGreaterThan(8 * MIB);
        await delay(200);
        expect(peer.bufferedAmount).toBeGreaterThan(8 * MIB);
      } else {
        // Nobody reads, yet the native-style path drained the server: it is all in the queue.
        await waitFor(() => peer.bufferedAmount === 0, 'server buffer empty');
      }
      // The consumer catches up: every message, in order, and the server's buffer empties.
      const reader = readable.getReader();
      for (let sequence = 0; sequence < sent; sequence++) {
        const { value } = await reader.read();
        const bytes = value as Uint8Array;
        expect(bytes.byteLength).toBe(size);
        expect(Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32BE(0)).toBe(sequence);
      }
      expect(peer.bufferedAmount).toBe(0);
    },
  );

  test('writes resolve only once the socket drained below writableHighWaterMark', async () => {
    const stream = open({ writableHighWaterMark: 64 * KIB });
    const { writable } = await stream.opened;
    const connection = await server.connections.next();
    // The server stops reading: kernel buffers fill, then the client's own buffer grows.
    connection.socket.pause();
    const writer = writable.getWriter();
    const chunk = new Uint8Array(MIB);
    let pending: Promise<void> | undefined;
    let written = 0;
    while (written < 256) {
      const write = writer.write(chunk);
      written++;
      const state = await Promise.race([
        write.then(() => 'done'),
        delay(300).then(() => 'waiting'),
      ]);
      if (state === 'waiting') {
        pending = write;
        break;
      }
    }
    expect(pending).toBeDefined();
    expect(writer.desiredSize).toBeLessThanOrEqual(0);
    connection.socket.resume();
    await pending;
    await writer.ready;
    const received = await connection.messages.take(written, 10_000);
    expect(received.every((message) => (message as Buffer).byteLength === MIB)).toBe(true);
  });

  test('close({ closeCode, reason }): the server gets them, closed resolves, the streams end', async () => {
    const stream = open();
    const { readable, writable } = await stream.opened;
    const { closes } = await server.connections.next();
    stream.close({ closeCode: 4000, reason: 'bye' });
    expect(await closes.next()).toEqual([4000, 'bye']);
    expect(await stream.closed).toEqual({ closeCode: 4000, reason: 'bye' });
    expect(await readable.getReader().read()).toEqual({ done: true, value: undefined });
    await expect(writable.getWriter().write('late')).rejects.toBeInstanceOf(WebSocketCloseError);
  });

  test('a reason without a code closes with 1000; invalid arguments throw as WebSocket.close does', async () => {
    const stream = open();
    await stream.opened;
    const { closes } = await server.connections.next();
    expect(() => stream.close({ closeCode: 1001 })).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    );
    expect(() => stream.close({ reason: 'é'.repeat(62) })).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
    stream.close({ reason: 'done' });
    expect(await closes.next()).toEqual([1000, 'done']);
    expect(await stream.closed).toEqual({ closeCode: 1000, reason: 'done' });
  });

  test('the server closes: messages sent before the close are still read, then done', async () => {
    const stream = open();
    const { readable } = await stream.opened;
    const { peer } = await server.connections.next();
    peer.send('a');
    peer.send('b');
    peer.close(4321, 'server bye');
    expect(await stream.closed).toEqual({ closeCode: 4321, reason: 'server bye' });
    const reader = readable.getReader();
    expect((await reader.read()).value).toBe('a');
    expect((await reader.read()).value).toBe('b');
    expect((await reader.read()).done).toBe(true);
  });

  test('an abnormal close rejects closed and errors the streams with WebSocketCloseError 1006', async () => {
    const stream = open();
    const { readable, writable } = await stream.opened;
    (await server.connections.next()).peer.terminate();
    const error = await stream.closed.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WebSocketCloseError);
    expect(error).toMatchObject({ name: 'WebSocketError', closeCode: 1006 });
    await expect(readable.getReader().read()).rejects.toBe(error);
    await expect(writable.getWriter().write('x')).rejects.toBe(error);
  });

  test('readable.cancel(WebSocketCloseError) closes with its code; writable.close() closes', async () => {
    const first = open();
    const { readable } = await first.opened;
    const firstConnection = await server.connections.next();
    await readable.cancel(new WebSocketCloseError('', { closeCode: 4005, reason: 'cancelled' }));
    expect(await firstConnection.closes.next()).toEqual([4005, 'cancelled']);
    await first.closed;

    const second = open();
    const { writable } = await second.opened;
    const secondConnection = await server.connections.next();
    await writable.getWriter().close();
    expect((await secondConnection.closes.next())[0]).toBe(1005);
    expect((await second.closed).closeCode).toBe(1005);
  });

  test('writable.abort(reason) closes; an invalid code in the reason closes without a code', async () => {
    const stream = open();
    const { writable } = await stream.opened;
    const { closes } = await server.connections.next();
    await writable.abort(new WebSocketCloseError('', { closeCode: 1006 }));
    expect((await closes.next())[0]).toBe(1005);
  });

  test('a refused handshake rejects opened and closed', async () => {
    server.rejectStatus = 401;
    const stream = open();
    await expect(stream.opened).rejects.toMatchObject({ name: 'WebSocketError', closeCode: 1006 });
    await expect(stream.closed).rejects.toBeInstanceOf(WebSocketCloseError);
  });

  test('an already aborted signal: no connection is attempted', async () => {
    const before = server.handshakes;
    const stream = open({ signal: AbortSignal.abort() });
    await expect(stream.opened).rejects.toMatchObject({ name: 'AbortError' });
    await expect(stream.closed).rejects.toMatchObject({ name: 'AbortError' });
    await delay(50);
    expect(server.handshakes).toBe(before);
  });

  test('aborting during the handshake rejects with the reason and drops the connection', async () => {
    server.handshakeDelay = 300;
    const before = server.handshakes;
    const controller = new AbortController();
    const stream = open({ signal: controller.signal });
    await waitFor(() => server.handshakes > before, 'the handshake reached the server');
    const reason = new Error('changed my mind');
    controller.abort(reason);
    await expect(stream.opened).rejects.toBe(reason);
    await expect(stream.closed).rejects.toBe(reason);
    // The server may still answer 101 after its delay, to a TCP connection the client ended.
    await delay(400);
    await waitFor(
      () => server.connections.all.every(({ socket }) => socket.destroyed || socket.readableEnded),
      'the client ended its TCP connection',
    );
  });

  test('the signal has no effect once opened', async () => {
    const controller = new AbortController();
    const stream = open({ signal: controller.signal });
    const { readable, writable } = await stream.opened;
    controller.abort();
    const writer = writable.getWriter();
    await writer.write('still here');
    expect((await readable.getReader().read()).value).toBe('still here');
  });

  test('a subclass binds its default class with static defaultWebSocket (what the entries do)', async () => {
    class Bound extends WebSocketStream {
      static override defaultWebSocket = WebSocket;
    }
    const stream = new Bound(server.url);
    streams.push(stream);
    const { writable, readable } = await stream.opened;
    await writable.getWriter().write('bound');
    expect((await readable.getReader().read()).value).toBe('bound');
  });

  test('close() before the handshake completes rejects opened', async () => {
    server.handshakeDelay = 200;
    const stream = open();
    stream.close();
    await expect(stream.opened).rejects.toBeInstanceOf(WebSocketCloseError);
    await expect(stream.closed).rejects.toBeInstanceOf(WebSocketCloseError);
  });
});
