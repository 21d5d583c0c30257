import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../errors.js';
import { assertSafeHeader, encodeHead, outgoingHeaderLines } from './http-head-writer.js';

const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function thrown(run: () => unknown): WebSocketError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    return error as WebSocketError;
  }
  throw new Error('expected a WebSocketError');
}

describe('RFC 7230 §3.2 outgoing header safety', () => {
  test('accepts tokens, HTAB, visible ASCII and obs-text', () => {
    expect(() => assertSafeHeader('X-Ok', 'a b\tc~ café ÿ')).not.toThrow();
    expect(() => assertSafeHeader('X-Empty', '')).not.toThrow();
  });

  test.each([
    ['X-Bad', 'a\r\nInjected: yes', 'Header X-Bad has a value with a forbidden character (U+000D)'],
    ['X-Bad', 'a\nb', 'Header X-Bad has a value with a forbidden character (U+000A)'],
    ['X-Bad', 'a\0b', 'Header X-Bad has a value with a forbidden character (U+0000)'],
    ['X-Bad', 'a\x7fb', 'Header X-Bad has a value with a forbidden character (U+007F)'],
    ['X-Bad', 'snow ☃', 'Header X-Bad has a value with a forbidden character (U+2603)'],
    ['X-Bad\r\n', 'v', 'Header name "X-Bad\\r\\n" is not a token'],
    ['X Bad', 'v', 'Header name "X Bad" is not a token'],
    ['', 'v', 'Header name "" is not a token'],
    [42, 'v', 'Header name 42 is not a token'],
    ['X-Bad', 42, 'Header X-Bad must have a string value'],
  ])('rejects %j: %j', (name, value, message) => {
    const error = thrown(() => assertSafeHeader(name as string, value as string));
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toBe(message);
  });
});

describe('outgoing header inputs', () => {
  const reserved = new Set(['upgrade']);

  test('pairs, Headers, Map and records all become ordered lines', () => {
    expect(outgoingHeaderLines(undefined, reserved, 'x')).toEqual([]);
    expect(
      outgoingHeaderLines(
        [
          ['A', '1'],
          ['A', '2'],
        ],
        reserved,
        'x',
      ),
    ).toEqual([
      ['A', '1'],
      ['A', '2'],
    ]);
    expect(outgoingHeaderLines(new Headers({ 'X-A': '1' }), reserved, 'x')).toEqual([['x-a', '1']]);
    expect(outgoingHeaderLines(new Map([['B', '2']]), reserved, 'x')).toEqual([['B', '2']]);
    expect(
      outgoingHeaderLines(
        { 'Set-Cookie': ['a=1', 'b=2'], 'X-Skip': undefined, 'X-One': 'v' },
        reserved,
        'x',
      ),
    ).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['X-One', 'v'],
    ]);
  });

  test('a reserved name in any case throws naming the header', () => {
    const error = thrown(() =>
      outgoingHeaderLines({ UPGRADE: 'h2c' }, reserved, 'the handshake sets it'),
    );
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('Header UPGRADE cannot be set here: the handshake sets it');
  });

  test('unsafe values in records and arrays are rejected', () => {
    expect(
      thrown(() => outgoingHeaderLines({ 'X-A': ['ok', 'bad\r\n'] }, reserved, 'x')).code,
    ).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(thrown(() => outgoingHeaderLines([['X-A', 'bad\n']], reserved, 'x')).code).toBe(
      'WS_ERR_INVALID_ARGUMENT',
    );
  });
});

describe('RFC 7230 §3 head serialization', () => {
  test('start line, header lines and the empty line, in CRLF', () => {
    expect(
      text(
        encodeHead('GET / HTTP/1.1', [
          ['Host', 'a'],
          ['X-Latin', 'é'],
        ]),
      ),
    ).toBe('GET / HTTP/1.1\r\nHost: a\r\nX-Latin: \xe9\r\n\r\n');
    expect(encodeHead('HTTP/1.1 101 Switching Protocols', []).length).toBe(36);
  });

  test('a body follows the head', () => {
    expect(text(encodeHead('HTTP/1.1 400 Bad Request', [], new TextEncoder().encode('no')))).toBe(
      'HTTP/1.1 400 Bad Request\r\n\r\nno',
    );
    expect(text(encodeHead('X', [], new Uint8Array(0)))).toBe('X\r\n\r\n');
  });
});
