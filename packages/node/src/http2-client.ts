/**
 * The client of WebSockets over HTTP/2 (RFC 8441): one HTTP/2 session per origin (and TLS
 * options), every WebSocket to that origin an extended CONNECT stream on it. The handshake is
 * the core's (`createH2ClientRequest`, `validateH2ServerResponse`); the stream is a Duplex the
 * same driver runs on.
 *
 * A session is only used once the server's SETTINGS arrived with
 * SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3: "a client MUST NOT send a CONNECT request
 * with the :protocol pseudo-header ... unless it has received this setting"). Otherwise, or when
 * the server does not speak HTTP/2 at all, `connect` falls back to HTTP/1.1 unless asked not to.
 */
import type * as http2 from 'node:http2';
import type * as tls from 'node:tls';
import {
  createDeflateOffer,
  createH2ClientRequest,
  formatExtensions,
  type HttpResponseHead,
  validateH2ServerResponse,
  WebSocketError,
} from '@wskit/core';
import { http2Module } from './builtin-http2.js';
import {
  type ClientHandshake,
  type ClientOptions,
  clientDeflate,
  describeError,
  type HandshakeSettings,
  UnexpectedResponseError,
} from './client.js';
import { proxyForUrl } from './proxy.js';

/** A session's state in the cache: ready for streams, or why it is not. */
type SessionOutcome =
  | { readonly session: http2.ClientHttp2Session }
  | { readonly unsupported: Error };

/** How long a session with no WebSocket left stays open for the next one. */
const IDLE_SESSION_MS = 1_000;

/**
 * Sessions by origin and TLS options: WebSockets share a connection only when they would have
 * made the same one (same CA, same client certificate, same verification...).
 */
const sessions = new Map<string, Promise<SessionOutcome>>();
/** Open WebSocket streams per session: the session keeps the process alive only while > 0. */
const streamCounts = new WeakMap<http2.ClientHttp2Session, number>();
const idleTimers = new WeakMap<http2.ClientHttp2Session, ReturnType<typeof setTimeout>>();

/** Identities of the objects in TLS options (a CA Buffer, a SecureContext...). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

/**
 * A key equal for equal TLS options: primitive values by value, so `{ rejectUnauthorized:
 * false }` written inline at every call still shares a session; objects (certificates, keys,
 * a SecureContext, functions) by identity, since comparing them deeply costs more than a
 * second connection.
 */
function tlsKey(tlsOptions: tls.ConnectionOptions | undefined): string {
  if (tlsOptions === undefined) return '';
  const record = tlsOptions as Record<string, unknown>;
  const parts: string[] = [];
  for (const name of Object.keys(record).sort()) {
    const value = record[name];
    if (value === undefined) continue;
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      let id = objectIds.get(value);
      if (id === undefined) {
        id = nextObjectId++;
        objectIds.set(value, id);
      }
      parts.push(`${name}#${id}`);
    } else {
      parts.push(`${name}=${JSON.stringify(value)}`);
    }
  }
  return parts.join('&');
}

/** The HTTP/2 session to `url`'s origin, opened on first use and shared afterwards. */
function sessionFor(url: URL, tlsOptions: tls.ConnectionOptions | undefined) {
  const origin = `${url.protocol === 'wss:' ? 'https' : 'http'}://${url.host}`;
  const key = `${origin} ${tlsKey(tlsOptions)}`;
  const cache = sessions;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const outcome = openSession(origin, tlsOptions);
  cache.set(key, outcome);
  outcome.then((result) => {
    if (!('session' in result)) {
      // Not cached: the server may speak HTTP/2 next time.
      if (cache.get(key) === outcome) cache.delete(key);
      return;
    }
    const forget = () => {
      if (cache.get(key) === outcome) cache.delete(key);
    };
    // After GOAWAY no new stream may start on it (RFC 9113 §6.8).
    result.session.once('goaway', forget);
    result.session.once('close', forget);
  });
  return outcome;
}

