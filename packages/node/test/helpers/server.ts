/**
 * Starting servers and clients for tests, and closing all of them afterwards:
 * `const scope = new TestScope(); afterEach(() => scope.cleanup());`.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import WsClient from 'ws';
import { type ServerOptions, WebSocketServer } from '../../src/index.js';
import type { RawClient } from './raw-client.js';

const fixtures = new URL('../fixtures/', import.meta.url);
/** A self-signed certificate for localhost and 127.0.0.1 (test only). */
export const TLS_CERT = readFileSync(new URL('cert.pem', fixtures));
export const TLS_KEY = readFileSync(new URL('key.pem', fixtures));

export { WsClient };

export class TestScope {
  readonly #cleanups: Array<() => unknown> = [];

  /** Registers `cleanup` to run (newest first) in `cleanup()`. */
  defer(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  /** A standalone server on 127.0.0.1 and a free port, listening. */
  async server<Data = unknown>(
    options: Omit<ServerOptions<Data>, 'port' | 'server' | 'noServer'> = {},
  ): Promise<WebSocketServer<Data>> {
    const server = new WebSocketServer<Data>({ port: 0, host: '127.0.0.1', ...options });
    this.defer(() => server.close({ timeout: 100 }));
    await once(server, 'listening');
    return server;
  }

  /** Starts `server` on 127.0.0.1 and a free port; closes it (and its connections) later. */
  async listen(server: http.Server | https.Server): Promise<number> {
    this.defer(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /** A `ws` client, open. */
  async client(url: string, protocols?: string | string[], options?: WsClient.ClientOptions) {
    const client = new WsClient(url, protocols, options);
    this.track(client);
    await once(client, 'open');
    return client;
  }

  /** A `ws` client whose handshake is expected to fail: resolves with the response. */
  async rejected(url: string, options?: WsClient.ClientOptions): Promise<RejectedHandshake> {
    const client = new WsClient(url, options);
    this.track(client);
    const [, response] = (await once(client, 'unexpected-response')) as [
      http.ClientRequest,
      http.IncomingMessage,
    ];
    let body = '';
    response.setEncoding('utf8');
    for await (const chunk of response) body += chunk;
    return { status: response.statusCode ?? 0, headers: response.headers, body };
  }

  /** Closes `client` (a `ws` client or a raw one) at cleanup. */
  track<T extends WsClient | RawClient>(client: T): T {
    this.defer(() => {
      if (client instanceof WsClient) {
        client.on('error', () => {});
        client.terminate();
      } else client.destroy();
    });
    return client;
  }

  async cleanup(): Promise<void> {
    const cleanups = this.#cleanups.splice(0).reverse();
    for (const cleanup of cleanups) await cleanup();
  }
}

export interface RejectedHandshake {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** The `ws://127.0.0.1:port/path` URL of a server. */
export function wsUrl(port: number, path = '/'): string {
  return `ws://127.0.0.1:${port}${path}`;
}

/** Waits for the next 'close' of a `ws` client: `{ code, reason }`. */
export async function closeOf(client: WsClient): Promise<{ code: number; reason: string }> {
  if (client.readyState === WsClient.CLOSED) throw new Error('the client is already closed');
  const [code, reason] = (await once(client, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

/** Resolves after pending I/O callbacks and microtasks have run: a turn of the event loop. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve function outside, for hooks the test settles by hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Records every emission of `event` (the listener's arguments) in order. */
export function record<Args extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
): Args[] {
  const calls: Args[] = [];
  emitter.on(event, (...args: unknown[]) => calls.push(args as Args));
  return calls;
}

/** Like `events.once`, but an 'error' emitted meanwhile does not reject it. */
export function nextEvent<Args extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
): Promise<Args> {
  return new Promise((resolve) =>
    emitter.once(event, (...args: unknown[]) => resolve(args as Args)),
  );
}
