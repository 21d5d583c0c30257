import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('RFC 4648 §10 base64 test vectors', () => {
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of vectors) {
    test(`"${plain}" <-> "${encoded}"`, () => {
      expect(encodeBase64(ascii(plain))).toBe(encoded);
      expect(decodeBase64(encoded)).toEqual(ascii(plain));
    });
  }

  test('all byte values survive, including 0x00 and 0xff', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, index) => index);
    expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
  });

  test('inputs larger than one encoding chunk', () => {
    const bytes = Uint8Array.from({ length: 0x2000 * 3 + 7 }, (_, index) => (index * 7) & 0xff);
    expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
  });

  test('property: decode(encode(bytes)) equals bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
      }),
    );
  });
});

describe('RFC 4648 §3 strict decoding returns undefined for invalid input', () => {
  const invalid = [
    'Zg', // missing padding
    'Zg=', // length not a multiple of 4
    'Zm9v YmFy', // whitespace
    'Zm9vYmFy\n',
    'Zm9-', // base64url alphabet
    'Zm9_',
    'Z===', // three padding characters
    '=Zg=', // padding not at the end
    'Zg==Zg==', // padding in the middle
    'Zm9vYmF\u00e9',
  ];
  for (const text of invalid) {
    test(JSON.stringify(text), () => {
      expect(decodeBase64(text)).toBeUndefined();
    });
  }

  test('non-zero pad bits are tolerated (RFC 4648 §3.5 allows it)', () => {
    expect(decodeBase64('Zh==')).toEqual(ascii('f'));
  });
});
