/**
 * An incremental parser for an HTTP/1.1 message head (RFC 7230 §3): the start line and the
 * header fields up to the empty line. The body is not its business: the bytes after the head
 * come back as `rest`, because a server may send its first WebSocket frames in the same
 * packet as the 101 (RFC 6455 §4.1: the client reads frames right after the handshake).
 *
 * Linear in the total input: each chunk is scanned once as bytes (for the end of the head) and
 * once as the one string it decodes to, complete lines are parsed as soon as their CRLF is
 * seen, and only the unfinished line is carried between `feed` calls.
 *
 * Decisions:
 * - Lines must end in CRLF. A bare LF or a bare CR throws WS_ERR_INVALID_HTTP: RFC 7230 §3.5
 *   lets a recipient accept a bare LF, but every WebSocket peer sends CRLF, and one framing rule
 *   leaves no room for disagreement between this parser and a proxy in front of it.
 * - obs-fold (a header line starting with SP or HTAB) throws: RFC 7230 §3.2.4 says a server
 *   MUST reject it in a request, and a client may reject it too.
 * - An empty line before the start line throws (RFC 7230 §3.5 only says a server SHOULD ignore
 *   it); whitespace between a header name and its colon throws (RFC 7230 §3.2.4 MUST).
 * - Bytes are read as ISO-8859-1 (one byte, one character), as Node's HTTP parser does.
 * - `status` on the errors is what a server would answer: 431 for a head too big, 400 for a
 *   malformed one. Client-side callers can ignore it.
 */
import { handshakeError, invalidArgument, invalidState, type WebSocketError } from '../errors.js';
import { isToken } from './header-values.js';

const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DEL = 0x7f;

/** Which HTTP head an `HttpHeadParser` reads: a request's or a response's. */
export type HttpHeadKind = 'request' | 'response';

/** A parsed HTTP response head: version, status, reason phrase and headers. */
export interface HttpResponseHead {
  /** `"1.1"` for `HTTP/1.1`. */
  readonly httpVersion: string;
  readonly status: number;
  readonly statusText: string;
  /** In arrival order, names in their original case. Read them with `headerView`. */
  readonly headers: Array<[name: string, value: string]>;
}

/** A parsed HTTP request head: method, target, version and headers. */
export interface HttpRequestHead {
  readonly method: string;
  /** The request-target as sent, e.g. `/chat?room=1`. */
  readonly target: string;
  /** `"1.1"` for `HTTP/1.1`. */
  readonly httpVersion: string;
  /** In arrival order, names in their original case. Read them with `headerView`. */
  readonly headers: Array<[name: string, value: string]>;
}

/** The parsed head type for `Kind`. */
export type HttpHeadOf<Kind extends HttpHeadKind> = Kind extends 'request'
  ? HttpRequestHead
  : HttpResponseHead;

/** The kind of head to parse and its limits. */
export interface HttpHeadParserOptions<Kind extends HttpHeadKind> {
  readonly kind: Kind;
  /** The most bytes the head may take, start line and final empty line included. */
  readonly maxHeadBytes?: number;
  /** The most header lines the head may hold. */
  readonly maxHeaderCount?: number;
}

/** A complete HTTP head, and the bytes that followed it. */
export interface HttpHeadParsed<Head> {
  readonly head: Head;
  /**
   * The bytes of the last chunk after the head (the body or the first WebSocket frames). It is
   * a view into the chunk given to `feed`, not a copy.
   */
  readonly rest: Uint8Array;
}

type ParserState = 'start-line' | 'headers' | 'done' | 'failed';

/**
 * Reads an HTTP/1.1 request or response head (RFC 9112) from chunks as they arrive, within a byte
 * and header count limit.
 */
