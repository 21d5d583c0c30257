import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { type WebSocketServer } from '../../src/ws/index.js';

/** Servers and clients a test opened, closed after it. */
export class Scope {
  readonly #servers: WebSocketServer[] = [];
  readonly #clients: WebSocket[] = [];
  readonly #closers: Array<() => Promise<void> | void> = [];

  server(server: WebSocketServer): WebSocketServer {
    this.#servers.push(server);
    return server;
  }

  client(client: WebSocket): WebSocket {
    this.#clients.push(client);
    return client;
  }

  onCleanup(close: () => Promise<void> | void): void {
    this.#closers.push(close);
  }

  async cleanup(): Promise<void> {
    for (const client of this.#clients.splice(0)) client.terminate();
    for (const server of this.#servers.splice(0)) await server.close({ timeout: 100 });
    for (const close of this.#closers.splice(0)) await close();
  }
}

export async function listening(server: WebSocketServer): Promise<string> {
  if (server.address() === null) await once(server, 'listening');
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The next message of a socket, as text. */
export async function nextText(socket: WebSocket): Promise<string> {
  const [data] = await once(socket, 'message');
  return String(data);
}

export { WebSocket };

/**
 * The close code. Not `events.once`: it rejects on an 'error' event, and ws emits 'error'
 * before 'close' when a connection fails.
 */
export function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}
