/**
 * The opening handshake of a WebSocket over HTTP/2 (RFC 8441 §4-§5) as data, for both sides:
 * an extended CONNECT request (`:method CONNECT`, `:protocol websocket`) answered with a 200.
 * There is no key and no accept (§5: "Sec-WebSocket-Key and Sec-WebSocket-Accept header
 * fields are not used"), no Upgrade or Connection (connection-specific fields are malformed in
 * HTTP/2, RFC 9113 §8.2.2); subprotocols and extensions are negotiated as in RFC 6455 §4.
 * Header names are lowercase, as HTTP/2 requires (RFC 9113 §8.2.1). Sending the headers and
 * reading the stream is the adapter's job; the stream then carries RFC 6455 frames unchanged.
 */
import { handshakeError, invalidArgument } from '../errors.js';
import type { ExtensionElement } from '../extensions/extension.js';
import {
  type ClientRequestOptions,
  HandshakeResponseError,
  type NegotiatedHandshake,
  negotiatedFromResponse,
  type ServerResponseLike,
} from './client-handshake.js';
import { formatExtensions, isToken, parseExtensions, parseSubprotocols } from './header-values.js';
import { type HeadersInput, headerView } from './headers.js';
import { assertSafeHeader, type OutgoingHeaders, outgoingHeaderLines } from './http-head-writer.js';
import type { RejectResponse, ValidatedClientRequest } from './server-handshake.js';

/** What the server learns from a valid extended CONNECT: `validateClientRequest`'s shape, no key. */
export interface ValidatedH2Request extends Omit<ValidatedClientRequest, 'key'> {
  /** `:scheme`: `https` (a wss: URL) or `http` (ws:, h2c). */
  readonly scheme: string;
  /** `:authority`: host and port, as `Host` is in HTTP/1.1. */
  readonly authority: string;
  /** `:path`: path and query. */
  readonly path: string;
  /** The WebSocket URL the client asked for, e.g. `wss://example.com/chat?room=1`. */
  readonly url: string;
}

/**
 * True when `headers` are those of an extended CONNECT for WebSockets (RFC 8441 §4): the
 * streams an adapter should take; any other stream is ordinary HTTP/2 traffic.
 */
export function isH2WebSocketRequest(headers: HeadersInput): boolean {
  const view = headerView(headers);
  return view.get(':method') === 'CONNECT' && view.get(':protocol') !== undefined;
}

/**
 * Checks an extended CONNECT request (RFC 8441 §4 and §5) given its header block, pseudo-headers
 * included (Node's `stream` event headers fit). Throws a WebSocketError whose `status` is the
 * HTTP status to answer with; pass it to `createH2RejectResponse`.
 */
export function validateH2ClientRequest(headers: HeadersInput): ValidatedH2Request {
  const view = headerView(headers);
  const method = view.get(':method') ?? '';
  // RFC 8441 §4: "A new pseudo-header field :protocol MAY be included on request HEADERS
  // indicating the desired protocol to be spoken on the tunnel created by CONNECT."
  if (method !== 'CONNECT') {
    throw handshakeError(
      'WS_ERR_INVALID_METHOD',
      `The method must be CONNECT (RFC 8441), got ${method.slice(0, 32)}`,
      405,
    );
  }
  // RFC 8441 §5: "the :protocol pseudo-header field MUST be included and MUST have a value of
  // websocket".
  const protocol = view.get(':protocol');
  if (protocol !== 'websocket') {
    throw handshakeError(
      'WS_ERR_INVALID_UPGRADE_HEADER',
      `The :protocol pseudo-header must be "websocket", got ${JSON.stringify((protocol ?? '').slice(0, 32))}`,
    );
  }
  // RFC 8441 §4: "On requests that contain the :protocol pseudo-header field, the :scheme and
  // :path pseudo-header fields of the target URI MUST also be included." §5: the :authority
  // carries the host, as Host does in RFC 6455.
  const scheme = view.get(':scheme');
  const path = view.get(':path');
  const authority = view.get(':authority');
  if (scheme !== 'https' && scheme !== 'http') {
    throw handshakeError(
      'WS_ERR_INVALID_HTTP',
      `The :scheme pseudo-header must be https or http, got ${JSON.stringify((scheme ?? '').slice(0, 16))}`,
    );
  }
  if (path === undefined || !path.startsWith('/')) {
    throw handshakeError('WS_ERR_INVALID_HTTP', 'The :path pseudo-header must start with /');
  }
  if (authority === undefined || authority === '') {
    throw handshakeError('WS_ERR_INVALID_HTTP', 'The :authority pseudo-header is missing');
  }
  // RFC 8441 §5 keeps Sec-WebSocket-Version: 13 (RFC 6455 §4.2.1 item 6).
  const version = view.get('sec-websocket-version');
  if (version === undefined) {
    throw handshakeError(
      'WS_ERR_UNSUPPORTED_VERSION',
      'The sec-websocket-version header is missing',
      400,
    );
  }
  if (version !== '13') {
    throw handshakeError(
      'WS_ERR_UNSUPPORTED_VERSION',
      `Unsupported sec-websocket-version ${JSON.stringify(version.slice(0, 16))}; this server speaks 13`,
      426,
    );
  }
  const protocolsValue = view.get('sec-websocket-protocol');
  const protocols = protocolsValue === undefined ? [] : parseSubprotocols(protocolsValue);
  const extensionsValue = view.get('sec-websocket-extensions');
  const extensions = extensionsValue === undefined ? [] : parseExtensions(extensionsValue);
  const origin = view.get('origin');
  const url = `${scheme === 'https' ? 'wss' : 'ws'}://${authority}${path}`;
  const validated = { protocols, extensions, scheme, authority, path, url };
  return origin === undefined ? validated : { ...validated, origin };
}

