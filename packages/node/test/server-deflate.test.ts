/** permessage-deflate (RFC 7692) from the server side. */
import { once } from 'node:events';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocket, WebSocketError } from '../src/index.js';
import { Op, rawHandshake } from './helpers/raw-client.js';
import { deferred, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MiB = 1024 * 1024;

/** RFC 7692 §7.2.1: compress, flush, and remove the 0x00 0x00 0xff 0xff tail. */
function compress(data: Buffer): Buffer {
  const compressed = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  expect(compressed.subarray(-4)).toEqual(TRAILER);
  return compressed.subarray(0, -4);
}

function inflate(payload: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([payload, TRAILER]), { finishFlush: constants.Z_SYNC_FLUSH });
}

function echo(socket: WebSocket): void {
  socket.on('message', (data: Buffer, isBinary: boolean) =>
    socket.send(isBinary ? data : data.toString()),
  );
}

describe('RFC 7692: permessage-deflate negotiation', () => {
  test('off by default: a ws client offering it gets no extension', async () => {
    const server = await scope.server();
    const connection = once(server, 'connection');
    const client = await scope.client(wsUrl(server.port), undefined, { perMessageDeflate: true });
    const [socket] = (await connection) as [WebSocket];
    expect(client.extensions).toBe('');
    expect(socket.extensions).toBe('');
  });

  test('on: negotiated with a ws client; messages both ways survive compression', async () => {
    const server = await scope.server({ perMessageDeflate: { threshold: 0 } });
    const connection = once(server, 'connection');
    const client = await scope.client(wsUrl(server.port), undefined, {
      perMessageDeflate: { threshold: 0 },
    });
    const [socket] = (await connection) as [WebSocket];
    echo(socket);
    expect(client.extensions).toMatch(/^permessage-deflate/);
    expect(socket.extensions).toMatch(/^permessage-deflate/);

    const big = 'compressible '.repeat(10_000);
    const replies: Array<[string, boolean]> = [];
    const done = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer, isBinary: boolean) => {
        replies.push([isBinary ? data.toString('hex') : data.toString(), isBinary]);
        if (replies.length === 3) resolve();
      }),
    );
    client.send('tiny');
    client.send(big);
    client.send(Buffer.from([1, 2, 3]));
    await done;
    expect(replies).toEqual([
      ['tiny', false],
      [big, false],
      ['010203', true],
    ]);
  });

  test('a client that does not offer it gets none even when the server enables it', async () => {
    const server = await scope.server({ perMessageDeflate: true });
    const client = await scope.client(wsUrl(server.port), undefined, { perMessageDeflate: false });
    expect(client.extensions).toBe('');
  });

  test('threshold 0: even a small server message is compressed (RSV1 set)', async () => {
    const server = await scope.server({ perMessageDeflate: { threshold: 0 } });
    const connection = once(server, 'connection');
    const client = scope.track(
      await rawHandshake(server.port, {
        headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' },
      }),
    );
    expect(client.response.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    const [socket] = (await connection) as [WebSocket];
    socket.send('hi');
    const frame = await client.readFrameOf(Op.TEXT);
    expect(frame.rsv1).toBe(true);
    expect(inflate(frame.payload).toString()).toBe('hi');
  });

  test('the default threshold leaves small messages uncompressed', async () => {
    const server = await scope.server({ perMessageDeflate: true });
    const connection = once(server, 'connection');
    const client = scope.track(
      await rawHandshake(server.port, {
        headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      }),
    );
    const [socket] = (await connection) as [WebSocket];
    socket.send('hi');
    const frame = await client.readFrameOf(Op.TEXT);
    expect(frame.rsv1).toBe(false);
    expect(frame.payload.toString()).toBe('hi');
  });

  test('a compressed message from a raw client is inflated', async () => {
    const server = await scope.server({ perMessageDeflate: true });
    const connection = once(server, 'connection');
    const client = scope.track(
      await rawHandshake(server.port, {
        headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      }),
    );
    const [socket] = (await connection) as [WebSocket];
    const message = once(socket, 'message');
    client.sendFrame({
      opcode: Op.TEXT,
      rsv1: true,
      payload: compress(Buffer.from('hello, deflate')),
    });
    const [data, isBinary] = (await message) as [Buffer, boolean];
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe('hello, deflate');
  });

  test('a decompression bomb past maxMessageSize ends in close 1009', async () => {
    const errors: WebSocketError[] = [];
    const errorReported = deferred();
    const closed = deferred<number>();
    const server = await scope.server({
      maxMessageSize: MiB,
      perMessageDeflate: true,
      hooks: {
        error: (_peer, error) => {
          errors.push(error as WebSocketError);
          errorReported.resolve();
        },
        close: (_peer, details) => closed.resolve(details.code),
      },
    });
    const client = scope.track(
      await rawHandshake(server.port, {
        headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      }),
    );
    // 64 MiB of zeros compress to about 64 KiB: small on the wire, far past the limit inflated.
    const bomb = compress(Buffer.alloc(64 * MiB));
    expect(bomb.length).toBeLessThan(MiB);
    client.sendFrame({ opcode: Op.BINARY, rsv1: true, payload: bomb });
    const close = await client.readFrameOf(Op.CLOSE);
    expect(close.payload.readUInt16BE(0)).toBe(1009);
    await errorReported.promise;
    expect(errors[0]?.closeCode).toBe(1009);
    await client.closed;
    // The server failed the connection (RFC 6455 §7.1.7): no close frame came back, so 1006.
    expect(await closed.promise).toBe(1006);
    expect(server.clients.size).toBe(0);
  });
});
