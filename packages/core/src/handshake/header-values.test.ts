import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../errors.js';
import type { ExtensionElement } from '../extensions/extension.js';
import {
  formatExtensions,
  headerHasToken,
  isToken,
  isTokenCharacter,
  parseExtensions,
  parseSubprotocols,
} from './header-values.js';

const MEBIBYTE = 1024 * 1024;

function thrown(run: () => unknown): WebSocketError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    return error as WebSocketError;
  }
  throw new Error('expected a WebSocketError');
}

function expectExtensionError(value: string): WebSocketError {
  const error = thrown(() => parseExtensions(value));
  expect(error.code).toBe('WS_ERR_INVALID_EXTENSION');
  expect(error.status).toBe(400);
  return error;
}

function expectSubprotocolError(value: string): WebSocketError {
  const error = thrown(() => parseSubprotocols(value));
  expect(error.code).toBe('WS_ERR_INVALID_SUBPROTOCOL');
  expect(error.status).toBe(400);
  return error;
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

describe('RFC 7230 §3.2.6 tokens', () => {
  test('every tchar is a token character and nothing else is', () => {
    for (let code = 0; code < 0x110; code++) {
      expect(isTokenCharacter(code)).toBe(TCHARS.includes(String.fromCharCode(code)));
    }
  });

  test.each([
    ['permessage-deflate', true],
    ['x', true],
    ['', false],
    ['a b', false],
    ['a"b', false],
    ['a,b', false],
    ['a\r\n', false],
    ['café', false],
  ])('isToken(%j) is %s', (text, expected) => {
    expect(isToken(text)).toBe(expected);
  });
});

describe('RFC 7230 §6.1 / RFC 6455 §4.2.1 token lists (Connection, Upgrade)', () => {
  test.each([
    ['Upgrade', 'upgrade', true],
    ['keep-alive, Upgrade', 'upgrade', true],
    ['keep-alive,Upgrade', 'Upgrade', true],
    ['  UPGRADE  ', 'upgrade', true],
    ['\tupgrade\t, close', 'upgrade', true],
    [',,upgrade,,', 'upgrade', true],
    ['WebSocket', 'websocket', true],
    ['h2c, websocket', 'websocket', true],
    ['keep-alive', 'upgrade', false],
    ['upgrades', 'upgrade', false],
    ['up grade', 'upgrade', false],
    ['upgrade-insecure', 'upgrade', false],
    ['', 'upgrade', false],
    // As long as the token: only the token itself, in any case, contains it.
    ['UpGrAdE', 'upgrade', true],
    ['upgrad,', 'upgrade', false],
    [' pgrade', 'upgrade', false],
    // Only letters compare without case: these differ from their token in bit 0x20 only.
    ['a@', 'a`', false],
    ['x[', 'x{', false],
    ['1', '\x11', false],
  ])('%j contains %j: %s', (value, token, expected) => {
    expect(headerHasToken(value, token)).toBe(expected);
  });

  test('a 1 MiB list of empty elements is scanned and does not match', () => {
    expect(headerHasToken(', '.repeat(MEBIBYTE / 2), 'upgrade')).toBe(false);
    expect(headerHasToken(`${', '.repeat(MEBIBYTE / 2)}upgrade`, 'upgrade')).toBe(true);
  });
});

describe('RFC 6455 §4.1 / §11.3.4 Sec-WebSocket-Protocol lists', () => {
  test('parses tokens in order, trimming whitespace and ignoring empty elements', () => {
    expect(parseSubprotocols('chat')).toEqual(['chat']);
    expect(parseSubprotocols('chat, superchat')).toEqual(['chat', 'superchat']);
    expect(parseSubprotocols(' v2.json ,\tv1.json,, ')).toEqual(['v2.json', 'v1.json']);
  });

  test('names are case-sensitive: Chat and chat are two values', () => {
    expect(parseSubprotocols('Chat, chat')).toEqual(['Chat', 'chat']);
  });

  test('a value that is not a token is rejected', () => {
    expect(expectSubprotocolError('chat, super chat').message).toBe(
      'Invalid Sec-WebSocket-Protocol header: "super chat" is not a token',
    );
    expectSubprotocolError('"chat"');
    expectSubprotocolError('chat/1.0');
    expectSubprotocolError('chät');
  });

  test('a repeated value is rejected (values MUST be unique)', () => {
    expect(expectSubprotocolError('chat, chat').message).toBe(
      'Invalid Sec-WebSocket-Protocol header: "chat" is repeated',
    );
  });

  test('a value with no element is rejected (1#token)', () => {
    expect(expectSubprotocolError('').message).toBe(
      'Invalid Sec-WebSocket-Protocol header: no value',
    );
    expectSubprotocolError(' , ,');
  });

  test('hostile 1 MiB values complete', () => {
    expectSubprotocolError(',,,,'.repeat(MEBIBYTE / 4));
    expectSubprotocolError('a,'.repeat(MEBIBYTE / 2)); // "a" repeated
    const error = expectSubprotocolError(`${'a'.repeat(MEBIBYTE)} b`);
    expect(error.message.length).toBeLessThan(120); // the value is not echoed whole
    const many = Array.from({ length: 100_000 }, (_, index) => `p${index}`).join(', ');
    expect(parseSubprotocols(many)).toHaveLength(100_000);
  });
});

describe('RFC 6455 §9.1 Sec-WebSocket-Extensions grammar', () => {
  test('a bare extension', () => {
    expect(parseExtensions('permessage-deflate')).toEqual([
      { name: 'permessage-deflate', params: [] },
    ]);
  });

  test('parameters with and without values, in order, with duplicates kept', () => {
    expect(
      parseExtensions(
        'permessage-deflate; client_max_window_bits; server_max_window_bits=10; a=1; a=2',
      ),
    ).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          ['client_max_window_bits', true],
          ['server_max_window_bits', '10'],
          ['a', '1'],
          ['a', '2'],
        ],
      },
    ]);
  });

  test('several elements, as from repeated header lines joined with ", "', () => {
    expect(parseExtensions('foo, bar; baz=2, permessage-deflate')).toEqual([
      { name: 'foo', params: [] },
      { name: 'bar', params: [['baz', '2']] },
      { name: 'permessage-deflate', params: [] },
    ]);
  });

  test('optional whitespace around separators and empty list elements', () => {
    expect(parseExtensions(' ,foo ;\tbar = 1 ;baz ,, qux\t, ')).toEqual([
      {
        name: 'foo',
        params: [
          ['bar', '1'],
          ['baz', true],
        ],
      },
      { name: 'qux', params: [] },
    ]);
  });

  test('quoted values are unquoted, with backslash escapes', () => {
    expect(parseExtensions('x; a="10"; b="t\\ok\\-en"; c = "1"')).toEqual([
      {
        name: 'x',
        params: [
          ['a', '10'],
          ['b', 'tok-en'],
          ['c', '1'],
        ],
      },
    ]);
  });

  test.each([
    ['', 'no extension at index 0'],
    [' , ', 'no extension at index 3'],
    [';a', 'expected an extension name at index 0'],
    ['"foo"', 'expected an extension name at index 0'],
    ['foo;', 'expected a parameter name at index 4'],
    ['foo; =1', 'expected a parameter name at index 5'],
    ['foo; a=', 'expected a parameter value at index 7'],
    ['foo; a=,b', 'expected a parameter value at index 7'],
    ['foo; a=b=c', 'unexpected character at index 8'],
    ['foo bar', 'unexpected character at index 4'],
    ['foo; a b', 'unexpected character at index 7'],
    ['foo; a=""', 'empty quoted value at index 8'],
    ['foo; a="b c"', 'quoted value is not a token after unquoting at index 9'],
    ['foo; a="b\\"c"', 'quoted value is not a token after unquoting at index 10'],
    ['foo; a="b', 'unterminated quoted string at index 9'],
    ['foo; a="b\\', 'unterminated quoted string at index 10'],
    ['foo; a="b"c', 'unexpected character at index 10'],
    ['foo\r\n; a', 'unexpected character at index 3'],
    ['föo', 'unexpected character at index 1'],
  ])('%j is rejected: %s', (value, reason) => {
    expect(expectExtensionError(value).message).toBe(
      `Invalid Sec-WebSocket-Extensions header: ${reason}`,
    );
  });

  test('hostile 1 MiB values complete with the right outcome', () => {
    expectExtensionError('a;'.repeat(MEBIBYTE / 2));
    expectExtensionError(`x; a="${'a'.repeat(MEBIBYTE)}`); // unterminated quote
    expectExtensionError(`x; a="${'\\a'.repeat(MEBIBYTE / 2)}`); // unterminated, all escapes
    expectExtensionError('"'.repeat(MEBIBYTE));
    expectExtensionError(',,,,'.repeat(MEBIBYTE / 4));
    expectExtensionError(`a${';='.repeat(MEBIBYTE / 2)}`);
    expectExtensionError(`a${'; b'.repeat(MEBIBYTE / 3)}=`);
    expectExtensionError(' '.repeat(MEBIBYTE));
    expect(parseExtensions(`a${',,,,'.repeat(MEBIBYTE / 4)}b`)).toEqual([
      { name: 'a', params: [] },
      { name: 'b', params: [] },
    ]);
    const quoted = parseExtensions(`x; a="${'\\b'.repeat(MEBIBYTE / 2)}"`);
    expect(quoted[0]?.params[0]?.[1]).toBe('b'.repeat(MEBIBYTE / 2));
    expect(parseExtensions('a; b=c, '.repeat(MEBIBYTE / 8))).toHaveLength(MEBIBYTE / 8);
  });
});

