// WebIDL conversions (https://webidl.spec.whatwg.org/#es-type-mapping) used at the WebSocket
// boundary.
import { describe, expect, test } from 'vitest';
import {
  argumentLengthCheck,
  isValidSubprotocol,
  toClampedUnsignedShort,
  toDictionary,
  toDOMString,
  toProtocolList,
  toUnsignedShort,
  toUSVString,
} from './webidl.js';

describe('WebIDL §3.2.4 [Clamp] unsigned short', () => {
  test.each([
    [1000, 1000],
    [1000.4, 1000],
    [1000.5, 1000], // ties to even
    [1001.5, 1002],
    [1000.6, 1001],
    [-1, 0],
    [70_000, 65_535],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 65_535],
    ['3000', 3000],
    [null, 0],
    [undefined, 0],
  ])('%s → %s', (value, expected) => {
    expect(toClampedUnsignedShort(value)).toBe(expected);
  });

  test('a BigInt or a Symbol is a TypeError', () => {
    expect(() => toClampedUnsignedShort(1000n)).toThrow(TypeError);
    expect(() => toClampedUnsignedShort(Symbol('x'))).toThrow(TypeError);
  });
});

describe('WebIDL §3.2.4 unsigned short (no clamp): modulo 2^16', () => {
  test.each([
    [1000, 1000],
    [65_536 + 1000, 1000],
    [-1, 65_535],
    [1000.9, 1000],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
  ])('%s → %s', (value, expected) => {
    expect(toUnsignedShort(value)).toBe(expected);
  });
});

describe('WebIDL strings', () => {
  test('DOMString keeps lone surrogates; USVString replaces them with U+FFFD', () => {
    expect(toDOMString('a\uD800b')).toBe('a\uD800b');
    expect(toUSVString('a\uD800b\uDC00')).toBe('a\uFFFDb\uFFFD');
    expect(toUSVString('𝄞')).toBe('𝄞');
    expect(toUSVString(42)).toBe('42');
    expect(() => toDOMString(Symbol('x'))).toThrow(TypeError);
  });
});

describe('(DOMString or sequence<DOMString>) protocols', () => {
  test('undefined is the default [], iterables are sequences, anything else one string', () => {
    expect(toProtocolList(undefined)).toEqual([]);
    expect(toProtocolList('chat')).toEqual(['chat']);
    expect(toProtocolList(['a', 'b'])).toEqual(['a', 'b']);
    expect(toProtocolList(new Set(['x']))).toEqual(['x']);
    expect(toProtocolList(null)).toEqual(['null']);
    expect(toProtocolList({})).toEqual(['[object Object]']);
    expect(() => toProtocolList({ [Symbol.iterator]: 1 })).toThrow(TypeError);
  });
});

describe('RFC 6455 §4.1 subprotocol tokens', () => {
  test.each([
    ['chat', true],
    ['v1.chat+json', true],
    ["!#$%&'*+-.^_`|~", true],
    ['', false],
    ['a b', false],
    ['a,b', false],
    ['a/b', false],
    ['é', false],
    ['a\tb', false],
    ['\x7f', false],
  ])('%j → %s', (protocol, valid) => {
    expect(isValidSubprotocol(protocol)).toBe(valid);
  });
});

describe('argument counts and dictionaries', () => {
  test('too few arguments is a TypeError naming the count', () => {
    expect(() => argumentLengthCheck(0, 1, 'ctx')).toThrow(
      new TypeError('ctx: 1 argument required, but only 0 present.'),
    );
    expect(() => argumentLengthCheck(1, 1, 'ctx')).not.toThrow();
  });

  test('undefined and null are empty dictionaries; primitives are refused', () => {
    expect(toDictionary(undefined, 'ctx')).toEqual({});
    expect(toDictionary(null, 'ctx')).toEqual({});
    expect(() => toDictionary(1, 'ctx')).toThrow(TypeError);
  });
});