export class HttpHeadParser<Kind extends HttpHeadKind> {
  readonly #kind: Kind;
  readonly #maxHeadBytes: number;
  readonly #maxHeaderCount: number;
  #state: ParserState = 'start-line';
  #headBytes = 0;
  /** The unfinished line carried over from earlier chunks, CR included if it came last. */
  #partialLine = '';
  /** Whether the last byte so far was a CR. */
  #previousWasCR = false;
  /** Bytes of the current line so far, CR and LF not counted: 0 on an empty line. */
  #lineBytes = 0;
  /** Lines ended so far: the empty line ends the head only after a start line. */
  #linesEnded = 0;
  #startLine: Omit<HttpRequestHead, 'headers'> | Omit<HttpResponseHead, 'headers'> | undefined;
  readonly #headers: Array<[string, string]> = [];

  constructor(options: HttpHeadParserOptions<Kind>) {
    const { kind, maxHeadBytes = 16384, maxHeaderCount = 100 } = options;
    if (kind !== 'request' && kind !== 'response') {
      throw invalidArgument(
        `HttpHeadParser kind must be "request" or "response", got ${String(kind)}`,
      );
    }
    if (!Number.isSafeInteger(maxHeadBytes) || maxHeadBytes < 1) {
      throw invalidArgument(`maxHeadBytes must be a positive integer, got ${maxHeadBytes}`);
    }
    if (!Number.isSafeInteger(maxHeaderCount) || maxHeaderCount < 0) {
      throw invalidArgument(`maxHeaderCount must be a non-negative integer, got ${maxHeaderCount}`);
    }
    this.#kind = kind;
    this.#maxHeadBytes = maxHeadBytes;
    this.#maxHeaderCount = maxHeaderCount;
  }

