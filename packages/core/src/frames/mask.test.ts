import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { applyMask } from './mask.js';

function naiveMask(data: Uint8Array, mask: Uint8Array, offset: number): Uint8Array {
  return data.map((byte, i) => byte ^ (mask[(i + offset) % 4] as number));
}

describe('RFC 6455 §5.3 client-to-server masking', () => {
  test('§5.7 example: "Hello" masked with 37 fa 21 3d', () => {
    const data = new TextEncoder().encode('Hello');
    applyMask(data, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
    expect(Array.from(data)).toEqual([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  test('matches the byte-wise definition for any size, alignment and mask position', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat(7),
        fc.nat(3),
        (payload, mask, misalign, maskOffset) => {
          // Place the payload at an arbitrary byte offset to exercise the unaligned head.
          const backing = new Uint8Array(payload.length + misalign);
          backing.set(payload, misalign);
          const view = backing.subarray(misalign);
          applyMask(view, mask, maskOffset);
          expect(view).toEqual(naiveMask(payload, mask, maskOffset));
        },
      ),
    );
  });

  test('masking twice restores the payload (the operation is its own inverse)', () => {
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => i * 31);
    const copy = data.slice();
    const mask = new Uint8Array([1, 2, 3, 250]);
    applyMask(data, mask);
    expect(data).not.toEqual(copy);
    applyMask(data, mask);
    expect(data).toEqual(copy);
  });

  test('a payload unmasked in pieces equals one unmasked at once', () => {
    const mask = new Uint8Array([9, 8, 7, 6]);
    const whole = Uint8Array.from({ length: 1000 }, (_, i) => i);
    const pieces = whole.slice();
    applyMask(whole, mask);
    let offset = 0;
    for (const size of [1, 2, 3, 5, 40, 100, 849]) {
      applyMask(pieces.subarray(offset, offset + size), mask, offset);
      offset += size;
    }
    expect(pieces).toEqual(whole);
  });
});
