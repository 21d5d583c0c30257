import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isValidUtf8, Utf8Validator } from './utf8-validator.js';

const bytes = (...values: number[]) => new Uint8Array(values);

function platformIsValid(data: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

describe('RFC 3629 / RFC 6455 §8.1 UTF-8 validation', () => {
  test.each([
    ['ASCII', bytes(0x48, 0x69)],
    ['2-byte é', bytes(0xc3, 0xa9)],
    ['3-byte €', bytes(0xe2, 0x82, 0xac)],
    ['4-byte 𝄞', bytes(0xf0, 0x9d, 0x84, 0x9e)],
    ['U+10FFFF', bytes(0xf4, 0x8f, 0xbf, 0xbf)],
    ['U+D7FF before the surrogates', bytes(0xed, 0x9f, 0xbf)],
    ['empty', bytes()],
  ])('accepts %s', (_, data) => {
    expect(isValidUtf8(data)).toBe(true);
  });

  test.each([
    ['a lone continuation byte', bytes(0x80)],
    ['overlong 2-byte C0 80', bytes(0xc0, 0x80)],
    ['overlong 3-byte E0 80 80', bytes(0xe0, 0x80, 0x80)],
    ['overlong 4-byte F0 80 80 80', bytes(0xf0, 0x80, 0x80, 0x80)],
    ['a surrogate ED A0 80', bytes(0xed, 0xa0, 0x80)],
    ['above U+10FFFF F4 90 80 80', bytes(0xf4, 0x90, 0x80, 0x80)],
    ['F5 lead byte', bytes(0xf5, 0x80, 0x80, 0x80)],
    ['FF', bytes(0xff)],
    ['a truncated sequence at the end', bytes(0xe2, 0x82)],
    ['a sequence cut by ASCII', bytes(0xe2, 0x41, 0x82)],
  ])('rejects %s', (_, data) => {
    expect(isValidUtf8(data)).toBe(false);
  });

  test('agrees with the platform decoder on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        expect(isValidUtf8(data)).toBe(platformIsValid(data));
      }),
      { numRuns: 5000 },
    );
  });

  test('agrees with the platform decoder on mutated valid text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(), fc.nat(255), (s, position, value) => {
        const data = new TextEncoder().encode(s);
        if (data.length > 0) data[position % data.length] = value;
        expect(isValidUtf8(data)).toBe(platformIsValid(data));
      }),
      { numRuns: 5000 },
    );
  });

  test('streaming: any split of valid text validates piece by piece', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.nat()), (s, cuts) => {
        const data = new TextEncoder().encode(s);
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const validator = new Utf8Validator();
        let start = 0;
        for (const point of [...points, data.length]) {
          expect(validator.write(data.subarray(start, point))).toBe(true);
          start = point;
        }
        expect(validator.isComplete()).toBe(true);
      }),
    );
  });

  test('fails fast: the first impossible byte is reported, before the sequence ends', () => {
    const validator = new Utf8Validator();
    // "κόσμε" then F4 90: 0x90 can never follow F4, even with more bytes to come.
    expect(validator.write(new TextEncoder().encode('κόσμε'))).toBe(true);
    expect(validator.write(bytes(0xf4))).toBe(true);
    expect(validator.write(bytes(0x90))).toBe(false);
    // Once failed, it stays failed until reset.
    expect(validator.write(bytes(0x41))).toBe(false);
    validator.reset();
    expect(validator.write(bytes(0x41))).toBe(true);
  });

  test('an incomplete sequence at a chunk boundary is not complete', () => {
    const validator = new Utf8Validator();
    expect(validator.write(bytes(0xf0, 0x9d))).toBe(true);
    expect(validator.isComplete()).toBe(false);
    expect(validator.write(bytes(0x84, 0x9e))).toBe(true);
    expect(validator.isComplete()).toBe(true);
  });
});

describe('RFC 3629 streaming with a whole-buffer validator for the bulk (writeWith)', () => {
  const platform = (data: Uint8Array) => platformIsValid(data);

  test('gives the same verdict as the JS validator for any bytes split anywhere', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
          fc.uint8Array({ maxLength: 300 }),
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        (data, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const js = new Utf8Validator();
          const mixed = new Utf8Validator();
          let start = 0;
          let jsValid = true;
          let mixedValid = true;
          for (const point of [...points, data.length]) {
            const piece = data.subarray(start, point);
            jsValid = jsValid && js.write(piece);
            mixedValid = mixedValid && mixed.writeWith(piece, platform);
            expect(mixedValid).toBe(jsValid);
            start = point;
          }
          expect(mixedValid && mixed.isComplete()).toBe(jsValid && js.isComplete());
          expect(jsValid && js.isComplete()).toBe(platformIsValid(data));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('long ASCII runs (word scan) with a bad byte at any position are caught', () => {
    for (const length of [128, 129, 200, 1000]) {
      for (const position of [0, 1, 3, 4, 7, 8, length - 2, length - 1]) {
        const data = new Uint8Array(length).fill(0x61);
        data[position] = 0xff;
        expect(isValidUtf8(data)).toBe(false);
        expect(isValidUtf8(data.subarray(1))).toBe(position === 0);
      }
    }
  });
});
