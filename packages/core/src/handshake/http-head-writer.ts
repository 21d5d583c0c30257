/**
 * Serializes HTTP/1.1 heads (RFC 7230 §3) for the handshake, and guards every header a caller
 * hands in: a CR or LF in a name or value would let the caller's input (often someone else's
 * input) end the head early and smuggle headers or a body in (response splitting).
 */
import { invalidArgument } from '../errors.js';
import { isToken } from './header-values.js';

/** Headers a caller adds: pairs (any iterable, so `Headers` and `Map` work too) or a record. */
export type OutgoingHeaders =
  | Iterable<readonly [name: string, value: string]>
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * RFC 7230 §3.2: the name must be a token; the value may hold HTAB, SP, VCHAR and obs-text
 * (up to U+00FF, written as one byte), and nothing else: no CR, LF, NUL or DEL.
 * Throws WS_ERR_INVALID_ARGUMENT naming the header.
 */
export function assertSafeHeader(name: string, value: string): void {
  if (typeof name !== 'string' || !isToken(name)) {
    throw invalidArgument(`Header name ${JSON.stringify(name)} is not a token`);
  }
  if (typeof value !== 'string') {
    throw invalidArgument(`Header ${name} must have a string value`);
  }
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) {
      throw invalidArgument(
        `Header ${name} has a value with a forbidden character (U+${code.toString(16).padStart(4, '0').toUpperCase()})`,
      );
    }
  }
}

/**
 * Turns caller headers into checked `[name, value]` lines, in order. A record's array value
 * becomes one line per element; `undefined` values are skipped. Names listed in `reserved`
 * (lowercase) belong to the handshake and throw WS_ERR_INVALID_ARGUMENT naming the header.
 */
export function outgoingHeaderLines(
  headers: OutgoingHeaders | undefined,
  reserved: ReadonlySet<string>,
  why: string,
): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  if (headers === undefined) return lines;
  const add = (name: string, value: string): void => {
    assertSafeHeader(name, value);
    if (reserved.has(name.toLowerCase()))
      throw invalidArgument(`Header ${name} cannot be set here: ${why}`);
    lines.push([name, value]);
  };
  if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<readonly [string, string]>) add(name, value);
  } else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    for (const name of Object.keys(record)) {
      const value = record[name];
      if (value === undefined) continue;
      if (typeof value === 'string') add(name, value);
      else for (const item of value) add(name, item);
    }
  }
  return lines;
}

/** ISO-8859-1 encoding: each character (all checked to be <= U+00FF) becomes one byte. */
export function encodeLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}

/**
 * RFC 7230 §3: start-line CRLF *( header-field CRLF ) CRLF, as text with one character per
 * byte (ISO-8859-1). Header lines must already have been checked with `assertSafeHeader`; the
 * start line is built by this package.
 */
export function formatHead(
  startLine: string,
  headers: ReadonlyArray<readonly [string, string]>,
): string {
  let text = `${startLine}\r\n`;
  for (let index = 0; index < headers.length; index++) {
    const [name, value] = headers[index]!;
    text += `${name}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}

/** The head of `formatHead` as bytes, then the body if any. */
export function encodeHead(
  startLine: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body?: Uint8Array,
): Uint8Array {
  const head = encodeLatin1(formatHead(startLine, headers));
  if (body === undefined || body.length === 0) return head;
  const message = new Uint8Array(head.length + body.length);
  message.set(head);
  message.set(body, head.length);
  return message;
}
