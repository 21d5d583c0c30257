/**
 * Hardening: misuse of the public API of @wskit/node's WebSocket and WebSocketServer throws a
 * clear, typed error (a WebSocketError with a stable code and a message naming the problem)
 * instead of sending bad bytes or failing later (RFC 6455 §5.5, §7.4).
 */
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type WebSocket, WebSocketError, WebSocketServer } from '../src/index.js';
import { TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

function expectClearError(run: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(WebSocketError);
  expect((thrown as WebSocketError).code).toBe(code);
  expect((thrown as Error).message).toMatch(message);
}

/** A server peer and a @wskit/node client, both open. */
async function pair(): Promise<{
  server: WebSocketServer;
  peer: WebSocket;
  client: WebSocket<undefined>;
}> {
  const server = await scope.server();
  const connection = once(server, 'connection');
  const client = await connect(wsUrl(server.port));
  scope.defer(() => client.terminate());
  const [peer] = (await connection) as [WebSocket];
  return { server, peer, client };
}

describe('hardening: API misuse throws clear errors', () => {
  test.each(['peer', 'client'] as const)(
    '%s: send/ping/pong/close reject bad arguments',
    async (side) => {
      const { peer, client } = await pair();
      const socket = side === 'peer' ? peer : client;
      expectClearError(() => socket.send(42 as never), 'WS_ERR_INVALID_ARGUMENT', /send expects/);
      expectClearError(() => socket.send(null as never), 'WS_ERR_INVALID_ARGUMENT', /null/);
      expectClearError(() => socket.send({} as never), 'WS_ERR_INVALID_ARGUMENT', /send expects/);
      expectClearError(() => socket.ping(Buffer.alloc(200)), 'WS_ERR_INVALID_ARGUMENT', /125/);
      expectClearError(() => socket.pong(Buffer.alloc(126)), 'WS_ERR_INVALID_ARGUMENT', /125/);
      expectClearError(() => socket.ping(7 as never), 'WS_ERR_INVALID_ARGUMENT', /ping expects/);
      for (const code of [999, 1004, 1005, 1006, 1015, 5000, 1000.5, Number.NaN]) {
        expectClearError(() => socket.close(code), 'WS_ERR_INVALID_ARGUMENT', /code/i);
      }
      expectClearError(
        () => socket.close(1000, 'r'.repeat(200)),
        'WS_ERR_INVALID_ARGUMENT',
        /123|reason/,
      );
      // None of the refused calls changed the state: the connection still closes cleanly.
      expect(socket.readyState).toBe(socket.OPEN);
      const closed = once(socket, 'close');
      socket.close(1000, 'done');
      expect((await closed)[0]).toBe(1000);
    },
  );

  test('peer: subscribe/publish reject non-string topics; a client has no pub/sub', async () => {
    const { peer, client } = await pair();
    expectClearError(() => peer.subscribe(42 as never), 'WS_ERR_INVALID_ARGUMENT', /topic/);
    expectClearError(() => peer.publish(42 as never, 'x'), 'WS_ERR_INVALID_ARGUMENT', /topic/);
    // A bad payload is refused even when nobody is subscribed to the topic.
    expectClearError(() => peer.publish('room', 42 as never), 'WS_ERR_INVALID_ARGUMENT', /publish/);
    expect(() => client.subscribe('room')).toThrow(WebSocketError);
    expect(() => client.publish('room', 'x')).toThrow(WebSocketError);
  });

  test('send/ping/pong after close do not throw (the timing of the peer is no bug of the caller); callbacks get WS_ERR_INVALID_STATE', async () => {
    const { client } = await pair();
    const closed = once(client, 'close');
    client.close();
    await closed;
    expect(() => client.send('late')).not.toThrow();
    expect(() => client.ping()).not.toThrow();
    expect(() => client.pong()).not.toThrow();
    const late = await new Promise<Error | null | undefined>((resolve) =>
      client.send('late', resolve),
    );
    expect(late).toMatchObject({ code: 'WS_ERR_INVALID_STATE' });
    // Bad arguments still throw, whatever the state.
    expectClearError(() => client.send(42 as never), 'WS_ERR_INVALID_ARGUMENT', /send/);
    expectClearError(() => client.close(1006), 'WS_ERR_INVALID_ARGUMENT', /1006|close code/);
    // close and terminate on a closed socket are no-ops, as in `ws`.
    expect(() => client.close()).not.toThrow();
    expect(() => client.terminate()).not.toThrow();
  });

  test('WebSocketServer: bad options and bad publish arguments throw WS_ERR_INVALID_ARGUMENT', async () => {
    expectClearError(
      () => new WebSocketServer(null as never),
      'WS_ERR_INVALID_ARGUMENT',
      /options/,
    );
    expectClearError(
      () => new WebSocketServer({ noServer: true, maxMessageSize: -1 }),
      'WS_ERR_INVALID_ARGUMENT',
      /maxMessageSize/,
    );
    expectClearError(
      () => new WebSocketServer({ noServer: true, handshakeTimeout: 'x' as never }),
      'WS_ERR_INVALID_ARGUMENT',
      /handshakeTimeout/,
    );
    expectClearError(
      () => new WebSocketServer({ noServer: true, heartbeat: { interval: 0 } }),
      'WS_ERR_INVALID_ARGUMENT',
      /heartbeat/,
    );
    expect(() => new WebSocketServer({ port: 0, noServer: true })).toThrow(WebSocketError);
    expect(() => new WebSocketServer({})).toThrow(WebSocketError);
    const server = new WebSocketServer({ noServer: true });
    scope.defer(() => server.close());
    expect(() => server.publish(42 as never, 'x')).toThrow(WebSocketError);
  });

  test('connect: a bad URL or options reject with a clear error', async () => {
    await expect(connect('http://[bad')).rejects.toThrow(/url|URL/);
    await expect(connect('ftp://127.0.0.1/')).rejects.toThrow(/ws|scheme|protocol/i);
    await expect(connect('ws://127.0.0.1:1/', null as never)).rejects.toThrow(WebSocketError);
  });
});
