import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpRequestHead } from '@wskit/core';
import { isHeaderNamed } from '@wskit/server';

/**
 * The request of an upgrade read by a standalone server's own acceptor (standalone.ts) with the
 * core's HTTP head parser, in the shape ws programs use from `http.IncomingMessage`: `method`,
 * `url`, `httpVersion`, `headers` (lower-case names, repeated fields joined as Node joins
 * them), `rawHeaders`, `socket`. It is not a stream: an upgrade request has no body.
 *
 * `headers` and `rawHeaders` are built on first use, and a connection does not keep this
 * object: the peer keeps a `NodeUpgradeRequest` (upgrade-request.ts) instead.
 */
export class HeadRequest {
  readonly method: string;
  /** The request-target, e.g. `/chat?room=1`. */
  readonly url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly socket: Socket;
  /** The header lines in arrival order, names in their original case. */
  readonly headerLines: ReadonlyArray<readonly [string, string]>;
  readonly complete = true;
  readonly aborted = false;
  #headers: IncomingHttpHeaders | undefined;

  constructor(head: HttpRequestHead, socket: Socket) {
    // The literal rather than the parsed string: one shared 'GET', not one per connection.
    this.method = head.method === 'GET' ? 'GET' : head.method;
    this.url = head.target;
    // One shared string for the usual version rather than one per request.
    this.httpVersion = head.httpVersion === '1.1' ? HTTP_11 : head.httpVersion;
    const dot = this.httpVersion.indexOf('.');
    this.httpVersionMajor = Number(this.httpVersion.slice(0, dot));
    this.httpVersionMinor = Number(this.httpVersion.slice(dot + 1));
    this.headerLines = head.headers;
    this.socket = socket;
  }

  /** Node's old alias of `socket`. */
  get connection(): Socket {
    return this.socket;
  }

  /** Node's `rawHeaders`: names and values alternating. */
  get rawHeaders(): string[] {
    const raw: string[] = [];
    for (const [name, value] of this.headerLines) raw.push(name, value);
    return raw;
  }

  /** The first value of a header (case-insensitive name), without building `headers`. */
  header(lowerCaseName: string): string | undefined {
    for (const [name, value] of this.headerLines) {
      if (isHeaderNamed(name, lowerCaseName)) return value;
    }
    return undefined;
  }

  /**
   * Node's `headers`: lower-case names; a repeated `set-cookie` is an array, a repeated field
   * that must be single (Host, User-Agent...) keeps its first value, and others are joined
   * with ', ' (Node's `IncomingMessage` rules).
   */
  get headers(): IncomingHttpHeaders {
    if (this.#headers === undefined) {
      const headers: Record<string, string | string[]> = {};
      for (const [rawName, value] of this.headerLines) {
        const name = rawName.toLowerCase();
        const existing = headers[name];
        if (existing === undefined) {
          headers[name] = name === 'set-cookie' ? [value] : value;
        } else if (Array.isArray(existing)) {
          existing.push(value);
        } else if (!SINGLE_VALUED.has(name)) {
          headers[name] = name === 'cookie' ? `${existing}; ${value}` : `${existing}, ${value}`;
        }
      }
      this.#headers = headers as IncomingHttpHeaders;
    }
    return this.#headers;
  }
}

const HTTP_11 = '1.1';

/** Fields Node keeps only the first of (http.IncomingMessage's `_addHeaderLine`). */
const SINGLE_VALUED = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);
