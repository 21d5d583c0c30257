/**
 * Heartbeat and idle timeout on server peers. Periods are short configured values; the tests
 * wait for events (pings seen, sockets closed), never for a fixed time.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import type { CloseDetails, WebSocket, WebSocketError } from '../src/index.js';
import { Op, rawHandshake } from './helpers/raw-client.js';
import { closeOf, deferred, nextEvent, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

describe('heartbeat', () => {
  test('a raw client that never answers pings is terminated; error and close are reported', async () => {
    const hookErrors: Error[] = [];
    const closed = deferred<CloseDetails>();
    const server = await scope.server({
      heartbeat: { interval: 100, timeout: 100 },
      hooks: {
        error: (_peer, error) => {
          hookErrors.push(error);
        },
        close: (_peer, details) => closed.resolve(details),
      },
    });
    const connection = once(server, 'connection');
    const client = scope.track(await rawHandshake(server.port));
    const [socket] = (await connection) as [WebSocket];
    const socketError = nextEvent<[WebSocketError]>(socket, 'error');
    const socketClose = nextEvent<[number]>(socket, 'close');

    // The server pings the silent client; the client ignores it.
    const ping = await client.readFrame();
    expect(ping.opcode).toBe(Op.PING);
    await client.closed;

    expect((await socketError)[0].code).toBe('WS_ERR_PONG_TIMEOUT');
    expect((await socketClose)[0]).toBe(1006);
    expect(await closed.promise).toMatchObject({ code: 1006, wasClean: false });
    expect(hookErrors.map((error) => (error as WebSocketError).code)).toEqual([
      'WS_ERR_PONG_TIMEOUT',
    ]);
    expect(server.clients.size).toBe(0);
  });

  test('a ws client (auto-pong) stays connected over several intervals', async () => {
    const server = await scope.server({ heartbeat: { interval: 50, timeout: 100 } });
    const errors: Error[] = [];
    server.on('connection', (socket: WebSocket) =>
      socket.on('error', (error: Error) => errors.push(error)),
    );
    const client = await scope.client(wsUrl(server.port));
    let pings = 0;
    await new Promise<void>((resolve) => {
      client.on('ping', () => {
        if (++pings === 5) resolve();
      });
    });
    expect(client.readyState).toBe(client.OPEN);
    expect(errors).toEqual([]);
    expect(server.clients.size).toBe(1);
  });

  test('a raw client that answers pings stays connected', async () => {
    const server = await scope.server({ heartbeat: { interval: 50, timeout: 100 } });
    const client = scope.track(await rawHandshake(server.port));
    for (let answered = 0; answered < 4; answered++) {
      const ping = await client.readFrameOf(Op.PING);
      client.sendFrame({ opcode: Op.PONG, payload: ping.payload });
    }
    expect(client.socket.destroyed).toBe(false);
    expect(server.clients.size).toBe(1);
  });

  test('heartbeat: false sends no pings', async () => {
    const server = await scope.server({ heartbeat: false, idleTimeout: 150 });
    const client = await scope.client(wsUrl(server.port));
    let pings = 0;
    client.on('ping', () => pings++);
    // The idle timeout is the event that ends the wait.
    await closeOf(client);
    expect(pings).toBe(0);
  });
});

describe('idle timeout', () => {
  test('a silent connection is closed with 1001', async () => {
    const server = await scope.server({ heartbeat: false, idleTimeout: 100 });
    const closed = deferred<CloseDetails>();
    server.on('connection', (socket: WebSocket) =>
      socket.on('close', (code: number, reason: Buffer, wasClean: boolean) =>
        closed.resolve({ code, reason: reason.toString(), wasClean }),
      ),
    );
    const client = await scope.client(wsUrl(server.port));
    const { code, reason } = await closeOf(client);
    expect(code).toBe(1001);
    expect(reason).toMatch(/idle/);
    // The client echoed the close: a clean closing handshake.
    expect(await closed.promise).toMatchObject({ code: 1001, wasClean: true });
  });

  test('traffic keeps an idle-timeout connection open', async () => {
    const server = await scope.server({ heartbeat: false, idleTimeout: 300 });
    let messages = 0;
    server.on('connection', (socket: WebSocket) =>
      socket.on('message', () => {
        messages++;
        socket.send('ack');
      }),
    );
    const client = await scope.client(wsUrl(server.port));
    const closes: number[] = [];
    client.on('close', (code: number) => closes.push(code));
    // Eight messages 50 ms apart: longer than the idle period in total, never silent for it.
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      client.send('tick');
      await once(client, 'message');
    }
    expect(messages).toBe(8);
    expect(closes).toEqual([]);
  });
});
