/**
 * The server side of the opening handshake (RFC 6455 §4.2) as data: check the client's
 * request, then build either the 101 that accepts it or an error response that rejects it.
 */
import { handshakeError, invalidArgument, WebSocketError } from '../errors.js';
import type { ExtensionElement } from '../extensions/extension.js';
import { computeAccept, isValidKey } from './accept-key.js';
import {
  formatExtensions,
  headerHasToken,
  isToken,
  parseExtensions,
  parseSubprotocols,
} from './header-values.js';
import { type HeadersInput, headerView } from './headers.js';
import {
  assertSafeHeader,
  encodeHead,
  encodeLatin1,
  formatHead,
  type OutgoingHeaders,
  outgoingHeaderLines,
} from './http-head-writer.js';
import type { Sha1Digest } from './sha1.js';

/** What the server needs from the request; `HttpRequestHead`, Node's `IncomingMessage` fit. */
export interface ClientRequestLike {
  readonly method: string;
  /** `"1.1"` (or `"HTTP/1.1"`); leave it out when the runtime does not say (Deno, Bun). */
  readonly httpVersion?: string;
  readonly headers: HeadersInput;
}

/**
 * A client's opening handshake that passed RFC 6455 §4.2.1, with what the server needs to answer
 * it.
 */
export interface ValidatedClientRequest {
  /** `Sec-WebSocket-Key`, to pass to `buildAcceptResponse`. */
  readonly key: string;
  /** The subprotocols the client offered, in its order of preference; [] when none. */
  readonly protocols: string[];
  /** The extensions the client offered, in its order; negotiating them is each extension's job. */
  readonly extensions: ExtensionElement[];
  /** `Origin`, when sent (RFC 6455 §4.2.1 item 7); the server decides what to do with it. */
  readonly origin?: string;
}

/**
 * Checks a client's opening handshake (RFC 6455 §4.2.1 items 1-10). Throws a WebSocketError
 * whose `status` is the HTTP status to answer with; pass it to `buildRejectResponse`.
 *
 * Decision: a missing `Sec-WebSocket-Version` is a malformed handshake (§4.2.1: "return an
 * HTTP response with an appropriate error code (such as 400 Bad Request)"), so 400; a version
 * other than 13 is one this server does not speak (§4.2.2 item 4: "such as 426 Upgrade
 * Required"), so 426. Both use WS_ERR_UNSUPPORTED_VERSION, and the reject response for both
 * carries `Sec-WebSocket-Version: 13` so the client can retry.
 */
export function validateClientRequest(request: ClientRequestLike): ValidatedClientRequest {
  // Item 1: "An HTTP/1.1 or higher GET request". Methods are case-sensitive (RFC 7231 §4.1).
  if (request.method !== 'GET') {
    throw handshakeError(
      'WS_ERR_INVALID_METHOD',
      `The method must be GET, got ${request.method.slice(0, 32)}`,
      405,
    );
  }
  if (request.httpVersion !== undefined && !isHttp11OrLater(request.httpVersion)) {
    throw handshakeError(
      'WS_ERR_INVALID_HTTP_VERSION',
      `The HTTP version must be 1.1 or later, got ${request.httpVersion.slice(0, 16)}`,
    );
  }
  const headers = headerView(request.headers);

  // Item 3: "An |Upgrade| header field containing the value "websocket", treated as an ASCII
  // case-insensitive value."
  if (!headerHasToken(headers.get('upgrade') ?? '', 'websocket')) {
    throw handshakeError(
      'WS_ERR_INVALID_UPGRADE_HEADER',
      'The Upgrade header must contain "websocket"',
    );
  }
  // Item 4: "A |Connection| header field that includes the token "Upgrade", treated as an
  // ASCII case-insensitive value."
  if (!headerHasToken(headers.get('connection') ?? '', 'upgrade')) {
    throw handshakeError(
      'WS_ERR_INVALID_CONNECTION_HEADER',
      'The Connection header must contain "Upgrade"',
    );
  }

  // Item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded value that, when
  // decoded, is 16 bytes in length." §11.3.1: it MUST NOT appear more than once.
  const key = headers.get('sec-websocket-key');
  if (key === undefined)
    throw handshakeError('WS_ERR_INVALID_KEY', 'The Sec-WebSocket-Key header is missing');
  if ((headers.count('sec-websocket-key') ?? 1) > 1) {
    throw handshakeError(
      'WS_ERR_INVALID_KEY',
      'The Sec-WebSocket-Key header appears more than once',
    );
  }
  if (!isValidKey(key)) {
    throw handshakeError(
      'WS_ERR_INVALID_KEY',
      'The Sec-WebSocket-Key header must be base64 of 16 bytes',
    );
  }

  // Item 6: "A |Sec-WebSocket-Version| header field, with a value of 13."
  const version = headers.get('sec-websocket-version');
  if (version === undefined) {
    throw handshakeError(
      'WS_ERR_UNSUPPORTED_VERSION',
      'The Sec-WebSocket-Version header is missing',
      400,
    );
  }
  if (version !== '13') {
    throw handshakeError(
      'WS_ERR_UNSUPPORTED_VERSION',
      `Unsupported Sec-WebSocket-Version ${JSON.stringify(version.slice(0, 16))}; this server speaks 13`,
      426,
    );
  }

  // Items 8 and 9: optional lists of subprotocols and extensions (400 when malformed).
  const protocolsValue = headers.get('sec-websocket-protocol');
  const protocols = protocolsValue === undefined ? [] : parseSubprotocols(protocolsValue);
  const extensionsValue = headers.get('sec-websocket-extensions');
  const extensions = extensionsValue === undefined ? [] : parseExtensions(extensionsValue);

  // Item 7: Origin is optional; judging it is the server's policy (§10.2).
  const origin = headers.get('origin');
  return origin === undefined
    ? { key, protocols, extensions }
    : { key, protocols, extensions, origin };
}

