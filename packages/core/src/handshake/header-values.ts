/**
 * Parsers for the header values the handshake reads, written as hand-made scanners that move
 * one index forward through the value: each is linear in the length of its input, whatever
 * the input (no regular expressions, no backtracking, no rescanning).
 *
 * Repeated header lines are joined by the caller with ", " (RFC 7230 §3.2.2), so every parser
 * here reads comma-separated lists.
 */
import { handshakeError, invalidArgument, type WebSocketError } from '../errors.js';
import type { ExtensionElement } from '../extensions/extension.js';

const HTAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

/**
 * RFC 7230 §3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
 * "_" / "`" / "|" / "~" / DIGIT / ALPHA.
 */
const TOKEN_CHARACTERS = (() => {
  const table = new Uint8Array(128);
  for (const character of "!#$%&'*+-.^_`|~0123456789") table[character.charCodeAt(0)] = 1;
  for (let code = 0x41; code <= 0x5a; code++) table[code] = 1;
  for (let code = 0x61; code <= 0x7a; code++) table[code] = 1;
  return table;
})();

/** RFC 7230 §3.2.6 tchar. */
export function isTokenCharacter(code: number): boolean {
  return code < 128 && TOKEN_CHARACTERS[code] === 1;
}

/** RFC 7230 §3.2.6: token = 1*tchar. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) {
    if (!isTokenCharacter(text.charCodeAt(index))) return false;
  }
  return true;
}

/** RFC 7230 §3.2.3: OWS = *( SP / HTAB ). */
function isWhitespace(code: number): boolean {
  return code === SPACE || code === HTAB;
}

/**
 * RFC 7230 §7: calls `visit` with the bounds of each element of a comma-separated list,
 * surrounding OWS removed (empty elements included), until it returns true; returns whether
 * one did.
 */
function someListElement(value: string, visit: (start: number, stop: number) => boolean): boolean {
  let index = 0;
  while (index <= value.length) {
    let end = value.indexOf(',', index);
    if (end === -1) end = value.length;
    let start = index;
    let stop = end;
    while (start < stop && isWhitespace(value.charCodeAt(start))) start++;
    while (stop > start && isWhitespace(value.charCodeAt(stop - 1))) stop--;
    if (visit(start, stop)) return true;
    index = end + 1;
  }
  return false;
}

/**
 * The elements of a comma-separated list, with surrounding OWS removed. Empty elements are
 * kept as '' so each caller decides; the list rule says to ignore them.
 */
function listElements(value: string): string[] {
  const elements: string[] = [];
  someListElement(value, (start, stop) => {
    elements.push(value.slice(start, stop));
    return false;
  });
  return elements;
}

/**
 * Whether a comma-separated header value (`Connection: keep-alive, Upgrade`) contains `token`,
 * compared ASCII case-insensitively (RFC 7230 §6.1 connection options and §6.7 protocol
 * names are case-insensitive; RFC 6455 §4.2.1 items 3-4 and §4.1 items 2-3 say so too).
 * Every handshake asks twice, so the elements are compared where they stand, not cut out.
 */
export function headerHasToken(value: string, token: string): boolean {
  // The usual value is the lone token (`Upgrade: websocket`, `Connection: Upgrade`): a value
  // of the token's length holds it only as its one element, and comparing it directly spares
  // the scanner's callback, a closure that would be garbage on every handshake.
  if (value.length === token.length) return equalsIgnoringAsciiCase(value, 0, token);
  return someListElement(
    value,
    (start, stop) => stop - start === token.length && equalsIgnoringAsciiCase(value, start, token),
  );
}

/**
 * Whether `text[start, start + other.length)` equals `other` when ASCII letters are compared
 * without case (header names, tokens; RFC 7230 §3.2, §6.7). Other characters must be equal.
 */
export function equalsIgnoringAsciiCase(text: string, start: number, other: string): boolean {
  for (let index = 0; index < other.length; index++) {
    const a = text.charCodeAt(start + index);
    const b = other.charCodeAt(index);
    if (a === b) continue;
    // Case is bit 0x20 of a letter; other pairs differing in it ('@' and '`') do not match.
    const lower = a | 0x20;
    if (lower !== (b | 0x20) || lower < 0x61 || lower > 0x7a) return false;
  }
  return true;
}