function openSession(
  origin: string,
  tlsOptions: tls.ConnectionOptions | undefined,
): Promise<SessionOutcome> {
  return new Promise((resolve) => {
    let session: http2.ClientHttp2Session;
    try {
      session = http2Module().connect(origin, { ...tlsOptions });
    } catch (error) {
      resolve({ unsupported: error as Error });
      return;
    }
    // Errors after the session is in use reach its streams; this keeps them from throwing.
    session.on('error', () => {});
    // Idle until a WebSocket uses it.
    session.unref();
    const onClose = () =>
      resolve({
        unsupported: new Error('the connection closed before the HTTP/2 SETTINGS arrived'),
      });
    const onError = (error: Error) => resolve({ unsupported: error });
    session.once('close', onClose);
    session.once('error', onError);
    session.once('remoteSettings', (settings: http2.Settings) => {
      session.off('close', onClose);
      session.off('error', onError);
      if (settings.enableConnectProtocol === true) {
        resolve({ session });
        scheduleIdleClose(session);
        return;
      }
      session.close();
      resolve({
        unsupported: new Error(
          'the server does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)',
        ),
      });
    });
  });
}

function scheduleIdleClose(session: http2.ClientHttp2Session): void {
  clearTimeout(idleTimers.get(session));
  const timer = setTimeout(() => {
    if ((streamCounts.get(session) ?? 0) === 0 && !session.closed) session.close();
  }, IDLE_SESSION_MS);
  timer.unref();
  idleTimers.set(session, timer);
}

/** A WebSocket stream opened on the session: it keeps the process alive while open. */
function trackStream(session: http2.ClientHttp2Session, stream: http2.ClientHttp2Stream): void {
  const count = (streamCounts.get(session) ?? 0) + 1;
  streamCounts.set(session, count);
  clearTimeout(idleTimers.get(session));
  if (count === 1) session.ref();
  stream.once('close', () => {
    const left = (streamCounts.get(session) ?? 1) - 1;
    streamCounts.set(session, left);
    if (left === 0 && !session.destroyed) {
      session.unref();
      scheduleIdleClose(session);
    }
  });
}

/**
 * One WebSocket handshake over HTTP/2 (RFC 8441 §5). Resolves undefined when the caller should
 * fall back to HTTP/1.1 (`http2: true` and no RFC 8441 at this origin, or a proxy in the way).
 */