/** Accepts "1.1", "2", "2.0", "HTTP/1.1"...: true when major.minor is at least 1.1. */
function isHttp11OrLater(version: string): boolean {
  const numbers = version.startsWith('HTTP/') ? version.slice(5) : version;
  const dot = numbers.indexOf('.');
  const majorText = dot === -1 ? numbers : numbers.slice(0, dot);
  const minorText = dot === -1 ? '0' : numbers.slice(dot + 1);
  if (!isDigits(majorText) || !isDigits(minorText)) return false;
  const major = Number(majorText);
  return major > 1 || (major === 1 && Number(minorText) >= 1);
}

function isDigits(text: string): boolean {
  if (text.length === 0 || text.length > 3) return false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** What the server's 101 response carries. */
export interface AcceptResponseOptions {
  /** The client's `Sec-WebSocket-Key`. */
  readonly key: string;
  /** The selected subprotocol, one of those the client offered; '' or absent for none. */
  readonly protocol?: string;
  /** The accepted extensions with their response parameters, e.g. from permessage-deflate. */
  readonly extensions?: readonly ExtensionElement[];
  /** More headers (e.g. Set-Cookie); they may not replace handshake headers. */
  readonly headers?: OutgoingHeaders;
  /** A native SHA-1 an adapter may inject (Node: `crypto.createHash('sha1')`); default: ours. */
  readonly digest?: Sha1Digest;
}

/** The server's 101 response accepting a WebSocket handshake (RFC 6455 §4.2.2). */
export interface AcceptResponse {
  readonly status: 101;
  readonly statusText: 'Switching Protocols';
  /** Header lines in sending order. Lines added later are checked again by `toBytes`. */
  readonly headers: Array<[string, string]>;
  /** The response head as bytes, ready for a raw socket. */
  toBytes(): Uint8Array;
  /**
   * The response head as text with one character per byte (ISO-8859-1), for runtimes that
   * write such strings themselves (Node: `socket.write(text, 'latin1')`), saving a copy.
   */
  toText(): string;
}

/** Headers the 101 writes itself, plus framing headers a 101 must not carry (RFC 7230 §3.3.2). */
const ACCEPT_RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/** Builds the server's 101 response (RFC 6455 §4.2.2 item 5). */
export function buildAcceptResponse(options: AcceptResponseOptions): AcceptResponse {
  if (typeof options.key !== 'string' || !isValidKey(options.key)) {
    throw invalidArgument(
      'buildAcceptResponse needs the client Sec-WebSocket-Key (base64 of 16 bytes)',
    );
  }
  const protocol = options.protocol ?? '';
  if (protocol !== '' && !isToken(protocol)) {
    throw invalidArgument(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
  }
  const extensions = options.extensions;

  // Items 5.2-5.4 (Upgrade, Connection, Sec-WebSocket-Accept) are written by SwitchingProtocols;
  // what follows them only when present:
  const more: Array<[string, string]> = [];
  // Item 5.5: "a single value representing the subprotocol" the server selected.
  if (protocol !== '') more.push(['Sec-WebSocket-Protocol', protocol]);
  // Item 5.6: the extensions in use.
  if (extensions !== undefined && extensions.length > 0) {
    more.push(['Sec-WebSocket-Extensions', formatExtensions(extensions)]);
  }
  if (options.headers !== undefined) {
    more.push(
      ...outgoingHeaderLines(
        options.headers,
        ACCEPT_RESERVED_HEADERS,
        'the 101 response sets it or must not carry it (use the protocol or extensions option)',
      ),
    );
  }
  return new SwitchingProtocols(computeAccept(options.key, options.digest), more);
}

const SWITCHING_PROTOCOLS_LINE = 'HTTP/1.1 101 Switching Protocols';

/**
 * One per handshake: its methods live on the prototype, not in closures per response. The
 * header lines become an array only when `headers` is read; until then `toText` writes the
 * three fixed lines as one text with the status line, so a plain handshake makes no pair per
 * line.
 */
class SwitchingProtocols implements AcceptResponse {
  readonly status = 101;
  readonly statusText = 'Switching Protocols';
  readonly #accept: string;
  /** The lines after the first three (often none). */
  readonly #more: ReadonlyArray<[string, string]>;
  #headers: Array<[string, string]> | undefined;

  constructor(accept: string, more: ReadonlyArray<[string, string]>) {
    this.#accept = accept;
    this.#more = more;
  }

  get headers(): Array<[string, string]> {
    this.#headers ??= [
      ['Upgrade', 'websocket'], // item 5.2
      ['Connection', 'Upgrade'], // item 5.3
      ['Sec-WebSocket-Accept', this.#accept], // item 5.4
      ...this.#more,
    ];
    return this.#headers;
  }

  toBytes(): Uint8Array {
    return encodeLatin1(this.toText());
  }

  toText(): string {
    const headers = this.#headers;
    // Once read, the lines may have changed: lines added later are checked like the others.
    const lines = headers ?? this.#more;
    for (const [name, value] of lines) assertSafeHeader(name, value);
    if (headers !== undefined) return formatHead(SWITCHING_PROTOCOLS_LINE, headers);
    // Unread: the three fixed lines go in with the status line, as one text, not three pairs.
    return formatHead(
      `${SWITCHING_PROTOCOLS_LINE}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${this.#accept}`,
      lines,
    );
  }
}

/** The status, headers and body of a refusal. */
export interface RejectResponseOptions {
  /** 300-599. */
  readonly status: number;
  /** Defaults to the standard reason phrase for `status`. */
  readonly statusText?: string;
  readonly headers?: OutgoingHeaders;
  /** Sent as text/plain unless `headers` sets Content-Type. Defaults to the status text. */
  readonly body?: string | Uint8Array;
}

/** An HTTP response refusing the upgrade. */
export interface RejectResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
  /** Head and body as bytes, ready for a raw socket. */
  toBytes(): Uint8Array;
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** Framing headers the reject response writes itself. */
const REJECT_RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'transfer-encoding',
]);

