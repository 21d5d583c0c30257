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
  type NegotiatedDeflate,
  PERMESSAGE_DEFLATE,
  type PerMessageCodec,
  type PerMessageDeflateOptions,
  validateDeflateOptions,
  validateServerResponse,
  WebSocketError,
} from '@wskit/core';
import { LivenessMonitor } from './liveness-monitor.js';
import {
  type ConnectionOptions,
  checkNonNegative,
  DEFAULT_HANDSHAKE_TIMEOUT,
  resolveConnectionOptions,
  resolveDeflateOption,
} from './options.js';
import { openTunnel, proxyForUrl } from './proxy.js';
import { WebSocket } from './websocket.js';
import { createZlibCodec, type ZlibCodecOptions } from './zlib-codec.js';

export interface ClientOptions extends ConnectionOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
  /** Extra request headers (Authorization, Cookie...). Handshake headers cannot be replaced. */
  headers?: Record<string, string> | ReadonlyArray<readonly [string, string]>;
  /** The Origin header, as a browser would send it. */
  origin?: string;
  /** permessage-deflate (RFC 7692): offered by default, as browsers do. `false` to disable. */
  perMessageDeflate?: boolean | (PerMessageDeflateOptions & ZlibCodecOptions);
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

/**
 * Opens a WebSocket connection (ws: or wss:, optionally through an HTTP proxy) and resolves
 * once the handshake has completed. Rejects with a `WebSocketError`: an
 * `UnexpectedResponseError` for a non-101 response, `WS_ERR_HANDSHAKE_TIMEOUT`,
 * `WS_ERR_CONNECTION_FAILED`, `WS_ERR_PROXY_FAILED`, or a handshake validation code.
 */
export function connect(
  url: string | URL,
  options: ClientOptions = {},
): Promise<WebSocket<undefined>> {
  return new Promise((resolve, reject) => {
    if (options === null || typeof options !== 'object') {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'connect options must be an object');
    }
    const connectionOptions = resolveConnectionOptions(options, false);
    const deflateOptions = resolveDeflateOption(options.perMessageDeflate, true);
    if (deflateOptions !== undefined) validateDeflateOptions(deflateOptions);
    const handshakeTimeout = checkNonNegative(
      'handshakeTimeout',
      options.handshakeTimeout,
      DEFAULT_HANDSHAKE_TIMEOUT,
    );
    const maxBody = checkNonNegative('maxResponseBodySize', options.maxResponseBodySize, 64 * 1024);
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

    let socket: net.Socket | undefined;
    let settled = false;
    const controller = new AbortController();
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      controller.abort(error);
      socket?.destroy();
      reject(error);
    };
    const timer =
      handshakeTimeout > 0
        ? setTimeout(
            () =>
              fail(
                new WebSocketError(
                  'WS_ERR_HANDSHAKE_TIMEOUT',
                  `the handshake did not complete within ${handshakeTimeout} ms`,
                ),
              ),
            handshakeTimeout,
          )
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

    const proxy = proxyForUrl(target, options.proxy);
    const open = async (): Promise<net.Socket> => {
      const servername = net.isIP(host) ? undefined : host;
      if (proxy !== undefined) {
        const tunnel = await openTunnel(proxy, host, port, { signal: controller.signal });
        if (!secure) return tunnel;
        return tls.connect({
          socket: tunnel,
          servername,
          ALPNProtocols: ['http/1.1'],
          ...options.tls,
        });
      }
      return secure
        ? tls.connect({ host, port, servername, ALPNProtocols: ['http/1.1'], ...options.tls })
        : net.connect({ host, port });
    };

    open().then(
      (opened) => {
        if (settled) {
          opened.destroy();
          return;
        }
        socket = opened;
        socket.on('error', (error) =>
          fail(
            new WebSocketError(
              'WS_ERR_CONNECTION_FAILED',
              `cannot connect to ${target.host}: ${error.message}`,
              { cause: error },
            ),
          ),
        );
        socket.on('close', () =>
          fail(
            new WebSocketError(
              'WS_ERR_CONNECTION_FAILED',
              'the connection closed during the handshake',
            ),
          ),
        );
        const parser = new HttpHeadParser({ kind: 'response' });
        let head: HttpResponseHead | undefined;
        const bodyChunks: Buffer[] = [];
        let bodySize = 0;
        const finishRejected = () => {
          fail(new UnexpectedResponseError(head as HttpResponseHead, Buffer.concat(bodyChunks)));
        };
        const onData = (chunk: Buffer) => {
          if (head !== undefined) {
            // Reading the body of a non-101 response, bounded.
            bodyChunks.push(chunk.subarray(0, Math.max(0, maxBody - bodySize)));
            bodySize += chunk.length;
            if (bodySize >= expectedBodyLength(head, maxBody)) finishRejected();
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
          head = parsed.head;
          if (head.status !== 101) {
            socket?.removeAllListeners('close');
            socket?.on('close', finishRejected);
            onData(Buffer.from(parsed.rest));
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
          const opened = socket as net.Socket;
          opened.removeAllListeners('data');
          opened.removeAllListeners('error');
          opened.removeAllListeners('close');
          const ws = new WebSocket<undefined>({
            socket: opened,
            head: parsed.rest,
            role: 'client',
            url: target.href,
            protocol: negotiated.protocol,
            extensions: formatExtensions(negotiated.extensions),
            deflate,
            options: connectionOptions,
            monitor: new LivenessMonitor(connectionOptions),
            id: `client-${(nextClientId++).toString(36)}`,
            data: undefined,
            request: undefined,
            hooks: undefined,
            topics: undefined,
          });
          resolve(ws);
          // The caller's `await` continuation runs before this: its listeners see every message.
          setImmediate(() => ws.start());
        };
        socket.on('data', onData);
        socket.resume();
        socket.write(request.toBytes());
      },
      (error: Error) =>
        fail(
          error instanceof WebSocketError || (error as { name?: string }).name === 'AbortError'
            ? error
            : new WebSocketError(
                'WS_ERR_CONNECTION_FAILED',
                `cannot connect to ${target.host}: ${error.message}`,
                { cause: error },
              ),
        ),
    );
  });
}

function expectedBodyLength(head: HttpResponseHead, maxBody: number): number {
  const header = head.headers.find(([name]) => name.toLowerCase() === 'content-length');
  if (header === undefined) return Number.POSITIVE_INFINITY; // read until the server closes
  const length = Number(header[1]);
  return Number.isFinite(length) ? Math.min(length, maxBody) : maxBody;
}
