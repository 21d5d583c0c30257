import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  acceptDeflateResponse,
  createClientRequest,
  createDeflateOffer,
  formatExtensions,
  HandshakeResponseError,
  HttpHeadParser,
  type HttpResponseHead,
  headerView,
  type NegotiatedDeflate,
  PERMESSAGE_DEFLATE,
  type PerMessageCodec,
  validateServerResponse,
  WebSocketError,
} from '@wskit/core';
import {
  CONNECTION_OPTIONS,
  type ConnectionOptions,
  checkOptionNames,
  DEFAULTS,
  defaultLivenessScheduler,
  LivenessMonitor,
  nonNegative,
  resolveConnectionOptions,
} from '@wskit/server';
import { NODE_PREFIX, type NodeDeflateOptions, resolveDeflateOption } from './options.js';
import { openTunnel, proxyForUrl } from './proxy.js';
import { WebSocket } from './websocket.js';
import { createZlibCodec } from './zlib-codec.js';

export interface ClientOptions extends ConnectionOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
  /** Extra request headers (Authorization, Cookie...). Handshake headers cannot be replaced. */
  headers?: Record<string, string> | ReadonlyArray<readonly [string, string]>;
  /** The Origin header, as a browser would send it. */
  origin?: string;
  /** permessage-deflate (RFC 7692): offered by default, as browsers do. `false` to disable. */
  perMessageDeflate?: boolean | NodeDeflateOptions;
  /** Time allowed for TCP, TLS, proxy and the HTTP upgrade together. 10 s. */
  handshakeTimeout?: number;
  /** Cancels the connection attempt. */
  signal?: AbortSignal;
  /** TLS options for wss: (ca, cert, key, rejectUnauthorized, servername...). */
  tls?: tls.ConnectionOptions;
  /**
   * HTTP proxy URL (http: or https:), or `false` to ignore HTTP_PROXY/HTTPS_PROXY. Default:
   * from the environment, honouring NO_PROXY.
   */
  proxy?: string | URL | false;
  /** Largest body read from a non-101 response (for the error). 64 KiB. */
  maxResponseBodySize?: number;
}

/** A non-101 answer to the handshake, with what the server said (401, redirects...). */
export class UnexpectedResponseError extends HandshakeResponseError {
  /** The response body, up to `maxResponseBodySize` bytes. */
  readonly body: Buffer;

  constructor(head: HttpResponseHead, body: Buffer) {
    super(head.status, head.statusText, head.headers);
    this.body = body;
  }
}

let nextClientId = 0;

const CLIENT_OPTION_NAMES: readonly string[] = [
  ...CONNECTION_OPTIONS,
  'protocols',
  'headers',
  'origin',
  'perMessageDeflate',
  'handshakeTimeout',
  'signal',
  'tls',
  'proxy',
  'maxResponseBodySize',
];

/** Client option names of ws and of node:http, with what to write instead. */
const CLIENT_OPTION_ALIASES: Readonly<Record<string, string>> = {
  protocol: 'protocols (a string or an array of strings)',
  timeout: 'handshakeTimeout',
  maxPayload: "maxMessageSize (ws's maxPayload)",
  ca: 'tls: { ca }',
  rejectUnauthorized: 'tls: { rejectUnauthorized }',
  servername: 'tls: { servername }',
};

/**
 * Opens a WebSocket connection (ws: or wss:, optionally through an HTTP proxy) and resolves
 * once the handshake has completed. Rejects with a `WebSocketError`: an
 * `UnexpectedResponseError` for a non-101 response, `WS_ERR_HANDSHAKE_TIMEOUT`,
 * `WS_ERR_CONNECTION_FAILED`, `WS_ERR_PROXY_FAILED`, or a handshake validation code. An
 * aborted `signal` rejects with its reason.
 */
