import type { IncomingMessage } from 'node:http';
import type { UpgradeRequest } from '@wskit/core';
import {
  firstHeaderValue,
  firstPackedEntry,
  NO_PROTOCOLS,
  packHeaderLines,
  unpackHeaderLines,
} from '@wskit/server';
import { HeadRequest } from './head-request.js';

/**
 * An extended CONNECT stream's request (RFC 8441), as `http2-server.ts` hands it over: the URL
 * already built from `:scheme`, `:authority` and `:path`, the header lines, the session socket.
 */
export interface Http2RequestSource {
  readonly extendedConnect: true;
  readonly httpVersion: '2.0';
  readonly url: string;
  /** Alternating names and values, pseudo-headers included (WHATWG `Headers` leaves them out). */
  readonly rawHeaders: readonly string[];
  readonly socket: { readonly remoteAddress?: string | undefined } | undefined;
}

/**
 * The shared API's view of a Node upgrade request. It keeps neither the IncomingMessage nor
 * its header array: the header lines live in one string and the WHATWG `Headers` object is
 * built on first use, the address is read from the socket when asked. At 10,000 connections
 * every retained object counts (packages/bench, idle memory).
 */
export class NodeUpgradeRequest implements UpgradeRequest {
  readonly method: string;
  /**
   * `ws://host/path`, built when first read from the request-target and the Host line: most
   * peers never ask, and the string is about 40 bytes kept per connection otherwise.
   */
  #url: string | undefined;
  /**
   * `'1.1'` for an HTTP/1.1 Upgrade, `'2.0'` for an extended CONNECT stream of an HTTP/2
   * connection (RFC 8441), as Node's `request.httpVersion` says.
   */
  readonly httpVersion: string;
  readonly protocols: readonly string[];
  readonly origin: string | undefined;
  readonly #socket: { readonly remoteAddress?: string | undefined } | undefined;
  #rawHeaders: string | undefined;
  #headers: Headers | undefined;
  /** The request itself, only while the handshake runs (the ws-style hooks need it). */
  #incoming: IncomingMessage | undefined;

  /** @internal Made by the server for each handshake; not for applications to construct. */
  constructor(
    request: IncomingMessage | HeadRequest | Http2RequestSource,
    protocols: readonly string[],
    origin: string | undefined,
  ) {
    // Most clients offer no subprotocol: one shared empty list, not an array per connection.
    this.protocols = protocols.length === 0 ? NO_PROTOCOLS : protocols;
    this.origin = origin;
    this.#socket = request.socket;
    if (request instanceof HeadRequest) {
      // A standalone server's own acceptor: the parsed lines, no IncomingMessage at all.
      // The request-target first (for `url`), then names and values.
      const lines: string[] = [request.url];
      for (const [name, value] of request.headerLines) lines.push(name, value);
      this.#rawHeaders = packHeaderLines(lines);
      this.httpVersion = request.httpVersion;
      this.method = request.method;
      this.#incoming = request as unknown as IncomingMessage;
      return;
    }
    // As above: the request-target first (none for HTTP/2: `url` is given), one flat string.
    const target = isHttp2Source(request) ? '' : (request.url ?? '/');
    this.#rawHeaders = packHeaderLines([target, ...request.rawHeaders]);
    this.httpVersion = request.httpVersion;
    if (isHttp2Source(request)) {
      this.method = 'CONNECT';
      this.#url = request.url;
      return;
    }
    this.method = request.method ?? 'GET';
    this.#incoming = request;
  }

  get url(): string {
    if (this.#url === undefined) {
      const packed = this.#rawHeaders ?? '/';
      // The first Host line (a repeated Host is not joined, as in Node's `headers.host`).
      const host = firstHeaderValue(packed, 'host', 1);
      this.#url = webSocketUrl(this.#socket, host, firstPackedEntry(packed) || '/');
    }
    return this.#url;
  }

  /**
   * @internal Node's IncomingMessage of this request, for ws-style `verifyClient` and
   * `handleProtocols`; undefined once the handshake is decided (a peer keeps no request).
   */
  get incomingMessage(): IncomingMessage | undefined {
    return this.#incoming;
  }

  /** @internal The handshake is decided: let go of the IncomingMessage. */
  releaseIncomingMessage(): void {
    this.#incoming = undefined;
  }

  get remoteAddress(): string | undefined {
    return this.#socket?.remoteAddress;
  }

  get headers(): Headers {
    if (this.#headers === undefined) {
      // The URL needs the raw Host line, which is let go of below.
      if (this.#url === undefined) void this.url;
      // The request-target is packed in front of the lines. HTTP/2 pseudo-headers and a line
      // Node accepted but WHATWG Headers rejects are left out (see unpackHeaderLines).
      this.#headers = unpackHeaderLines(this.#rawHeaders ?? '', 1);
      this.#rawHeaders = undefined;
    }
    return this.#headers;
  }

  /** @internal Header lines as pairs, as the core's handshake validation wants them. */
  static headerPairs(request: IncomingMessage | HeadRequest): Array<[string, string]> {
    if (request instanceof HeadRequest) return request.headerLines as Array<[string, string]>;
    const raw = request.rawHeaders;
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < raw.length; i += 2)
      pairs.push([raw[i] as string, raw[i + 1] as string]);
    return pairs;
  }
}

/**
 * `ws://host/path` as one flat string: a template literal would be a rope of three or four
 * pieces, each its own object, kept for the connection's life.
 */
function webSocketUrl(
  socket: object | undefined,
  host: string | undefined,
  target: string,
): string {
  const scheme =
    (socket as { encrypted?: boolean } | undefined)?.encrypted === true ? 'wss://' : 'ws://';
  return [scheme, host ?? 'localhost', target].join('');
}

function isHttp2Source(
  request: IncomingMessage | Http2RequestSource,
): request is Http2RequestSource {
  return (request as Http2RequestSource).extendedConnect === true;
}