/**
 * The parts of an error response that rejects a handshake, for adapters that answer through
 * their runtime's HTTP API (status, headers, body) or through a raw socket (`toBytes`).
 *
 * From a WebSocketError with a `status` (those thrown by `validateClientRequest` and by
 * `HttpHeadParser` for requests): that status, and the message as the body. Any other error
 * becomes a 500 whose body reveals nothing. Headers added for the error, by RFC:
 * - 405: `Allow: GET` (RFC 7231 §6.5.5: the server MUST send Allow);
 * - WS_ERR_UNSUPPORTED_VERSION: `Sec-WebSocket-Version: 13` (RFC 6455 §4.2.2 item 4, §4.4);
 * - 426: `Upgrade: websocket` and `Connection: Upgrade, close` (RFC 7231 §6.5.15: a 426 MUST
 *   carry Upgrade; RFC 7230 §6.7: Upgrade must be listed in Connection).
 * Always `Connection: close`, since the connection will not be reused, plus `Content-Type:
 * text/plain; charset=utf-8` and `Content-Length`.
 */
export function createRejectResponse(input: Error | RejectResponseOptions): RejectResponse {
  const options = input instanceof Error ? optionsFromError(input) : input;
  const { status } = options;
  if (!Number.isInteger(status) || status < 300 || status > 599) {
    throw invalidArgument(`A reject response needs a status from 300 to 599, got ${status}`);
  }
  const statusText = options.statusText ?? REASON_PHRASES[status] ?? '';
  if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) {
    throw invalidArgument(
      `The status text ${JSON.stringify(statusText)} has a forbidden character`,
    );
  }
  const extra = outgoingHeaderLines(
    options.headers,
    REJECT_RESERVED_HEADERS,
    'the reject response sets it to end the connection',
  );
  const has = (name: string) => extra.some(([extraName]) => extraName.toLowerCase() === name);
  const bodySource = options.body ?? statusText;
  const body = typeof bodySource === 'string' ? new TextEncoder().encode(bodySource) : bodySource;

  const headers: Array<[string, string]> = [];
  if (status === 426 && !has('upgrade')) {
    headers.push(['Upgrade', 'websocket'], ['Connection', 'Upgrade, close']);
  } else {
    headers.push(['Connection', 'close']);
  }
  if (status === 405 && !has('allow')) headers.push(['Allow', 'GET']);
  if (
    input instanceof WebSocketError &&
    input.code === 'WS_ERR_UNSUPPORTED_VERSION' &&
    !has('sec-websocket-version')
  ) {
    headers.push(['Sec-WebSocket-Version', '13']);
  }
  if (!has('content-type')) headers.push(['Content-Type', 'text/plain; charset=utf-8']);
  headers.push(['Content-Length', String(body.length)], ...extra);

  return {
    status,
    statusText,
    headers,
    body,
    toBytes: () => encodeHead(`HTTP/1.1 ${status} ${statusText}`, headers, body),
  };
}

function optionsFromError(error: Error): RejectResponseOptions {
  if (error instanceof WebSocketError && error.status !== undefined && error.status >= 300) {
    return { status: error.status, body: error.message };
  }
  return { status: 500 };
}

/** `createRejectResponse(input).toBytes()`: the raw HTTP/1.1 response for a raw socket. */
export function buildRejectResponse(input: Error | RejectResponseOptions): Uint8Array {
  return createRejectResponse(input).toBytes();
}