  /**
   * Consumes the next chunk. Returns `undefined` while the head is incomplete, and the head
   * plus the remaining bytes once the empty line that ends it (RFC 7230 §3) has arrived.
   * Throws WS_ERR_HANDSHAKE_HEAD_TOO_BIG or WS_ERR_INVALID_HTTP; after that, or after the
   * head is complete, further calls throw WS_ERR_INVALID_STATE.
   */
  feed(chunk: Uint8Array): HttpHeadParsed<HttpHeadOf<Kind>> | undefined {
    if (this.#state === 'done') throw invalidState('HttpHeadParser: the head is already complete');
    if (this.#state === 'failed')
      throw invalidState('HttpHeadParser: an earlier chunk was invalid');
    try {
      return this.#scan(chunk);
    } catch (error) {
      this.#state = 'failed';
      throw error;
    }
  }

  /**
   * Two passes, so that each chunk is decoded into one string (a server reads one such head per
   * connection, and a string per line or per byte would be garbage): the bytes up to the end
   * of the head or the byte limit, then the lines of their text, in order.
   */
  #scan(chunk: Uint8Array): HttpHeadParsed<HttpHeadOf<Kind>> | undefined {
    const limit = Math.min(chunk.length, this.#maxHeadBytes - this.#headBytes);
    let headEnd = -1;
    let ascii = true;
    let lineBytes = this.#lineBytes;
    const afterCR = this.#previousWasCR;
    let previousWasCR = afterCR;
    let index = 0;
    for (; index < limit; index++) {
      const byte = chunk[index]!;
      if (byte === LF) {
        // The empty line after at least one other line ends the head (RFC 7230 §3). Whatever
        // is malformed here is reported by the line pass, which reads these same bytes.
        if (previousWasCR && lineBytes === 0 && this.#linesEnded > 0) {
          headEnd = index + 1;
          break;
        }
        this.#linesEnded++;
        lineBytes = 0;
        previousWasCR = false;
      } else if (byte === CR) {
        previousWasCR = true;
      } else {
        if (byte > 0x7f) ascii = false;
        lineBytes++;
        previousWasCR = false;
      }
    }
    this.#lineBytes = lineBytes;
    this.#previousWasCR = previousWasCR;
    const scanned = headEnd === -1 ? index : headEnd;
    this.#headBytes += scanned;
    if (this.#acceptLines(decodeHeadBytes(chunk, scanned, ascii), afterCR)) {
      return { head: this.#head(), rest: chunk.subarray(scanned) };
    }
    if (scanned < chunk.length) throw this.#tooBig(`the head exceeds ${this.#maxHeadBytes} bytes`);
    return undefined;
  }

  /**
   * Handles the complete lines of `piece` (the text of this chunk's bytes) in order and carries
   * the unfinished one; returns true at the empty line that ends the head. `afterCR` says the
   * text before `piece` ended in a CR. A line within one chunk becomes no string of its own.
   */
  #acceptLines(piece: string, afterCR: boolean): boolean {
    let lineStart = 0;
    let previousWasCR = afterCR;
    for (let index = 0; index < piece.length; index++) {
      const code = piece.charCodeAt(index);
      if (previousWasCR) {
        // RFC 7230 §3: every line, the final empty one included, ends in CRLF.
        if (code !== LF) throw this.#invalid('a CR not followed by LF');
        previousWasCR = false;
        let ended: boolean;
        if (this.#partialLine === '') {
          ended = this.#acceptLine(piece, lineStart, index - 1);
        } else {
          // The line began in an earlier chunk; its CR may be the carried text's last character.
          const line = this.#partialLine + piece.slice(lineStart, index);
          this.#partialLine = '';
          ended = this.#acceptLine(line, 0, line.length - 1);
        }
        if (ended) return true;
        lineStart = index + 1;
      } else if (code === CR) {
        previousWasCR = true;
      } else if (code === LF) {
        throw this.#invalid('a bare LF line ending');
      }
    }
    if (lineStart < piece.length) this.#partialLine += piece.slice(lineStart);
    return false;
  }

  /** Handles the line `text[start, end)` (without its CRLF); returns true at the empty line. */
  #acceptLine(text: string, start: number, end: number): boolean {
    if (this.#state === 'start-line') {
      if (start === end) throw this.#invalid('an empty line before the start line');
      const line = text.slice(start, end);
      this.#startLine = this.#kind === 'request' ? parseRequestLine(line) : parseStatusLine(line);
      if (this.#startLine === undefined) {
        throw this.#invalid(
          this.#kind === 'request' ? 'a malformed request line' : 'a malformed status line',
        );
      }
      this.#state = 'headers';
      return false;
    }
    if (start === end) {
      this.#state = 'done';
      return true;
    }
    if (this.#headers.length === this.#maxHeaderCount) {
      throw this.#tooBig(`more than ${this.#maxHeaderCount} header lines`);
    }
    this.#headers.push(this.#parseHeaderLine(text, start, end));
    return false;
  }

  /** RFC 7230 §3.2: header-field = field-name ":" OWS field-value OWS, in `text[start, end)`. */
  #parseHeaderLine(text: string, start: number, end: number): [string, string] {
    const first = text.charCodeAt(start);
    if (first === SPACE || first === HTAB) {
      throw this.#invalid('an obs-fold continuation line (RFC 7230 §3.2.4)');
    }
    const colon = text.indexOf(':', start);
    const name = colon === -1 || colon >= end ? '' : text.slice(start, colon);
    if (!isToken(name)) throw this.#invalid('a header line whose name is not a token');
    let valueStart = colon + 1;
    let valueEnd = end;
    while (valueStart < valueEnd && isWhitespace(text.charCodeAt(valueStart))) valueStart++;
    while (valueEnd > valueStart && isWhitespace(text.charCodeAt(valueEnd - 1))) valueEnd--;
    const value = text.slice(valueStart, valueEnd);
    if (!isFieldText(value)) throw this.#invalid(`a control character in the ${name} header`);
    return [name, value];
  }

  #head(): HttpHeadOf<Kind> {
    return { ...this.#startLine, headers: this.#headers } as HttpHeadOf<Kind>;
  }

  #invalid(what: string): WebSocketError {
    return handshakeError('WS_ERR_INVALID_HTTP', `Invalid HTTP ${this.#kind} head: ${what}`, 400);
  }

  #tooBig(what: string): WebSocketError {
    return handshakeError(
      'WS_ERR_HANDSHAKE_HEAD_TOO_BIG',
      `HTTP ${this.#kind} head too big: ${what}`,
      431,
    );
  }
}