/**
 * Fields HTTP/2 forbids (RFC 9113 §8.2.2), those the handshake sets itself, and framing
 * fields a 2xx to CONNECT must not carry (RFC 9110 §9.3.6).
 */
const H2_ACCEPT_RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'content-length',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

/** What `buildH2AcceptResponse` needs: the choices of the server for an accepted CONNECT. */
export interface H2AcceptResponseOptions {
  /** The selected subprotocol, one of those the client offered; '' or absent for none. */
  readonly protocol?: string;
  /** The accepted extensions with their response parameters, e.g. from permessage-deflate. */
  readonly extensions?: readonly ExtensionElement[];
  /** More headers (e.g. set-cookie); they may not replace handshake headers. */
  readonly headers?: OutgoingHeaders;
}

/** The 200 that accepts an extended CONNECT (RFC 8441 §5), as headers for the stream. */
export interface H2AcceptResponse {
  readonly status: 200;
  /** Lowercase header lines in sending order (`:status` not included). */
  readonly headers: Array<[string, string]>;
}

/** Builds the server's answer to an accepted extended CONNECT (RFC 8441 §5: a 200). */
export function buildH2AcceptResponse(options: H2AcceptResponseOptions = {}): H2AcceptResponse {
  const protocol = options.protocol ?? '';
  if (protocol !== '' && !isToken(protocol)) {
    throw invalidArgument(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
  }
  const headers: Array<[string, string]> = [];
  if (protocol !== '') headers.push(['sec-websocket-protocol', protocol]);
  const extensions = options.extensions ?? [];
  if (extensions.length > 0)
    headers.push(['sec-websocket-extensions', formatExtensions(extensions)]);
  for (const [name, value] of outgoingHeaderLines(
    options.headers,
    H2_ACCEPT_RESERVED_HEADERS,
    'the HTTP/2 handshake sets it or HTTP/2 forbids it (use the protocol or extensions option)',
  )) {
    headers.push([name.toLowerCase(), value]);
  }
  return { status: 200, headers };
}

/** Connection-specific fields: an HTTP/1.1 reject response has them, HTTP/2 forbids them. */
const H2_FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
]);

/** A refusal for an HTTP/2 stream: the status, the headers HTTP/2 allows, and the body. */
export interface H2RejectResponse {
  readonly status: number;
  /** Lowercase header lines without the connection-specific ones (`:status` not included). */
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
}

/**
 * An HTTP/1.1 reject response (from `createRejectResponse`, or the shared server layer's
 * upgrade decision) as an HTTP/2 response: same status, body and headers, minus the fields
 * HTTP/2 forbids (RFC 9113 §8.2.2), names in lowercase (§8.2.1).
 */
export function toH2RejectResponse(response: RejectResponse): H2RejectResponse {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase();
    if (!H2_FORBIDDEN_HEADERS.has(lower)) headers.push([lower, value]);
  }
  return { status: response.status, headers, body: response.body };
}

