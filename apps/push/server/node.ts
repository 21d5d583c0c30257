/** The Node.js entry (the default): an http server with the page, the API and the WebSocket. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { stopOnSignals } from '@wskit/app-shared/shutdown';
import { WebSocketServer } from '@wskit/node';
import { banner, openBackends, readConfig } from './config.js';
import { createPushApp, type PeerState, type PushAppOptions } from './hooks.js';

export interface NodePushServer {
  readonly url: string;
  readonly port: number;
  readonly app: ReturnType<typeof createPushApp>;
  /**
   * Graceful shutdown: stop accepting connections, close every peer (1001 by default; 1012
   * "service restart" from SIGTERM, so pages reconnect at once to another process), let
   * HTTP requests in flight finish within `timeout`, then close the store and broker.
   */
  close(options?: { code?: number; reason?: string; timeout?: number }): Promise<void>;
}

export interface StartOptions extends PushAppOptions {
  port?: number;
  host?: string;
  heartbeatMs?: number;
}

/** Starts the push server on Node; `port: 0` picks a free port. */
export async function startPushServer(options: StartOptions): Promise<NodePushServer> {
  const app = createPushApp(options);
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((request, response) => {
    handle(app.fetch, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  const sockets = new WebSocketServer<PeerState>({
    server,
    path: app.path,
    hooks: app.hooks,
    maxMessageSize: app.maxMessageBytes,
    heartbeat: { interval: options.heartbeatMs ?? 30_000, timeout: 10_000 },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    app,
    async close({ code = 1001, reason = 'server shutting down', timeout = 1_000 } = {}) {
      // Stop listening first: a peer that reconnects during the shutdown (nginx retries the
      // other upstream on a refused connection) must not land on this process again. Node
      // closes idle keep-alive connections here; requests in flight (a publisher's POST)
      // finish, and are cut after `timeout` below.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await sockets.close({ code, reason, timeout });
      const cut = setTimeout(() => server.closeAllConnections(), timeout);
      await stopped;
      clearTimeout(cut);
      await app.close();
    },
  };
}

/** Bridges node:http to the app's WHATWG fetch handler. */
async function handle(
  fetch: (request: Request) => Promise<Response>,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      // The app enforces its own limit; this only stops a client streaming without end.
      if (size > 1024 * 1024) {
        response.writeHead(413).end();
        request.destroy();
        return;
      }
      chunks.push(chunk);
    }
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const init: RequestInit = { method: request.method ?? 'GET', headers };
  if (chunks.length > 0) init.body = Buffer.concat(chunks);
  const answer = await fetch(
    new Request(`http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`, init),
  );
  response.writeHead(answer.status, Object.fromEntries(answer.headers));
  if (answer.body === null) {
    response.end();
    return;
  }
  // Streamed, not buffered: an event stream (server/sse.ts) never ends on its own. A client
  // that goes away cancels the body, which is how the stream learns to unsubscribe.
  const reader = answer.body.getReader();
  response.once('close', () => {
    reader.cancel().catch(() => undefined);
  });
  response.flushHeaders();
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done || response.destroyed) break;
    if (!response.write(value)) {
      await new Promise((resolve) => {
        response.once('drain', resolve);
        response.once('close', resolve);
      });
    }
  }
  response.end();
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const server = await startPushServer({
    ...(await openBackends(config)),
    token: config.token,
    allowedOrigins: config.allowedOrigins,
    webDir: config.webDir,
    port: config.port,
    host: process.env.HOST ?? '127.0.0.1',
  });
  console.log(banner(`Node.js ${process.version}`, server.url, config));
  stopOnSignals('push', (close) => server.close(close));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
