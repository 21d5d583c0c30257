/** Graceful shutdown: `await server.close()`. */
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { type WebSocket, WebSocketServer } from '../src/index.js';
import { handshakeRequest, Op, rawHandshake, rawRequest } from './helpers/raw-client.js';
import { closeOf, deferred, nextEvent, record, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

function connectionRefused(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error('the server still accepts connections'));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? ''));
  });
}

describe('graceful shutdown', () => {
  test('sends 1001 to every client and resolves after the closing handshakes', async () => {
    const server = await scope.server({ heartbeat: false });
    const serverSockets: WebSocket[] = [];
    server.on('connection', (socket: WebSocket) => serverSockets.push(socket));
    const clients = await Promise.all([1, 2, 3].map(() => scope.client(wsUrl(server.port))));
    const closes = clients.map((client) => closeOf(client));
    const serverCloses = serverSockets.map((socket) =>
      nextEvent<[number, Buffer, boolean]>(socket, 'close'),
    );
    const closeEvent = once(server, 'close');

    await server.close();

    // Resolved only once every peer finished its closing handshake.
    expect(serverSockets.map((socket) => socket.readyState)).toEqual([3, 3, 3]);
    expect(server.clients.size).toBe(0);
    for (const [code, , wasClean] of await Promise.all(serverCloses)) {
      expect(code).toBe(1001);
      expect(wasClean).toBe(true);
    }
    for (const { code } of await Promise.all(closes)) expect(code).toBe(1001);
    await closeEvent;
    expect(await connectionRefused(server.port)).toBe('ECONNREFUSED');
  });

  test('a custom code and reason', async () => {
    const server = await scope.server({ heartbeat: false });
    const client = await scope.client(wsUrl(server.port));
    const closed = closeOf(client);
    await server.close({ code: 1012, reason: 'restarting' });
    expect(await closed).toEqual({ code: 1012, reason: 'restarting' });
  });

  test('terminates clients that do not answer the close within timeout', async () => {
    const server = await scope.server({ heartbeat: false });
    const connection = once(server, 'connection');
    const client = scope.track(await rawHandshake(server.port));
    const [socket] = (await connection) as [WebSocket];
    const serverClose = nextEvent<[number, Buffer, boolean]>(socket, 'close');

    const closing = server.close({ timeout: 100 });
    // The client sees the 1001 close frame and ignores it.
    const frame = await client.readFrameOf(Op.CLOSE);
    expect(frame.payload.readUInt16BE(0)).toBe(1001);
    await closing;
    await client.closed;
    const [code, , wasClean] = await serverClose;
    expect(code).toBe(1006);
    expect(wasClean).toBe(false);
    expect(server.clients.size).toBe(0);
  });

  test('close() twice returns the same promise; the callback form works', async () => {
    const server = await scope.server();
    await scope.client(wsUrl(server.port));
    const first = server.close();
    expect(server.close()).toBe(first);
    const error = await new Promise<Error | undefined>((resolve) => server.close({}, resolve));
    expect(error).toBeUndefined();
  });

  test('a handshake whose upgrade hook finishes during shutdown gets 503', async () => {
    const hookEntered = deferred();
    const release = deferred<undefined>();
    const server = await scope.server({
      hooks: {
        upgrade: () => {
          hookEntered.resolve();
          return release.promise;
        },
      },
    });
    const connections = record(server, 'connection');
    const response = rawRequest(server.port, handshakeRequest(server.port));
    await hookEntered.promise;
    const closing = server.close({ timeout: 100 });
    release.resolve(undefined);
    const { status, client } = await response;
    scope.track(client);
    expect(status).toBe(503);
    await closing;
    expect(connections).toHaveLength(0);
    expect(server.clients.size).toBe(0);
  });

  test('attached: upgrades after close are no longer handled, the http server keeps serving', async () => {
    const httpServer = http.createServer((_request, response) => response.end('ok'));
    const server = new WebSocketServer({ server: httpServer });
    const port = await scope.listen(httpServer);
    const client = await scope.client(wsUrl(port));
    const closed = closeOf(client);
    await server.close();
    expect((await closed).code).toBe(1001);
    expect(httpServer.listening).toBe(true);
    expect(httpServer.listenerCount('upgrade')).toBe(0);
  });

  test('noServer: handleUpgrade after close answers 503', async () => {
    const server = new WebSocketServer({ noServer: true });
    const httpServer = http.createServer();
    httpServer.on('upgrade', (request, socket, head) =>
      server.handleUpgrade(request, socket, head),
    );
    const port = await scope.listen(httpServer);
    await server.close();
    const { status, client } = await rawRequest(port, handshakeRequest(port));
    scope.track(client);
    expect(status).toBe(503);
  });
});