/**
 * Bytes of ASCII read the same in UTF-8 and ISO-8859-1, and the platform's decoder makes one
 * string of them without garbage; other bytes take the exact ISO-8859-1 path below.
 */
const asciiDecoder = new TextDecoder();

/** `chunk[0, end)` as ISO-8859-1 text; `ascii` says no byte there is above 0x7f. */
function decodeHeadBytes(chunk: Uint8Array, end: number, ascii: boolean): string {
  if (end === 0) return '';
  if (!ascii) return latin1(chunk, 0, end);
  return asciiDecoder.decode(end === chunk.length ? chunk : chunk.subarray(0, end));
}

/** Bytes per `String.fromCharCode` call: keeps the argument list far below engine limits. */
const DECODE_CHUNK = 0x2000;

/** ISO-8859-1 decoding of `bytes[start, end)`: byte n becomes code point n. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let offset = start; offset < end; offset += DECODE_CHUNK) {
    // `apply` takes the typed array as the argument list directly; a spread would walk it
    // with an iterator, several times slower on every header line of every handshake.
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(offset, Math.min(end, offset + DECODE_CHUNK)) as unknown as number[],
    );
  }
  return text;
}

function isWhitespace(code: number): boolean {
  return code === SPACE || code === HTAB;
}

/**
 * RFC 7230 §3.2 field-content and §3.1.2 reason-phrase characters: HTAB, SP, VCHAR and
 * obs-text. Other control characters (NUL, CR, LF...) and DEL are not allowed.
 */
function isFieldText(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if ((code < SPACE && code !== HTAB) || code === DEL) return false;
  }
  return true;
}

/** RFC 7230 §2.6: HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive). Returns "1.1". */
function parseHttpVersion(text: string): string | undefined {
  if (text.length !== 8 || !text.startsWith('HTTP/') || text[6] !== '.') return undefined;
  if (!isDigit(text.charCodeAt(5)) || !isDigit(text.charCodeAt(7))) return undefined;
  return text.slice(5);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * RFC 7230 §3.1.2: status-line = HTTP-version SP status-code SP reason-phrase. A missing
 * reason phrase (no second SP at all) is tolerated, as some servers send `HTTP/1.1 101`.
 */
function parseStatusLine(line: string): Omit<HttpResponseHead, 'headers'> | undefined {
  const httpVersion = parseHttpVersion(line.slice(0, 8));
  if (httpVersion === undefined || line.charCodeAt(8) !== SPACE) return undefined;
  for (let index = 9; index < 12; index++) if (!isDigit(line.charCodeAt(index))) return undefined;
  if (line.length > 12 && line.charCodeAt(12) !== SPACE) return undefined;
  const statusText = line.slice(13);
  if (!isFieldText(statusText)) return undefined;
  return { httpVersion, status: Number(line.slice(9, 12)), statusText };
}

/**
 * RFC 7230 §3.1.1: request-line = method SP request-target SP HTTP-version, where method is a
 * token and the target holds no whitespace (only visible ASCII).
 */
function parseRequestLine(line: string): Omit<HttpRequestHead, 'headers'> | undefined {
  const firstSpace = line.indexOf(' ');
  const secondSpace = line.indexOf(' ', firstSpace + 1);
  if (firstSpace === -1 || secondSpace === -1) return undefined;
  const method = line.slice(0, firstSpace);
  const target = line.slice(firstSpace + 1, secondSpace);
  const httpVersion = parseHttpVersion(line.slice(secondSpace + 1));
  if (!isToken(method) || target === '' || httpVersion === undefined) return undefined;
  for (let index = 0; index < target.length; index++) {
    const code = target.charCodeAt(index);
    if (code <= SPACE || code >= DEL) return undefined;
  }
  return { method, target, httpVersion };
}
