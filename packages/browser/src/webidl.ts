/**
 * The few WebIDL conversions the WebSocket interface needs, done at the public boundary as a
 * browser's bindings would (https://webidl.spec.whatwg.org/#es-type-mapping). Runtime-neutral:
 * no Node APIs, so the native entry may share this module.
 */

/** "TypeError: Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present." */
export function argumentLengthCheck(length: number, required: number, context: string): void {
  if (length < required) {
    throw new TypeError(
      `${context}: ${required} argument${required === 1 ? '' : 's'} required, but only ${length} present.`,
    );
  }
}

/** Thrown by members called on an object that is not a WebSocket (brand check). */
export function illegalInvocation(): TypeError {
  return new TypeError('Illegal invocation');
}

/**
 * DOMString: ECMAScript ToString. A template literal throws on a Symbol, as WebIDL requires
 * (String(symbol) would not).
 */
export function toDOMString(value: unknown): string {
  return `${value as string}`;
}

/** USVString: ToString, then every lone surrogate replaced by U+FFFD. */
export function toUSVString(value: unknown): string {
  const text = toDOMString(value);
  // String.prototype.toWellFormed is ES2024; in unicode mode the class matches lone surrogates
  // only (a valid pair is one code point).
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, '\uFFFD') : text;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const LONE_SURROGATES = /[\uD800-\uDFFF]/gu;

/**
 * `[Clamp] unsigned short` (https://webidl.spec.whatwg.org/#es-unsigned-short): ToNumber
 * (unary plus, which throws on a BigInt as WebIDL does), NaN becomes 0, then clamped to
 * [0, 65535] and rounded to the nearest integer, ties to even.
 */
export function toClampedUnsignedShort(value: unknown): number {
  const number = +(value as number);
  if (Number.isNaN(number)) return 0;
  const clamped = Math.min(Math.max(number, 0), 0xffff);
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * `unsigned short` without [Clamp] (CloseEventInit.code): ToNumber, non-finite becomes 0,
 * truncated, then modulo 2^16.
 */
export function toUnsignedShort(value: unknown): number {
  const number = +(value as number);
  if (!Number.isFinite(number) || number === 0) return 0;
  const integer = Math.trunc(number);
  return ((integer % 0x10000) + 0x10000) % 0x10000;
}

/**
 * `(DOMString or sequence<DOMString>) protocols = []`: an object with an iterator is a
 * sequence, anything else (null included) a DOMString. Always returns a fresh array.
 */
export function toProtocolList(value: unknown): string[] {
  if (value === undefined) return [];
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    const iterator = (value as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (iterator !== undefined) {
      if (typeof iterator !== 'function') {
        throw new TypeError('WebSocket constructor: protocols is not iterable');
      }
      return Array.from(value as Iterable<unknown>, toDOMString);
    }
  }
  return [toDOMString(value)];
}

/**
 * RFC 6455 §4.1: each subprotocol is a `token` (RFC 2616 §2.2): one or more characters in
 * U+0021..U+007E, none of them a separator.
 */
export function isValidSubprotocol(protocol: string): boolean {
  if (protocol.length === 0) return false;
  for (let i = 0; i < protocol.length; i++) {
    const code = protocol.charCodeAt(i);
    if (code < 0x21 || code > 0x7e || SEPARATORS.includes(protocol[i] as string)) return false;
  }
  return true;
}

// A string, not a Set built at load time: bundles that never call this drop it entirely.
const SEPARATORS = '()<>@,;:\\"/[]?={}';

/** Options objects (`EventInit`-style dictionaries): undefined and null mean "empty". */
export function toDictionary<T extends object>(value: unknown, context: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' && typeof value !== 'function') {
    throw new TypeError(`${context}: the options argument is not an object.`);
  }
  return value as Partial<T>;
}