export async function attemptHttp2Handshake(
  url: string | URL,
  requestHeaders: ClientOptions['headers'],
  settings: HandshakeSettings,
): Promise<ClientHandshake | undefined> {
  const { options, deflate: deflateOptions } = settings;
  const required = options.http2 === 'require';
  const request = createH2ClientRequest({
    url,
    protocols: options.protocols,
    origin: options.origin,
    headers: requestHeaders as never,
    extensions: deflateOptions === undefined ? [] : [createDeflateOffer(deflateOptions)],
  });
  const target = request.url;
  if (proxyForUrl(target, options.proxy) !== undefined) {
    if (!required) return undefined;
    throw new WebSocketError(
      'WS_ERR_CONNECTION_FAILED',
      `${target.host}: WebSockets over HTTP/2 do not go through a proxy here (option http2: 'require' with a proxy)`,
    );
  }
  if (options.signal?.aborted) throw abortReason(options.signal);

  return new Promise((resolve, reject) => {
    let settled = false;
    let stream: http2.ClientHttp2Stream | undefined;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      action();
    };
    const fail = (error: Error) =>
      finish(() => {
        stream?.destroy();
        reject(error);
      });
    const timer =
      settings.handshakeTimeout > 0
        ? setTimeout(
            () =>
              fail(
                new WebSocketError(
                  'WS_ERR_HANDSHAKE_TIMEOUT',
                  `the handshake did not complete within ${settings.handshakeTimeout} ms`,
                ),
              ),
            settings.handshakeTimeout,
          )
        : undefined;
    const onAbort = () => fail(abortReason(options.signal as AbortSignal));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    sessionFor(target, target.protocol === 'wss:' ? options.tls : undefined).then((outcome) => {
      if (settled) return;
      if (!('session' in outcome)) {
        if (!required) return finish(() => resolve(undefined));
        return fail(
          new WebSocketError(
            'WS_ERR_CONNECTION_FAILED',
            `${target.host} does not offer WebSockets over HTTP/2: ${describeError(outcome.unsupported)}`,
            { cause: outcome.unsupported },
          ),
        );
      }
      const session = outcome.session;
      try {
        stream = session.request(headerObject(request.headers), { endStream: false });
      } catch (error) {
        return fail(
          new WebSocketError(
            'WS_ERR_CONNECTION_FAILED',
            `cannot open a stream to ${target.host}: ${describeError(error as Error)}`,
            { cause: error },
          ),
        );
      }
      const opened = stream;
      trackStream(session, opened);
      const onError = (error: Error) =>
        fail(
          new WebSocketError(
            'WS_ERR_CONNECTION_FAILED',
            `${target.host} reset the stream during the handshake: ${describeError(error)}`,
            { cause: error },
          ),
        );
      const onClose = () =>
        fail(
          new WebSocketError(
            'WS_ERR_CONNECTION_FAILED',
            `${target.host} closed the stream during the handshake`,
          ),
        );
      opened.on('error', onError);
      opened.once('close', onClose);
      opened.once('response', (headers: http2.IncomingHttpHeaders) => {
        const head = responseHead(headers);
        if (head.status < 200 || head.status > 299) {
          // The refusal's body follows, then END_STREAM: read it for the error.
          opened.off('error', onError);
          opened.off('close', onClose);
          opened.on('error', () => {});
          readBody(opened, settings.maxBody).then((body) =>
            fail(new UnexpectedResponseError(head, body)),
          );
          return;
        }
        let negotiated: ReturnType<typeof validateH2ServerResponse>;
        let deflate: ReturnType<typeof clientDeflate>;
        try {
          negotiated = validateH2ServerResponse(head, request);
          deflate = clientDeflate(negotiated.extensions, deflateOptions);
        } catch (error) {
          return fail(error as Error);
        }
        opened.off('error', onError);
        opened.off('close', onClose);
        finish(() =>
          resolve({
            socket: opened,
            head: undefined,
            url: target.href,
            protocol: negotiated.protocol,
            extensions: formatExtensions(negotiated.extensions),
            deflate,
            options: settings.connection,
            response: head,
          }),
        );
      });
    });
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('The connection attempt was aborted', 'AbortError');
}

/** `[name, value]` lines as the header object `session.request` takes (repeats as arrays). */
function headerObject(lines: ReadonlyArray<readonly [string, string]>): http2.OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of lines) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  return headers;
}

/** The response HEADERS as the head an HTTP/1.1 response would have (no reason phrase in h2). */
function responseHead(headers: http2.IncomingHttpHeaders): HttpResponseHead {
  const pairs: Array<[string, string]> = [];
  for (const name of Object.keys(headers)) {
    if (name.startsWith(':')) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') pairs.push([name, value]);
    else for (const item of value) pairs.push([name, item]);
  }
  return { httpVersion: '2.0', status: Number(headers[':status']), statusText: '', headers: pairs };
}

/** Up to `limit` bytes of a refusal's body, for the error; stops at END_STREAM or a reset. */
function readBody(stream: http2.ClientHttp2Stream, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const done = () => {
      stream.destroy();
      resolve(Buffer.concat(chunks));
    };
    if (limit === 0) return done();
    stream.on('data', (chunk: Buffer) => {
      const room = limit - kept;
      if (room > 0) {
        const part = chunk.subarray(0, room);
        chunks.push(part);
        kept += part.length;
      }
      if (kept >= limit) done();
    });
    stream.once('end', done);
    stream.once('close', done);
  });
}