/** Quotes a piece of untrusted input for an error message, cut short so huge inputs stay out. */
function quoteForMessage(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * RFC 6455 §4.1 requirement 10 and §11.3.4: `Sec-WebSocket-Protocol = 1#token`, each value
 * unique. Empty list elements are ignored (RFC 7230 §7); a value with no element at all, a
 * value that is not a token, or a repeated value throws WS_ERR_INVALID_SUBPROTOCOL (400).
 * Subprotocol names are compared case-sensitively, as their registry (§11.5) defines them.
 */
export function parseSubprotocols(value: string): string[] {
  const protocols: string[] = [];
  const seen = new Set<string>();
  for (const element of listElements(value)) {
    if (element === '') continue;
    if (!isToken(element)) {
      throw handshakeError(
        'WS_ERR_INVALID_SUBPROTOCOL',
        `Invalid Sec-WebSocket-Protocol header: ${quoteForMessage(element)} is not a token`,
      );
    }
    if (seen.has(element)) {
      throw handshakeError(
        'WS_ERR_INVALID_SUBPROTOCOL',
        `Invalid Sec-WebSocket-Protocol header: ${quoteForMessage(element)} is repeated`,
      );
    }
    seen.add(element);
    protocols.push(element);
  }
  if (protocols.length === 0) {
    throw handshakeError(
      'WS_ERR_INVALID_SUBPROTOCOL',
      'Invalid Sec-WebSocket-Protocol header: no value',
    );
  }
  return protocols;
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1, with RFC 7230 list and
 * quoted-string rules):
 *
 *     extension-list = 1#extension
 *     extension      = extension-token *( ";" extension-param )
 *     extension-param = token [ "=" ( token / quoted-string ) ]
 *
 * Optional whitespace is accepted around `,`, `;` and `=` (RFC 6455 uses RFC 2616's implied
 * LWS). Empty list elements are ignored (RFC 7230 §7). A quoted value is unescaped and must
 * then be a token (§9.1: "the value ... MUST conform to the 'token' ABNF"). Anything else
 * throws WS_ERR_INVALID_EXTENSION (400). Parameter names and order, and duplicates, are kept
 * as sent; judging them is the extension's job (RFC 7692 §7).
 */
export function parseExtensions(value: string): ExtensionElement[] {
  const length = value.length;
  let index = 0;

  const fail = (reason: string): WebSocketError =>
    handshakeError(
      'WS_ERR_INVALID_EXTENSION',
      `Invalid Sec-WebSocket-Extensions header: ${reason} at index ${index}`,
    );
  const skipWhitespace = (): void => {
    while (index < length && isWhitespace(value.charCodeAt(index))) index++;
  };
  const at = (code: number): boolean => index < length && value.charCodeAt(index) === code;
  const readToken = (what: string): string => {
    const start = index;
    while (index < length && isTokenCharacter(value.charCodeAt(index))) index++;
    if (index === start) throw fail(`expected ${what}`);
    return value.slice(start, index);
  };
  // RFC 7230 §3.2.6: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, where
  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). Every unquoted character must be a
  // tchar (RFC 6455 §9.1), so anything else fails at once instead of being collected.
  const readQuotedToken = (): string => {
    index++; // the opening quote
    let unquoted = '';
    let start = index;
    while (index < length) {
      const code = value.charCodeAt(index);
      if (code === QUOTE) {
        unquoted += value.slice(start, index);
        if (unquoted === '') throw fail('empty quoted value');
        index++;
        return unquoted;
      }
      if (code === BACKSLASH) {
        unquoted += value.slice(start, index);
        index++;
        if (index === length) break;
        start = index; // the escaped character starts the next run
      }
      if (!isTokenCharacter(value.charCodeAt(index))) {
        throw fail('quoted value is not a token after unquoting');
      }
      index++;
    }
    throw fail('unterminated quoted string');
  };

  const elements: ExtensionElement[] = [];
  for (;;) {
    skipWhitespace();
    if (at(COMMA)) {
      index++;
      continue;
    }
    if (index === length) break;
    const name = readToken('an extension name');
    const params: Array<readonly [string, string | true]> = [];
    skipWhitespace();
    while (at(SEMICOLON)) {
      index++;
      skipWhitespace();
      const paramName = readToken('a parameter name');
      skipWhitespace();
      let paramValue: string | true = true;
      if (at(EQUALS)) {
        index++;
        skipWhitespace();
        paramValue = at(QUOTE) ? readQuotedToken() : readToken('a parameter value');
        skipWhitespace();
      }
      params.push([paramName, paramValue]);
    }
    if (index < length && !at(COMMA)) throw fail('unexpected character');
    elements.push({ name, params });
  }
  if (elements.length === 0) throw fail('no extension');
  return elements;
}

/**
 * Serializes extension elements as `name; param; param=value, name2`. Values are never quoted:
 * RFC 6455 §9.1 requires every value to be a token anyway. A name or value that is not a
 * token throws WS_ERR_INVALID_ARGUMENT (this is local input, and it keeps CR/LF out of heads).
 */
export function formatExtensions(elements: readonly ExtensionElement[]): string {
  return elements
    .map((element) => {
      if (!isToken(element.name)) {
        throw invalidArgument(`Extension name ${quoteForMessage(element.name)} is not a token`);
      }
      let text = element.name;
      for (const [paramName, paramValue] of element.params) {
        if (!isToken(paramName)) {
          throw invalidArgument(
            `Extension parameter name ${quoteForMessage(paramName)} is not a token`,
          );
        }
        if (paramValue === true) {
          text += `; ${paramName}`;
        } else if (typeof paramValue === 'string' && isToken(paramValue)) {
          text += `; ${paramName}=${paramValue}`;
        } else {
          throw invalidArgument(
            `Extension parameter ${paramName} has a value that is not a token: ${quoteForMessage(String(paramValue))}`,
          );
        }
      }
      return text;
    })
    .join(', ');
}
