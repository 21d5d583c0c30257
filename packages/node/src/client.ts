import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import {
  acceptDeflateResponse,
  createClientRequest,
  createDeflateOffer,
  type ExtensionElement,
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
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
  timeoutOption,
} from '@wskit/server';
import { attemptHttp2Handshake } from './http2-client.js';
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
  /** Time allowed for TCP, TLS, proxy and the HTTP upgrade together. 10 s; 0 or `Infinity`: no limit. */
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
  /**
   * Follow 301, 302, 303, 307 and 308 answers to the handshake (as ws does). Off by default:
   * a redirect rejects with `UnexpectedResponseError` and its `Location` header.
   */
  followRedirects?: boolean;
  /** How many redirects to follow at most. 10. */
  maxRedirects?: number;
  /**
   * Open the WebSocket as a stream of an HTTP/2 connection (RFC 8441), one connection per
   * origin shared by every WebSocket to it. `true`: when the server does not speak HTTP/2 or
   * does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL, fall back to an HTTP/1.1 upgrade.
   * `'require'`: refuse the fallback (rejects with WS_ERR_CONNECTION_FAILED). Not through a
   * proxy: with a proxy, `true` uses HTTP/1.1 and `'require'` throws. Default false.
   */
  http2?: boolean | 'require';
}

/** A non-101 answer to the handshake, with what the server said (401, redirects...). */
export class UnexpectedResponseError extends HandshakeResponseError {
  /** The response headers: `error.headers.get('location')`. */
  declare readonly headers: Headers;
  /** The response body, up to `maxResponseBodySize` bytes. */
  readonly body: Buffer;

  constructor(head: HttpResponseHead, body: Buffer) {
    super(head.status, head.statusText, headersOf(head));
    this.body = body;
  }
}

/** A response head's header lines as a WHATWG Headers (lines it refuses are left out). */
function headersOf(head: HttpResponseHead): Headers {
  const headers = new Headers();
  for (const [name, value] of head.headers) {
    try {
      headers.append(name, value);
    } catch {}
  }
  return headers;
}

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
  'followRedirects',
  'maxRedirects',
  'http2',
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

/** A completed opening handshake: what a connection needs to start. */
export interface ClientHandshake {
  /** A TCP or TLS socket (HTTP/1.1), or an HTTP/2 stream (RFC 8441). */
  readonly socket: Duplex;
  /** Bytes that arrived after the 101 head (frames may come with it); none over HTTP/2. */
  readonly head: Uint8Array | undefined;
  /** The URL finally connected to (after redirects). */
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly deflate: { negotiated: NegotiatedDeflate; codec: PerMessageCodec } | undefined;
  readonly options: ResolvedConnectionOptions;
  /** The 101 response. */
  readonly response: HttpResponseHead;
}

/** What a caller may learn while the handshake runs (the ws-style client emits these). */
export interface HandshakeObserver {
  /** A redirect is about to be followed. */
  redirect?(url: string): void;
}

/** @internal The options resolved once for every attempt (redirects reuse them). */
export interface HandshakeSettings {
  readonly options: ClientOptions;
  readonly connection: ResolvedConnectionOptions;
  readonly deflate: NodeDeflateOptions | undefined;
  readonly handshakeTimeout: number;
  readonly maxBody: number;
  readonly maxRedirects: number;
}

/** RFC 9110 §15.4: the redirects a client may follow for a GET. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Request headers that must not follow a redirect to another origin (ws does the same). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Opens a WebSocket connection (ws: or wss:, optionally through an HTTP proxy) and resolves
 * once the handshake has completed. Rejects with a `WebSocketError`: an
 * `UnexpectedResponseError` for a non-101 response, `WS_ERR_HANDSHAKE_TIMEOUT`,
 * `WS_ERR_CONNECTION_FAILED`, `WS_ERR_PROXY_FAILED`, or a handshake validation code. An
 * aborted `signal` rejects with its reason.
 */
export async function connect(
  url: string | URL,
  options: ClientOptions = {},
): Promise<WebSocket<undefined>> {
  const handshake = await openHandshake(url, options);
  const ws = new WebSocket<undefined>({
    socket: handshake.socket,
    head: handshake.head,
    role: 'client',
    url: handshake.url,
    protocol: handshake.protocol,
    extensions: handshake.extensions,
    deflate: handshake.deflate,
    options: handshake.options,
    monitor: new LivenessMonitor(handshake.options, defaultLivenessScheduler),
    id: nextClientId(),
    data: undefined,
    request: undefined,
    context: undefined,
  });
  // The caller's `await` continuation runs before this: its listeners see every message.
  setImmediate(() => ws.start());
  return ws;
}

let clientCount = 0;

/** @internal Ids of client connections. */
export function nextClientId(): string {
  return `client-${(clientCount++).toString(36)}`;
}

/**
 * @internal The opening handshake of a client (RFC 6455 §4.1), following redirects when asked;
 * `connect()` and the ws-style `new WebSocket(url)` both start here.
 */
