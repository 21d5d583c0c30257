// Node-only: compares the core's SHA-1 with node:crypto (runs under vitest.config.ts only).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { sha1 } from './sha1.js';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const nodeSha1 = (input: Uint8Array) => createHash('sha1').update(input).digest('hex');

describe('FIPS 180-4 SHA-1 against node:crypto (RFC 6455 §4.2.2 accept key)', () => {
  test('every length around the block and padding boundaries', () => {
    for (let length = 0; length <= 200; length++) {
      const input = new Uint8Array(length);
      for (let index = 0; index < length; index++) input[index] = (index * 31 + length) & 0xff;
      expect(hex(sha1(input))).toBe(nodeSha1(input));
    }
  });

  test('property: arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (input) => {
        expect(hex(sha1(input))).toBe(nodeSha1(input));
      }),
    );
  });
});
