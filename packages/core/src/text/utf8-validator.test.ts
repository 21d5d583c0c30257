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
