/**
 * The client side of the opening handshake (RFC 6455 §4.1) as data: build the request, then
 * check the server's response head. Writing and reading bytes is the adapter's job.
 */
import { handshakeError, invalidArgument, WebSocketError } from '../errors.js';
import type { ExtensionElement } from '../extensions/extension.js';
import type { RandomBytes } from '../random.js';
import { computeAccept, generateKey } from './accept-key.js';
import { formatExtensions, headerHasToken, isToken, parseExtensions } from './header-values.js';
import { type HeadersInput, type HeaderView, headerView } from './headers.js';
import {
  assertSafeHeader,
  encodeHead,
  type OutgoingHeaders,
  outgoingHeaderLines,
} from './http-head-writer.js';

/** What to put in a client's opening handshake (RFC 6455 §4.1). */
export interface ClientRequestOptions {
  /** `ws:` or `wss:` (`http:` and `https:` are mapped to them, as WHATWG WebSocket does). */
  readonly url: URL | string;
  /** Subprotocols to offer, most preferred first (RFC 6455 §4.1 requirement 10). */
  readonly protocols?: string | readonly string[];
  /** Extensions to offer, e.g. from the permessage-deflate module (§4.1 requirement 11). */
  readonly extensions?: readonly ExtensionElement[];
  /** The `Origin` header (§4.1 requirement 8), sent by browser-like clients. */
  readonly origin?: string;
  /** More headers (cookies, authorization...). They may not replace handshake headers. */
  readonly headers?: OutgoingHeaders;
  /** Randomness for the key; defaults to `crypto.getRandomValues`. */
  readonly randomBytes?: RandomBytes;
}

/**
 * An opening handshake request built by `createClientRequest` (RFC 6455 §4.1), and what is needed
 * to check the response.
 */
export interface ClientRequest {
  /** The parsed URL, with `http:`/`https:` mapped to `ws:`/`wss:`; `wss:` means use TLS. */
  readonly url: URL;
  /** The `Sec-WebSocket-Key` sent, needed to check the response. */
  readonly key: string;
  readonly method: 'GET';
  /** The request-target: path and query (RFC 6455 §3 resource name). */
  readonly target: string;
  /** Header lines in sending order. Lines added later are checked again by `toBytes`. */
  readonly headers: Array<[string, string]>;
  /** The subprotocols offered, so the request can be passed to `validateServerResponse`. */
  readonly protocols: readonly string[];
  /** The extensions offered, so the request can be passed to `validateServerResponse`. */
  readonly extensions: readonly ExtensionElement[];
  /** The request head as bytes: `GET <target> HTTP/1.1`, the headers, an empty line. */
  toBytes(): Uint8Array;
}

/** Header names the handshake writes itself (lowercase). */
const CLIENT_HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
]);

const SCHEMES: Readonly<Record<string, string>> = {
  'ws:': 'ws:',
  'wss:': 'wss:',
  'http:': 'ws:',
  'https:': 'wss:',
};

/** RFC 6455 §3: parses and checks a WebSocket URI. */
function parseWebSocketUrl(input: URL | string): URL {
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch {
    throw invalidArgument(`Invalid URL: ${JSON.stringify(String(input))}`);
  }
  const scheme = SCHEMES[url.protocol];
  if (scheme === undefined) {
    throw invalidArgument(`The URL scheme must be ws:, wss:, http: or https:, got ${url.protocol}`);
  }
  // RFC 6455 §3: "Fragment identifiers are meaningless in the context of WebSocket URIs and
  // MUST NOT be used on these URIs." An empty fragment ("#") counts too.
  if (url.href.includes('#')) throw invalidArgument('The URL must not contain a fragment');
  // RFC 6455 has no place for userinfo; silently dropping credentials would surprise.
  if (url.username !== '' || url.password !== '') {
    throw invalidArgument(
      'The URL must not contain credentials; send an Authorization header instead',
    );
  }
  url.protocol = scheme;
  return url;
}