const tokenArbitrary = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const elementArbitrary: fc.Arbitrary<ExtensionElement> = fc.record({
  name: tokenArbitrary,
  params: fc.array(fc.tuple(tokenArbitrary, fc.oneof(fc.constant(true as const), tokenArbitrary)), {
    maxLength: 5,
  }),
});
const whitespaceArbitrary = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 2 });

describe('RFC 6455 §9.1 formatting', () => {
  test('formats names, flags and values', () => {
    expect(
      formatExtensions([
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', true],
            ['server_max_window_bits', '10'],
          ],
        },
        { name: 'x-foo', params: [] },
      ]),
    ).toBe('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo');
    expect(formatExtensions([])).toBe('');
  });

  test.each([
    [{ name: 'bad name', params: [] }, 'Extension name "bad name" is not a token'],
    [{ name: 'x', params: [['a\r\n', true]] }, 'Extension parameter name "a\\r\\n" is not a token'],
    [
      { name: 'x', params: [['a', 'b c']] },
      'Extension parameter a has a value that is not a token: "b c"',
    ],
    [
      { name: 'x', params: [['a', '']] },
      'Extension parameter a has a value that is not a token: ""',
    ],
    [
      { name: 'x', params: [['a', 10 as unknown as string]] },
      'Extension parameter a has a value that is not a token: "10"',
    ],
  ] as Array<[ExtensionElement, string]>)(
    'rejects %j with WS_ERR_INVALID_ARGUMENT',
    (element, message) => {
      const error = thrown(() => formatExtensions([element]));
      expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
      expect(error.message).toBe(message);
    },
  );

  test('property: parse(format(elements)) round-trips', () => {
    fc.assert(
      fc.property(fc.array(elementArbitrary, { minLength: 1, maxLength: 5 }), (elements) => {
        expect(parseExtensions(formatExtensions(elements))).toEqual(elements);
      }),
    );
  });

  test('property: whitespace, quoting and escaping variants parse to the same elements', () => {
    const variant = fc
      .tuple(
        elementArbitrary,
        fc.array(fc.tuple(whitespaceArbitrary, fc.boolean(), fc.boolean()), {
          minLength: 16,
          maxLength: 16,
        }),
      )
      .map(([element, choices]) => {
        const pick = (index: number) => choices[index % choices.length]!;
        let text = `${pick(0)[0]}${element.name}`;
        element.params.forEach(([name, value], index) => {
          const [space, quote, escaped] = pick(index + 1);
          text += `${space};${space}${name}`;
          if (value !== true) {
            const written = escaped ? value.replace(/./g, (character) => `\\${character}`) : value;
            text += `${space}=${space}${quote ? `"${written}"` : value}`;
          }
        });
        return { element, text: `${text}${pick(0)[0]}` };
      });
    fc.assert(
      fc.property(fc.array(variant, { minLength: 1, maxLength: 4 }), (variants) => {
        const value = variants.map((entry) => entry.text).join(',');
        expect(parseExtensions(value)).toEqual(variants.map((entry) => entry.element));
      }),
    );
  });

  test('property: arbitrary input either parses or throws WS_ERR_INVALID_EXTENSION', () => {
    const alphabet = fc.constantFrom('a', 'b', '=', ';', ',', '"', '\\', ' ', '\t', '\r', 'é');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (value) => {
        try {
          const elements = parseExtensions(value);
          expect(parseExtensions(formatExtensions(elements))).toEqual(elements);
        } catch (error) {
          expect(error).toBeInstanceOf(WebSocketError);
          expect((error as WebSocketError).code).toBe('WS_ERR_INVALID_EXTENSION');
        }
      }),
    );
  });
});