export function connect(
  url: string | URL,
  options: ClientOptions = {},
): Promise<WebSocket<undefined>> {
  return new Promise((resolve, reject) => {
    if (options === null || typeof options !== 'object') {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'connect options must be an object');
    }
    checkOptionNames(options, CLIENT_OPTION_NAMES, NODE_PREFIX, '', CLIENT_OPTION_ALIASES);
    const connectionOptions = resolveConnectionOptions(options, NODE_PREFIX, false);
    const deflateOptions = resolveDeflateOption(options.perMessageDeflate, true);
    const handshakeTimeout = nonNegative(
      NODE_PREFIX,
      'handshakeTimeout',
      options.handshakeTimeout,
      DEFAULTS.handshakeTimeout,
    );
    const maxBody = nonNegative(
      NODE_PREFIX,
      'maxResponseBodySize',
      options.maxResponseBodySize,
      64 * 1024,
    );
    const request = createClientRequest({
      url,
      protocols: options.protocols,
      origin: options.origin,
      headers: options.headers as never,
      extensions: deflateOptions === undefined ? [] : [createDeflateOffer(deflateOptions)],
    });
    const target = request.url;
    const secure = target.protocol === 'wss:';
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const port = Number(target.port) || (secure ? 443 : 80);
    // Before any timer or listener exists: an invalid proxy must not leave them behind.
    const proxy = proxyForUrl(target, options.proxy);

    let socket: net.Socket | undefined;
    let settled = false;
    /** Set once a non-101 head arrived: its body is being read for the error. */
    let rejection: { head: HttpResponseHead; body: ResponseBody } | undefined;
    const controller = new AbortController();
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      controller.abort(error);
      socket?.destroy();
      reject(error);
    };
    /** Rejects with what the server answered instead of 101, body as read so far. */
    const failWithResponse = () => {
      if (rejection !== undefined)
        fail(new UnexpectedResponseError(rejection.head, rejection.body.bytes()));
    };
    const timer =
      handshakeTimeout > 0
        ? setTimeout(() => {
            // A server that answered but is slow to finish its error body: its status says more
            // than a timeout would.
            if (rejection !== undefined) return failWithResponse();
            fail(
              new WebSocketError(
                'WS_ERR_HANDSHAKE_TIMEOUT',
                `the handshake did not complete within ${handshakeTimeout} ms`,
              ),
            );
          }, handshakeTimeout)
        : undefined;
    const onAbort = () => {
      const reason = options.signal?.reason;
      fail(
        reason instanceof Error
          ? reason
          : new DOMException('The connection attempt was aborted', 'AbortError'),
      );
    };
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const open = async (): Promise<net.Socket> => {
      const servername = net.isIP(host) ? undefined : host;
      if (proxy !== undefined) {
        const tunnel = await openTunnel(proxy, host, port, { signal: controller.signal });
        if (!secure) return tunnel;
        return tls.connect({
          socket: tunnel,
          // Without `host`, Node checks the certificate of an IP target (no servername) against
          // the tunnel socket's host name or else "localhost": the identity is the target's.
          host,
          servername,
          ALPNProtocols: ['http/1.1'],
          ...options.tls,
        });
      }
      return secure
        ? tls.connect({ host, port, servername, ALPNProtocols: ['http/1.1'], ...options.tls })
        : net.connect({ host, port });
    };

    const connectionFailed = (error: Error) =>
      new WebSocketError(
        'WS_ERR_CONNECTION_FAILED',
        `cannot connect to ${target.host}: ${describeError(error)}`,
        { cause: error },
      );

    open().then(
      (opened) => {
        if (settled) {
          opened.destroy();
          return;
        }
        socket = opened;
        const parser = new HttpHeadParser({ kind: 'response' });
        const onError = (error: Error) => {
          // A reset after an error response: the response is what matters.
          if (rejection !== undefined) failWithResponse();
          else fail(connectionFailed(error));
        };
        const onClose = () => {
          // A body without Content-Length ends when the server closes (RFC 9112 §6.3 step 8).
          if (rejection !== undefined) failWithResponse();
          else
            fail(
              new WebSocketError(
                'WS_ERR_CONNECTION_FAILED',
                `${target.host} closed the connection during the handshake`,
              ),
            );
        };
        const onData = (chunk: Buffer) => {
          if (rejection !== undefined) {
            if (rejection.body.push(chunk)) failWithResponse();
            return;
          }
          let parsed: ReturnType<typeof parser.feed>;
          try {
            parsed = parser.feed(chunk);
          } catch (error) {
            fail(error as Error);
            return;
          }
          if (parsed === undefined) return;
          const head = parsed.head;
          if (head.status !== 101) {
            // RFC 6455 §4.1: "If the status code received from the server is not 101, the
            // client handles the response per HTTP procedures": read the body (bounded) so the
            // caller sees what the server said.
            rejection = { head, body: new ResponseBody(head, maxBody) };
            if (rejection.body.push(Buffer.from(parsed.rest))) failWithResponse();
            return;
          }
          let negotiated: ReturnType<typeof validateServerResponse>;
          let deflate: { negotiated: NegotiatedDeflate; codec: PerMessageCodec } | undefined;
          try {
            negotiated = validateServerResponse(head, request);
            const deflateResponses = negotiated.extensions.filter(
              (e) => e.name === PERMESSAGE_DEFLATE,
            );
            if (deflateResponses.length > 1) {
              throw new WebSocketError(
                'WS_ERR_INVALID_EXTENSION',
                'the server accepted permessage-deflate twice',
              );
            }
            const response = deflateResponses[0];
            if (response !== undefined && deflateOptions !== undefined) {
              const agreed = acceptDeflateResponse(response, deflateOptions);
              deflate = {
                negotiated: agreed,
                codec: createZlibCodec(
                  {
                    deflate: agreed.deflateParamsFor('client'),
                    inflate: agreed.inflateParamsFor('client'),
                  },
                  deflateOptions,
                ),
              };
            }
          } catch (error) {
            fail(error as Error);
            return;
          }
          settled = true;
          cleanup();
          // Only our own listeners: a TLS socket has internal ones that must stay.
          opened.off('data', onData);
          opened.off('error', onError);
          opened.off('close', onClose);
          const ws = new WebSocket<undefined>({
            socket: opened,
            head: parsed.rest,
            role: 'client',
            url: target.href,
            protocol: negotiated.protocol,
            extensions: formatExtensions(negotiated.extensions),
            deflate,
            options: connectionOptions,
            monitor: new LivenessMonitor(connectionOptions, defaultLivenessScheduler),
            id: `client-${(nextClientId++).toString(36)}`,
            data: undefined,
            request: undefined,
            context: undefined,
          });
          resolve(ws);
          // The caller's `await` continuation runs before this: its listeners see every message.
          setImmediate(() => ws.start());
        };
        opened.on('data', onData);
        opened.on('error', onError);
        opened.on('close', onClose);
        opened.resume();
        opened.write(request.toBytes());
      },
      (error: Error) =>
        fail(
          error instanceof WebSocketError || (error as { name?: string }).name === 'AbortError'
            ? error
            : connectionFailed(error),
        ),
    );
  });
}