function checkProtocols(protocols: string | readonly string[] | undefined): string[] {
  const list =
    protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    // RFC 6455 §4.1 requirement 10: tokens, and "MUST all be unique strings".
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw invalidArgument(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
    }
    if (seen.has(protocol))
      throw invalidArgument(`Subprotocol ${JSON.stringify(protocol)} is offered twice`);
    seen.add(protocol);
  }
  return list;
}

/** Builds the client's opening handshake request (RFC 6455 §4.1 requirements 1-12). */
export function createClientRequest(options: ClientRequestOptions): ClientRequest {
  const url = parseWebSocketUrl(options.url);
  const protocols = checkProtocols(options.protocols);
  const extensions = options.extensions ?? [];
  const key = generateKey(options.randomBytes);
  // Requirement 3: the resource name is the path plus query (a path is at least "/").
  const target = url.pathname + url.search;

  const headers: Array<[string, string]> = [
    // Requirement 4: host, and the port only when it is not the scheme's default
    // (WHATWG URL's `host` already leaves out 80 for ws: and 443 for wss:).
    ['Host', url.host],
    ['Upgrade', 'websocket'], // requirement 5
    ['Connection', 'Upgrade'], // requirement 6
    ['Sec-WebSocket-Key', key], // requirement 7
    ['Sec-WebSocket-Version', '13'], // requirement 9
  ];
  if (options.origin !== undefined) {
    assertSafeHeader('Origin', options.origin);
    headers.push(['Origin', options.origin]); // requirement 8
  }
  if (protocols.length > 0) headers.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  if (extensions.length > 0)
    headers.push(['Sec-WebSocket-Extensions', formatExtensions(extensions)]);
  headers.push(
    ...outgoingHeaderLines(
      options.headers,
      CLIENT_HANDSHAKE_HEADERS,
      'the handshake sets it (use the url, origin, protocols or extensions option)',
    ),
  );

  return {
    url,
    key,
    method: 'GET',
    target,
    headers,
    protocols,
    extensions,
    toBytes: () => {
      for (const [name, value] of headers) assertSafeHeader(name, value);
      return encodeHead(`GET ${target} HTTP/1.1`, headers);
    },
  };
}

/**
 * The server answered with a status other than 101 (RFC 6455 §4.1: "If the status code
 * received from the server is not 101, the client handles the response per HTTP procedures"),
 * e.g. 401 with `WWW-Authenticate` or a redirect with `Location`. Carries what the caller needs
 * to handle it.
 */
export class HandshakeResponseError extends WebSocketError {
  /** The status the server answered with (not a status to answer with). */
  declare readonly status: number;
  readonly statusText: string;
  /** The response headers, as they were passed to `validateServerResponse`. */
  readonly headers: HeadersInput;

  constructor(status: number, statusText: string, headers: HeadersInput) {
    super(
      'WS_ERR_UNEXPECTED_STATUS',
      `Unexpected server response: ${status}${statusText === '' ? '' : ` ${statusText}`}`,
      { status },
    );
    this.statusText = statusText;
    this.headers = headers;
  }
}

/** What the client needs to know about the response; `HttpResponseHead` fits. */
export interface ServerResponseLike {
  readonly status: number;
  readonly statusText?: string;
  readonly headers: HeadersInput;
}

/** What the client offered; a `ClientRequest` fits. */
export interface OfferedHandshake {
  readonly key: string;
  readonly protocols?: readonly string[];
  readonly extensions?: readonly ExtensionElement[];
}

/** What the server's accepted handshake response settled: subprotocol and extensions. */
export interface NegotiatedHandshake {
  /** The subprotocol the server selected, or '' when it selected none. */
  readonly protocol: string;
  /**
   * The extensions the server accepted, in its order. Their parameters are not checked here:
   * that is each extension's job (e.g. the permessage-deflate module, RFC 7692 §7.1).
   */
  readonly extensions: ExtensionElement[];
}

/**
 * Checks the server's response to the opening handshake (RFC 6455 §4.1, the steps after "Once
 * the client's opening handshake has been sent"). Any failure throws a WebSocketError, after
 * which the client MUST _Fail the WebSocket Connection_.
 */
