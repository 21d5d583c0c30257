/**
 * Backpressure on server peers: `bufferedAmount`, the 'drain' event and hook, and the
 * `maxBufferedAmount` cap that drops a peer that does not read.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import type { Peer, WebSocket, WebSocketError } from '../src/index.js';
import { rawHandshake } from './helpers/raw-client.js';
import { deferred, nextEvent, nextTurn, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const MiB = 1024 * 1024;
/** Far more than loopback socket buffers hold: reaching it means the test is broken. */
const SEND_LIMIT = 256 * MiB;

/** Sends chunks, a turn of the event loop apart, until `done()`; returns the bytes sent. */
async function sendUntil(socket: WebSocket, done: () => boolean): Promise<number> {
  let sent = 0;
  while (!done()) {
    if (sent > SEND_LIMIT) throw new Error('sent 256 MiB without reaching the condition');
    for (let i = 0; i < 8 && !done(); i++) {
      socket.send(CHUNK);
      sent += CHUNK.length;
    }
    await nextTurn();
  }
  return sent;
}

describe('backpressure', () => {
  test("bufferedAmount grows while the client does not read; 'drain' and the drain hook follow", async () => {
    const drainedPeers = deferred<Peer>();
    const server = await scope.server({
      heartbeat: false,
      hooks: { drain: (peer) => drainedPeers.resolve(peer) },
    });
    const connection = once(server, 'connection');
    const client = await scope.client(wsUrl(server.port));
    const [socket] = (await connection) as [WebSocket];
    expect(socket.bufferedAmount).toBe(0);

    client.pause();
    const sent = await sendUntil(socket, () => socket.bufferedAmount > MiB);
    expect(socket.bufferedAmount).toBeGreaterThan(MiB);
    expect(socket.bufferedAmount).toBeLessThanOrEqual(sent);

    let received = 0;
    const allReceived = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer) => {
        received += data.length;
        if (received === sent) resolve();
      }),
    );
    const drained = once(socket, 'drain');
    client.resume();
    await drained;
    expect(await drainedPeers.promise).toBe(socket);
    expect(socket.bufferedAmount).toBe(0);
    await allReceived;
    expect(socket.readyState).toBe(socket.OPEN);
  });

  test('maxBufferedAmount: a client that never reads is dropped with WS_ERR_SEND_BUFFER_FULL', async () => {
    const hookErrors: WebSocketError[] = [];
    const server = await scope.server({
      heartbeat: false,
      maxBufferedAmount: MiB,
      hooks: {
        error: (_peer, error) => {
          hookErrors.push(error as WebSocketError);
        },
      },
    });
    const connection = once(server, 'connection');
    const client = scope.track(await rawHandshake(server.port));
    client.socket.pause();
    const [socket] = (await connection) as [WebSocket];
    const errors: WebSocketError[] = [];
    const sendsInErrorListener: Array<Promise<Error | null | undefined>> = [];
    socket.on('error', (error) => {
      errors.push(error as WebSocketError);
      // A ws-style sender loop notices only on its next send: that must not throw.
      if (errors.length === 1) {
        sendsInErrorListener.push(new Promise((resolve) => socket.send(CHUNK, resolve)));
      }
    });
    const closed = nextEvent<[number]>(socket, 'close');

    await sendUntil(socket, () => errors.length > 0);
    expect(errors.map((error) => error.code)).toEqual(['WS_ERR_SEND_BUFFER_FULL']);
    expect(hookErrors.map((error) => error.code)).toEqual(['WS_ERR_SEND_BUFFER_FULL']);
    // Dropped at once: no more sending to it, and nothing more is buffered for it.
    expect(socket.readyState).not.toBe(socket.OPEN);
    const late = await new Promise<Error | null | undefined>((resolve) =>
      socket.send(CHUNK, resolve),
    );
    expect(late).toBeInstanceOf(Error);
    expect(await Promise.all(sendsInErrorListener)).toEqual([expect.any(Error)]);

    expect((await closed)[0]).toBe(1006);
    expect(server.clients.size).toBe(0);
    expect(socket.bufferedAmount).toBeLessThan(2 * MiB);
    // The kernel still delivers what it had accepted, then the end of the connection.
    client.discardInput();
    await client.closed;
  });
});
