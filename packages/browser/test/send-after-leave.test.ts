/**
 * Nothing throws because the server left first: each public sending method of the browser
 * classes on Node, called after the server dropped the connection. (Misuse that does not
 * depend on timing still throws, as the specs say: send while CONNECTING, a bad close code.)
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { ReconnectingWebSocket, WebSocket, WebSocketStream } from '../src/node.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server that drops every connection (TCP reset, no close frame) right after it opens. */
async function droppingServer(): Promise<string> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(server);
  await once(server, 'listening');
  server.on('connection', (socket) => setTimeout(() => socket.terminate(), 20));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('after the server dropped the connection', () => {
  test('WebSocket: send and close do not throw (WHATWG: send after CLOSED is discarded)', async () => {
    const socket = new WebSocket(await droppingServer());
    await once(socket, 'open');
    await once(socket, 'close');
    expect(socket.readyState).toBe(WebSocket.CLOSED);
    expect(() => socket.send('late')).not.toThrow();
    expect(() => socket.send(new Uint8Array(8))).not.toThrow();
    expect(() => socket.close()).not.toThrow();
    expect(() => socket.close(1000, 'bye')).not.toThrow();
    // Misuse still throws whatever the state.
    expect(() => socket.close(1006)).toThrow(/InvalidAccessError|1006/);
  });

  test('WebSocketStream: a write after the end rejects its promise, nothing throws', async () => {
    const stream = new WebSocketStream(await droppingServer());
    const { writable } = await stream.opened;
    await stream.closed.catch(() => {});
    const writer = writable.getWriter();
    await expect(writer.write('late')).rejects.toBeDefined();
    expect(() => stream.close()).not.toThrow();
  });

  test('ReconnectingWebSocket: send after the end came from the other side (no retries left) is discarded, not thrown', async () => {
    const socket = new ReconnectingWebSocket(await droppingServer(), undefined, {
      maxRetries: 0,
    });
    const closed = new Promise((resolve) => socket.addEventListener('close', resolve));
    await closed;
    expect(() => socket.send('late')).not.toThrow();
    socket.close();
  });
});
