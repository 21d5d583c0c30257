/** The chat on Node.js: an http server for the page, @wskit/node's WebSocketServer at /ws. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@wskit/node';
import { type Broker, InProcessBroker } from './broker.js';
import { type ChatOptions, createChat, type PeerState } from './hooks.js';
import { HEALTH_BODY, HEALTH_PATH, SECURITY_HEADERS, staticFile } from './static.js';

export interface NodeChatOptions extends Omit<ChatOptions, 'broker'> {
  port?: number;
  host?: string;
  broker?: Broker;
  webDir: string;
  /** Heartbeat ping interval (ms); the nginx proxy_read_timeout must exceed it. 25,000. */
  heartbeatInterval?: number;
}

export interface NodeChat {
  readonly port: number;
  readonly url: string;
  readonly broker: Broker;
  /**
   * Graceful shutdown: stop accepting connections, close every peer (1001 by default; 1012
   * "service restart" from SIGTERM, so pages reconnect at once to another process), wait for
   * their messages in flight and room departures, within `timeout` for the closing handshakes.
   */
  close(options?: { code?: number; reason?: string; timeout?: number }): Promise<void>;
}

export const WEBSOCKET_PATH = '/ws';
/** Ping after 25 s of silence, drop after 10 s more: nginx.conf's proxy_read_timeout exceeds both. */
export const HEARTBEAT = { interval: 25_000, timeout: 10_000 } as const;

export async function startNodeChat(options: NodeChatOptions): Promise<NodeChat> {
  const broker = options.broker ?? new InProcessBroker(['lobby']);
  const chat = createChat({ ...options, broker });
  const server = http.createServer(async (request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname === HEALTH_PATH) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(HEALTH_BODY);
      return;
    }
    const file = request.method === 'GET' ? await staticFile(options.webDir, pathname) : undefined;
    if (file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': file.type, ...SECURITY_HEADERS }).end(file.body);
  });
  const wss = new WebSocketServer<PeerState>({
    server,
    path: WEBSOCKET_PATH,
    hooks: chat.hooks,
    // The protocol's own limit (a polite error reply) sits below this hard one (close 1009).
    maxMessageSize: 64 * 1024,
    heartbeat: {
      interval: options.heartbeatInterval ?? HEARTBEAT.interval,
      timeout: HEARTBEAT.timeout,
    },
  });
  server.listen(options.port ?? 3000, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    broker,
    async close({ code = 1001, reason = 'server shutting down', timeout = 1_000 } = {}) {
      // Stop listening first, so a page reconnecting during the shutdown goes to another
      // process. Peers are closed before the rooms are left: a `say` already received is
      // handled (stored, acknowledged if the peer is still there) rather than refused as
      // "not joined"; one the server never handled is resent by the page after it reconnects.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await wss.close({ code, reason, timeout });
      await chat.shutdown();
      server.closeAllConnections();
      await stopped;
    },
  };
}
