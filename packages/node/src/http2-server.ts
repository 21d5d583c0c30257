/**
 * WebSockets over HTTP/2 (RFC 8441) on Node's `node:http2`: which streams are ours, how an
 * answer is written to a stream, and the standalone server. The handshake itself is the core's
 * (`validateH2ClientRequest`, `buildH2AcceptResponse`); the decision is the shared layer's
 * `decideUpgrade`, as for HTTP/1.1 (server.ts). An accepted stream is a Duplex: the same driver
 * runs on it, `end()` sends END_STREAM and `destroy()` RST_STREAM.
 */
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import { isH2WebSocketRequest, type RejectResponse, toH2RejectResponse } from '@wskit/core';
import { http2Module } from './builtin-http2.js';
import type { Http2RequestSource } from './upgrade-request.js';

/** An HTTP/2 server a WebSocketServer can attach to (TLS, or h2c). */
export type AnyHttp2Server = http2.Http2SecureServer | http2.Http2Server;

/**
 * RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 tells clients (Chromium among them) that
 * WebSockets may be opened as streams of this connection.
 */
export const HTTP2_WEBSOCKET_SETTINGS: http2.Settings = { enableConnectProtocol: true };

/** Node's http and https servers have no `updateSettings`; its HTTP/2 servers do. */
export function isHttp2Server(server: unknown): server is AnyHttp2Server {
  return (
    typeof server === 'object' &&
    server !== null &&
    typeof (server as { updateSettings?: unknown }).updateSettings === 'function'
  );
}

/** The request as `NodeUpgradeRequest` keeps it: header lines and the session's socket. */
export function http2RequestSource(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  url: string,
): Http2RequestSource {
  const rawHeaders: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') rawHeaders.push(name, value);
    else for (const item of value) rawHeaders.push(name, item);
  }
  // Read now: Node's session socket is a proxy that throws once the session is gone, and a
  // close hook may still ask for the address.
  let remoteAddress: string | undefined;
  try {
    remoteAddress = stream.session?.socket?.remoteAddress;
  } catch {
    remoteAddress = undefined;
  }
  return { extendedConnect: true, httpVersion: '2.0', url, rawHeaders, socket: { remoteAddress } };
}

/** `[name, value]` lines as the header object `stream.respond` takes (repeats as arrays). */
export function http2ResponseHeaders(
  status: number,
  lines: ReadonlyArray<readonly [string, string]>,
): http2.OutgoingHttpHeaders {
  const headers: Record<string, string | string[] | number> = { ':status': status };
  for (const [name, value] of lines) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [String(existing), value];
  }
  return headers;
}

/**
 * Answers a refused CONNECT with the decision's status, headers and body, then ends the
 * stream. A stream the client already reset is left alone.
 */
export function respondHttp2Reject(stream: http2.ServerHttp2Stream, response: RejectResponse) {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const answer = toH2RejectResponse(response);
  try {
    stream.respond(http2ResponseHeaders(answer.status, answer.headers));
    stream.end(answer.body);
  } catch {
    // The session went away between the check and the write: nothing to answer.
    stream.destroy();
  }
}

/** What the router needs from a WebSocketServer. */
export interface Http2StreamHandler {
  shouldHandlePath(path: string): boolean;
  handleStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void;
}

/**
 * One 'stream' listener per HTTP/2 server, sending extended CONNECT streams to the
 * WebSocketServer for their path; every other stream is left to the user's handlers.
 *
 * Node's compatibility layer (installed once the server has a 'request' listener) answers any
 * CONNECT with a 405 unless the server has a 'connect' listener, so the router registers one:
 * it ignores WebSocket streams (the 'stream' listener has them) and, when nobody else listens
 * for 'connect', gives other CONNECTs the 405 Node would have.
 */
export class Http2StreamRouter {
  readonly #handlers = new Set<Http2StreamHandler>();
  readonly #server: AnyHttp2Server;
  readonly #onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    if (!isH2WebSocketRequest(headers)) return;
    const path = headers[':path'] ?? '/';
    for (const handler of this.#handlers) {
      if (handler.shouldHandlePath(path)) {
        handler.handleStream(stream, headers);
        return;
      }
    }
    // Other 'stream' listeners had their turn: if none answered, there is no endpoint here.
    setImmediate(() => {
      if (stream.headersSent || stream.destroyed || stream.closed) return;
      stream.on('error', ignore);
      try {
        stream.respond({ ':status': 404, 'content-type': 'text/plain; charset=utf-8' });
        stream.end('No WebSocket endpoint at this path');
      } catch {
        stream.destroy();
      }
    });
  };
  readonly #onConnect = (
    request: http2.Http2ServerRequest,
    response: http2.Http2ServerResponse,
  ) => {
    if (isH2WebSocketRequest(request.headers)) return;
    if (this.#server.listenerCount('connect') <= 1) {
      response.statusCode = 405;
      response.end();
    }
  };

  constructor(server: AnyHttp2Server) {
    this.#server = server;
  }

  add(handler: Http2StreamHandler): void {
    if (this.#handlers.size === 0) {
      this.#server.on('stream', this.#onStream);
      (this.#server as http2.Http2Server).on('connect' as 'stream', this.#onConnect as never);
    }
    this.#handlers.add(handler);
  }

  remove(handler: Http2StreamHandler): void {
    this.#handlers.delete(handler);
    if (this.#handlers.size === 0) {
      this.#server.off('stream', this.#onStream);
      (this.#server as http2.Http2Server).off('connect' as 'stream', this.#onConnect as never);
      http2Routers.delete(this.#server);
    }
  }
}

const http2Routers = new WeakMap<AnyHttp2Server, Http2StreamRouter>();

export function http2RouterFor(server: AnyHttp2Server): Http2StreamRouter {
  let router = http2Routers.get(server);
  if (router === undefined) {
    router = new Http2StreamRouter(server);
    http2Routers.set(server, router);
  }
  return router;
}

/**
 * The standalone `http2: true` server: TLS with `tls` (what browsers need, HTTP/1.1 upgrades
 * accepted on the same port through ALPN), h2c without (HTTP/2 only: Node cannot tell an
 * HTTP/1.1 request from an h2c preface on a cleartext port).
 */
export function createStandaloneHttp2Server(
  tls: http2.SecureServerOptions | undefined,
  onRequest: (
    request: http.IncomingMessage | http2.Http2ServerRequest,
    response: http.ServerResponse | http2.Http2ServerResponse,
  ) => void,
): AnyHttp2Server {
  if (tls !== undefined) {
    return http2Module().createSecureServer(
      {
        ...tls,
        allowHTTP1: true,
        settings: { ...tls.settings, ...HTTP2_WEBSOCKET_SETTINGS },
      },
      onRequest,
    );
  }
  return http2Module().createServer({ settings: HTTP2_WEBSOCKET_SETTINGS }, onRequest);
}

function ignore(): void {}