/**
 * What a client puts in its extended CONNECT: the URL, subprotocols, Origin, extensions and
 * more headers, as for HTTP/1.1. No key: RFC 8441 §5 has no `Sec-WebSocket-Key`.
 */
export type H2ClientRequestOptions = Omit<ClientRequestOptions, 'randomBytes'>;

/** An extended CONNECT request (RFC 8441 §4) as headers, ready for `session.request()`. */
export interface H2ClientRequest {
  /** The parsed URL (`ws:`/`wss:`). */
  readonly url: URL;
  /** Header lines in sending order, pseudo-headers first, names lowercase. */
  readonly headers: Array<[string, string]>;
  /** The subprotocols offered, for `validateH2ServerResponse`. */
  readonly protocols: readonly string[];
  /** The extensions offered, for `validateH2ServerResponse`. */
  readonly extensions: readonly ExtensionElement[];
}

/** Fields the CONNECT sets itself, plus those HTTP/2 forbids. */
const H2_CLIENT_RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
]);

const H2_SCHEMES: Readonly<Record<string, 'https' | 'http'>> = {
  'wss:': 'https',
  'https:': 'https',
  'ws:': 'http',
  'http:': 'http',
};

/** Builds the extended CONNECT that opens a WebSocket on an HTTP/2 connection (RFC 8441 §5). */
export function createH2ClientRequest(options: H2ClientRequestOptions): H2ClientRequest {
  let url: URL;
  try {
    url = new URL(typeof options.url === 'string' ? options.url : options.url.href);
  } catch {
    throw invalidArgument(`Invalid URL: ${JSON.stringify(String(options.url))}`);
  }
  const scheme = H2_SCHEMES[url.protocol];
  if (scheme === undefined) {
    throw invalidArgument(`The URL scheme must be ws:, wss:, http: or https:, got ${url.protocol}`);
  }
  if (url.href.includes('#')) throw invalidArgument('The URL must not contain a fragment');
  if (url.username !== '' || url.password !== '') {
    throw invalidArgument(
      'The URL must not contain credentials; send an Authorization header instead',
    );
  }
  url.protocol = scheme === 'https' ? 'wss:' : 'ws:';
  const protocols =
    options.protocols === undefined
      ? []
      : typeof options.protocols === 'string'
        ? [options.protocols]
        : [...options.protocols];
  for (const [index, protocol] of protocols.entries()) {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw invalidArgument(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
    }
    if (protocols.indexOf(protocol) !== index)
      throw invalidArgument(`Subprotocol ${JSON.stringify(protocol)} is offered twice`);
  }
  const extensions = options.extensions ?? [];
  const headers: Array<[string, string]> = [
    [':method', 'CONNECT'],
    [':protocol', 'websocket'],
    [':scheme', scheme],
    [':authority', url.host],
    [':path', url.pathname + url.search],
    ['sec-websocket-version', '13'],
  ];
  if (options.origin !== undefined) {
    assertSafeHeader('origin', options.origin);
    headers.push(['origin', options.origin]);
  }
  if (protocols.length > 0) headers.push(['sec-websocket-protocol', protocols.join(', ')]);
  if (extensions.length > 0)
    headers.push(['sec-websocket-extensions', formatExtensions(extensions)]);
  for (const [name, value] of outgoingHeaderLines(
    options.headers,
    H2_CLIENT_RESERVED_HEADERS,
    'the HTTP/2 handshake sets it or HTTP/2 forbids it (use the url, origin, protocols or extensions option)',
  )) {
    headers.push([name.toLowerCase(), value]);
  }
  return { url, headers, protocols, extensions };
}

/**
 * Checks the server's answer to an extended CONNECT. A 2xx accepts (RFC 9110 §9.3.6: "Any 2xx
 * (Successful) response indicates that the sender (and all inbound proxies) will switch to
 * tunnel mode"); anything else throws a `HandshakeResponseError` with the status. The
 * subprotocol and extensions are checked as in RFC 6455 §4.1.
 */
export function validateH2ServerResponse(
  response: ServerResponseLike,
  offered: {
    readonly protocols?: readonly string[];
    readonly extensions?: readonly ExtensionElement[];
  },
): NegotiatedHandshake {
  if (response.status < 200 || response.status > 299) {
    throw new HandshakeResponseError(response.status, response.statusText ?? '', response.headers);
  }
  return negotiatedFromResponse(headerView(response.headers), offered);
}