/** The message of a transport error, with its code (`ECONNREFUSED`, TLS `CERT_...`) if absent. */
function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}

/**
 * The body of a non-101 response, framed as RFC 9112 §6.3 says (Transfer-Encoding chunked,
 * Content-Length, or until the server closes) and kept up to `limit` bytes. Reading stops at
 * the limit: the error needs a sample of the body, not all of it.
 */
class ResponseBody {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #done = false;
  readonly #mode: 'chunked' | 'length' | 'close';
  /** Content-Length: bytes still expected. */
  #remaining = 0;
  /** Chunked: where the decoder is, the size line so far, the chunk bytes still expected. */
  #state: 'size' | 'data' | 'data-end' = 'size';
  #line = '';
  #chunkRemaining = 0;

  constructor(head: HttpResponseHead, limit: number) {
    this.#limit = limit;
    const headers = headerView(head.headers);
    const transferEncoding = headers.get('transfer-encoding');
    const contentLength = headers.get('content-length');
    if ((head.status >= 100 && head.status < 200) || head.status === 204 || head.status === 304) {
      // RFC 9112 §6.3 step 1: these never have a body.
      this.#mode = 'length';
      this.#done = true;
    } else if (transferEncoding !== undefined) {
      // Step 4: Transfer-Encoding wins over Content-Length; chunked must be the last coding,
      // otherwise the body runs until the server closes.
      const codings = transferEncoding.toLowerCase().split(',');
      this.#mode = codings[codings.length - 1]?.trim() === 'chunked' ? 'chunked' : 'close';
    } else if (contentLength !== undefined && /^\d+$/.test(contentLength.trim())) {
      this.#mode = 'length';
      this.#remaining = Number(contentLength.trim());
      if (this.#remaining === 0) this.#done = true;
    } else {
      this.#mode = 'close';
    }
    if (limit === 0) this.#done = true;
  }

  /** Takes bytes from the socket; true once the body is complete or the limit reached. */
  push(chunk: Buffer): boolean {
    if (this.#done || chunk.length === 0) return this.#done;
    if (this.#mode === 'chunked') {
      this.#readChunked(chunk);
    } else if (this.#mode === 'length') {
      const take = Math.min(chunk.length, this.#remaining);
      this.#keep(chunk.subarray(0, take));
      this.#remaining -= take;
      if (this.#remaining === 0) this.#done = true;
    } else {
      this.#keep(chunk);
    }
    return this.#done;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  #keep(bytes: Buffer): void {
    const room = this.#limit - this.#kept;
    if (room > 0 && bytes.length > 0) {
      const kept = bytes.subarray(0, room);
      this.#chunks.push(kept);
      this.#kept += kept.length;
    }
    if (this.#kept >= this.#limit) this.#done = true;
  }

  /** RFC 9112 §7.1: `size[;ext] CRLF data CRLF` ..., ending with a zero-size chunk. */
  #readChunked(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.#done) {
      if (this.#state === 'data') {
        const take = Math.min(this.#chunkRemaining, chunk.length - offset);
        this.#keep(chunk.subarray(offset, offset + take));
        offset += take;
        this.#chunkRemaining -= take;
        if (this.#chunkRemaining === 0) this.#state = 'data-end';
        continue;
      }
      const lf = chunk.indexOf(0x0a, offset);
      if (this.#state === 'data-end') {
        if (lf === -1) return;
        offset = lf + 1;
        this.#state = 'size';
        continue;
      }
      this.#line += chunk.toString('latin1', offset, lf === -1 ? chunk.length : lf);
      if (lf === -1) {
        // A size line this long is not HTTP: keep what was read.
        if (this.#line.length > 1024) this.#done = true;
        return;
      }
      offset = lf + 1;
      const size = Number.parseInt(this.#line, 16); // stops at ";ext" and at the CR
      this.#line = '';
      if (!(size > 0)) {
        // The last chunk (trailers are of no interest), or a malformed size line.
        this.#done = true;
        return;
      }
      this.#chunkRemaining = size;
      this.#state = 'data';
    }
  }
}