export function validateServerResponse(
  response: ServerResponseLike,
  offered: OfferedHandshake,
): NegotiatedHandshake {
  // Step 1: anything but 101 is handled per HTTP by the caller (401, redirects, ...).
  if (response.status !== 101) {
    throw new HandshakeResponseError(response.status, response.statusText ?? '', response.headers);
  }
  const headers = headerView(response.headers);

  // Step 2: "If the response lacks an |Upgrade| header field or the |Upgrade| header field
  // contains a value that is not an ASCII case-insensitive match for the value "websocket",
  // the client MUST _Fail the WebSocket Connection_."
  if (!headerHasToken(headers.get('upgrade') ?? '', 'websocket')) {
    throw handshakeError(
      'WS_ERR_INVALID_UPGRADE_HEADER',
      'The response Upgrade header does not contain "websocket"',
    );
  }

  // Step 3: the |Connection| header must hold the token "Upgrade", case-insensitively.
  if (!headerHasToken(headers.get('connection') ?? '', 'upgrade')) {
    throw handshakeError(
      'WS_ERR_INVALID_CONNECTION_HEADER',
      'The response Connection header does not contain "Upgrade"',
    );
  }

  // Step 4: |Sec-WebSocket-Accept| must be base64(SHA-1(key + GUID)).
  const accept = headers.get('sec-websocket-accept');
  if (accept === undefined) {
    throw handshakeError(
      'WS_ERR_INVALID_ACCEPT',
      'The response has no Sec-WebSocket-Accept header',
    );
  }
  if (accept !== computeAccept(offered.key)) {
    throw handshakeError(
      'WS_ERR_INVALID_ACCEPT',
      'The response Sec-WebSocket-Accept header does not match the key',
    );
  }

  return negotiatedFromResponse(headers, offered);
}

/**
 * RFC 6455 §4.1 steps 5 and 6, for an HTTP/1.1 101 and an RFC 8441 2xx alike: every extension
 * in the response was offered, and the subprotocol (at most one) was offered.
 */
export function negotiatedFromResponse(
  headers: HeaderView,
  offered: {
    readonly protocols?: readonly string[];
    readonly extensions?: readonly ExtensionElement[];
  },
): NegotiatedHandshake {
  // Step 5: every extension in the response must have been offered.
  const extensionsValue = headers.get('sec-websocket-extensions');
  const extensions = extensionsValue === undefined ? [] : parseExtensions(extensionsValue);
  const offeredExtensions = new Set((offered.extensions ?? []).map((extension) => extension.name));
  for (const extension of extensions) {
    if (!offeredExtensions.has(extension.name)) {
      throw handshakeError(
        'WS_ERR_UNEXPECTED_EXTENSION',
        `The server accepted the extension ${JSON.stringify(extension.name)}, which was not offered`,
      );
    }
  }

  // Step 6: a subprotocol in the response must be one of those offered. RFC 6455 §4.2.2 lets
  // the server answer with at most one value ("a single value"). A server that selects none
  // when some were offered is allowed here (browsers fail that case; see WHATWG Fetch).
  const protocolValue = headers.get('sec-websocket-protocol');
  let protocol = '';
  if (protocolValue !== undefined) {
    const offeredProtocols = offered.protocols ?? [];
    if ((headers.count('sec-websocket-protocol') ?? 1) > 1 || protocolValue.includes(',')) {
      throw handshakeError(
        'WS_ERR_UNEXPECTED_SUBPROTOCOL',
        'The server selected more than one subprotocol',
      );
    }
    if (offeredProtocols.length === 0) {
      throw handshakeError(
        'WS_ERR_UNEXPECTED_SUBPROTOCOL',
        'The server selected a subprotocol, but none was offered',
      );
    }
    if (!offeredProtocols.includes(protocolValue)) {
      throw handshakeError(
        'WS_ERR_UNEXPECTED_SUBPROTOCOL',
        `The server selected the subprotocol ${JSON.stringify(protocolValue.slice(0, 64))}, which was not offered`,
      );
    }
    protocol = protocolValue;
  }

  return { protocol, extensions };
}
