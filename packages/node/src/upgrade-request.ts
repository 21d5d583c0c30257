import type { IncomingMessage } from 'node:http';
import type { UpgradeRequest } from '@wskit/core';

/**
 * The shared API's view of a Node upgrade request. It keeps only strings Node already
 * allocated (URL, raw header lines, address), not the IncomingMessage, and builds the WHATWG
 * `Headers` object on first use: at 10,000 connections every retained object counts.
 */
export class NodeUpgradeRequest implements UpgradeRequest {
  readonly method: string;
  readonly url: string;
  readonly protocols: readonly string[];
  readonly origin: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly #rawHeaders: string[];
  #headers: Headers | undefined;

  constructor(request: IncomingMessage, protocols: readonly string[], origin: string | undefined) {
    this.method = request.method ?? 'GET';
    const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
    const host = request.headers.host ?? 'localhost';
    this.url = `${encrypted ? 'wss' : 'ws'}://${host}${request.url ?? '/'}`;
    this.protocols = protocols;
    this.origin = origin;
    this.remoteAddress = request.socket.remoteAddress;
    this.#rawHeaders = request.rawHeaders;
  }

  get headers(): Headers {
    if (this.#headers === undefined) {
      const headers = new Headers();
      const raw = this.#rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        try {
          headers.append(raw[i] as string, raw[i + 1] as string);
        } catch {
          // A header Node accepted but WHATWG Headers rejects is left out rather than thrown.
        }
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** Header lines as pairs, as the core's handshake validation wants them. */
  static headerPairs(request: IncomingMessage): Array<[string, string]> {
    const raw = request.rawHeaders;
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < raw.length; i += 2)
      pairs.push([raw[i] as string, raw[i + 1] as string]);
    return pairs;
  }
}
