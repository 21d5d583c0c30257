/**
 * Hardening over TLS (wss://): the hostile handshakes of hardening-handshake.test.ts and
 * hardening-resources.test.ts, against a standalone server with `tls`. TLS adds a stage of its
 * own before any HTTP: a client that opens TCP and never finishes the TLS handshake must be cut
 * off by the same `handshakeTimeout` (Node's TLS default would keep it for 120 s).
 * Timeouts here bound behaviour, never performance.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocket, WebSocketServer } from '../src/index.js';
import {
  connectRaw,
  handshakeRequest,
  Op,
  type RawClient,
  rawHandshake,
  rawRequest,
  trickle,
} from './helpers/raw-client.js';
import { TestScope, TLS_CERT, TLS_KEY } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const TLS = { tls: true } as const;

async function secureEchoServer(
  handshakeTimeout = 10_000,
  http2 = false,
): Promise<WebSocketServer> {
  const server = await scope.server({
    tls: { key: TLS_KEY, cert: TLS_CERT },
    handshakeTimeout,
    ...(http2 ? { http2: true } : {}),
  });
  server.on('connection', (socket: WebSocket) =>
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
  );
  return server;
}

/** The server still completes a wss handshake and echoes a frame. */
async function assertStillServing(server: WebSocketServer): Promise<void> {
  const client = scope.track(await rawHandshake(server.port, {}, TLS));
  client.sendFrame({ opcode: Op.TEXT, payload: 'still here' });
  const frame = await client.readFrameOf(Op.TEXT);
  expect(frame.payload.toString()).toBe('still here');
}

/** A plain TCP connection that never sends a byte: no ClientHello, no TLS. */
function silentTcp(port: number): Promise<RawClient> {
  return connectRaw(port);
}

describe('hardening over TLS (wss://)', () => {
  test.each([
    ['HTTP/1.1', false],
    ['HTTP/2 (RFC 8441) with HTTP/1.1 allowed', true],
  ])(
    '%s: a TCP connection that never starts TLS is cut off by the handshake timeout',
    async (_, http2) => {
      const server = await secureEchoServer(500, http2);
      const client = scope.track(await silentTcp(server.port));
      const started = Date.now();
      await client.closed;
      // Bounded by handshakeTimeout (500 ms) plus scheduling, far below Node's TLS 120 s.
      expect(Date.now() - started).toBeLessThan(10_000);
      await assertStillServing(server);
    },
  );

  test('garbage instead of a ClientHello closes the connection, the server keeps serving', async () => {
    const server = await secureEchoServer();
    const client = scope.track(await connectRaw(server.port));
    client.write(handshakeRequest(server.port)); // plain HTTP on a TLS port
    await client.closed;
    await assertStillServing(server);
  });

  test('slowloris after TLS: a head trickled byte by byte is cut off by the handshake timeout', async () => {
    const server = await secureEchoServer(500);
    const client = scope.track(await connectRaw(server.port, TLS));
    const request = handshakeRequest(server.port);
    // One byte every 50 ms: the head would take far longer than the timeout to complete.
    const sent = await trickle(client, request, 50);
    expect(sent).toBeLessThan(request.length);
    await assertStillServing(server);
  });

  test('a flood of 2,000 header lines gets 431', async () => {
    const server = await secureEchoServer();
    const extra = Array.from({ length: 2000 }, (_, i) => `X-Flood-${i}: ${i}`).join('\r\n');
    const request = handshakeRequest(server.port).replace('\r\n\r\n', `\r\n${extra}\r\n\r\n`);
    const response = await rawRequest(server.port, request, TLS);
    scope.track(response.client);
    expect(response.status).toBe(431);
    await assertStillServing(server);
  });

  test('one 64 KiB header gets 431', async () => {
    const server = await secureEchoServer();
    const request = handshakeRequest(server.port, { headers: { 'X-Huge': 'a'.repeat(65_536) } });
    const response = await rawRequest(server.port, request, TLS);
    scope.track(response.client);
    expect(response.status).toBe(431);
    await assertStillServing(server);
  });

  test('300 TCP sockets that never start TLS and 100 wss handshakes do not starve an established client', async () => {
    const server = await secureEchoServer(5_000);
    const established = scope.track(await rawHandshake(server.port, {}, TLS));
    const sockets: net.Socket[] = [];
    scope.defer(() => {
      for (const socket of sockets) socket.destroy();
    });
    for (let i = 0; i < 300; i++) {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      sockets.push(socket);
    }
    const handshakes = Array.from({ length: 100 }, async () => {
      const client = await rawHandshake(server.port, {}, TLS).catch(() => undefined);
      client?.destroy();
      return client !== undefined;
    });
    const echoes = 100;
    for (let i = 0; i < echoes; i++) {
      established.sendFrame({ opcode: Op.TEXT, payload: `echo ${i}` });
      const frame = await established.readFrameOf(Op.TEXT);
      expect(frame.payload.toString()).toBe(`echo ${i}`);
    }
    expect((await Promise.all(handshakes)).filter(Boolean).length).toBe(100);
  }, 60_000);
});