export async function openHandshake(
  url: string | URL,
  options: ClientOptions,
  observer: HandshakeObserver = {},
): Promise<ClientHandshake> {
  if (options === null || typeof options !== 'object') {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'connect options must be an object');
  }
  checkOptionNames(options, CLIENT_OPTION_NAMES, NODE_PREFIX, '', CLIENT_OPTION_ALIASES);
  if (options.followRedirects !== undefined && typeof options.followRedirects !== 'boolean') {
    throw new WebSocketError(
      'WS_ERR_INVALID_ARGUMENT',
      `${NODE_PREFIX} option followRedirects must be a boolean`,
    );
  }
  const settings: HandshakeSettings = {
    options,
    connection: resolveConnectionOptions(options, NODE_PREFIX, {
      heartbeat: false,
      maxBufferedAmount: DEFAULTS.clientMaxBufferedAmount,
    }),
    deflate: resolveDeflateOption(options.perMessageDeflate, true),
    handshakeTimeout: timeoutOption(
      NODE_PREFIX,
      'handshakeTimeout',
      options.handshakeTimeout,
      DEFAULTS.handshakeTimeout,
    ),
    maxBody: nonNegative(
      NODE_PREFIX,
      'maxResponseBodySize',
      options.maxResponseBodySize,
      64 * 1024,
    ),
    maxRedirects: nonNegative(NODE_PREFIX, 'maxRedirects', options.maxRedirects, 10),
  };
  if (
    options.http2 !== undefined &&
    typeof options.http2 !== 'boolean' &&
    options.http2 !== 'require'
  ) {
    throw new WebSocketError(
      'WS_ERR_INVALID_ARGUMENT',
      `${NODE_PREFIX} option http2 must be true, false or 'require'`,
    );
  }
  let target: string | URL = url;
  let headers = options.headers;
  for (let redirects = 0; ; redirects++) {
    try {
      return await attemptHandshake(target, headers, settings);
    } catch (error) {
      const location =
        error instanceof UnexpectedResponseError && REDIRECT_STATUSES.has(error.status)
          ? error.headers.get('location')
          : null;
      if (options.followRedirects !== true || location === null) throw error;
      if (redirects >= settings.maxRedirects) {
        throw new WebSocketError(
          'WS_ERR_CONNECTION_FAILED',
          `maximum redirects exceeded (${settings.maxRedirects})`,
          { cause: error },
        );
      }
      const next = redirectTarget(location, new URL(String(target)));
      // Credentials are for the origin they were given for, not wherever a redirect points.
      if (originOf(next) !== originOf(new URL(String(url)))) headers = withoutCredentials(headers);
      observer.redirect?.(next.href);
      target = next;
    }
  }
}

/** A Location against the URL that answered it, with http(s) mapped to ws(s) (as ws does). */
function redirectTarget(location: string, base: URL): URL {
  let next: URL;
  try {
    next = new URL(location, base.href.replace(/^ws/, 'http'));
  } catch {
    throw new WebSocketError(
      'WS_ERR_CONNECTION_FAILED',
      `the redirect Location ${JSON.stringify(location)} is not a URL`,
    );
  }
  if (next.protocol === 'http:') next.protocol = 'ws:';
  else if (next.protocol === 'https:') next.protocol = 'wss:';
  if (next.protocol !== 'ws:' && next.protocol !== 'wss:') {
    throw new WebSocketError(
      'WS_ERR_CONNECTION_FAILED',
      `cannot follow a redirect to ${next.protocol} (${next.href})`,
    );
  }
  return next;
}

function originOf(url: URL): string {
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  return `${secure ? 'wss' : 'ws'}://${url.host}`;
}

function withoutCredentials(headers: ClientOptions['headers']): ClientOptions['headers'] {
  if (headers === undefined) return undefined;
  const pairs = Array.isArray(headers)
    ? (headers as ReadonlyArray<readonly [string, string]>)
    : Object.entries(headers as Record<string, string>);
  return pairs.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
}

/** One handshake with one server (no redirects): over HTTP/2 when asked and offered. */
async function attemptHandshake(
  url: string | URL,
  requestHeaders: ClientOptions['headers'],
  settings: HandshakeSettings,
): Promise<ClientHandshake> {
  if (settings.options.http2 !== undefined && settings.options.http2 !== false) {
    const overHttp2 = await attemptHttp2Handshake(url, requestHeaders, settings);
    if (overHttp2 !== undefined) return overHttp2;
  }
  return attemptHttp1Handshake(url, requestHeaders, settings);
}

/** One HTTP/1.1 Upgrade handshake (RFC 6455 §4.1) with one server. */
function attemptHttp1Handshake(
  url: string | URL,
  requestHeaders: ClientOptions['headers'],
  settings: HandshakeSettings,
): Promise<ClientHandshake> {
  const { options, handshakeTimeout, maxBody } = settings;
  const connectionOptions = settings.connection;
  const deflateOptions = settings.deflate;
  return new Promise((resolve, reject) => {
    const request = createClientRequest({
      url,
      protocols: options.protocols,
      origin: options.origin,
      headers: requestHeaders as never,
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
          let deflate: ClientDeflate | undefined;
          try {
            negotiated = validateServerResponse(head, request);
            deflate = clientDeflate(negotiated.extensions, deflateOptions);
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
          resolve({
            socket: opened,
            head: parsed.rest,
            url: target.href,
            protocol: negotiated.protocol,
            extensions: formatExtensions(negotiated.extensions),
            deflate,
            options: connectionOptions,
            response: head,
          });
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

type ClientDeflate = { negotiated: NegotiatedDeflate; codec: PerMessageCodec };

/** @internal permessage-deflate as the server accepted it (RFC 7692 §5), with its codec. */
export function clientDeflate(
  extensions: readonly ExtensionElement[],
  deflateOptions: NodeDeflateOptions | undefined,
): ClientDeflate | undefined {
  const deflateResponses = extensions.filter((e) => e.name === PERMESSAGE_DEFLATE);
  if (deflateResponses.length > 1) {
    throw new WebSocketError(
      'WS_ERR_INVALID_EXTENSION',
      'the server accepted permessage-deflate twice',
    );
  }
  const response = deflateResponses[0];
  if (response === undefined || deflateOptions === undefined) return undefined;
  const agreed = acceptDeflateResponse(response, deflateOptions);
  return {
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

/** @internal The message of a transport error, with its code (`ECONNREFUSED`, TLS `CERT_...`) if absent. */
export function describeError(error: Error): string {
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
