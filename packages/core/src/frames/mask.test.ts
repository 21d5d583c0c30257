import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { applyMask, applyMaskWordLoop, copyMasked, maskInto } from './mask.js';
import { wasmMasker, wasmMaskModuleBytes } from './mask-wasm.js';

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

/** Every implementation of in-place masking, checked against the byte-wise definition. */
const implementations: Array<
  [string, (data: Uint8Array, mask: Uint8Array, offset: number) => void]
> = [
  ['applyMask (dispatch)', (data, mask, offset) => applyMask(data, mask, offset)],
  ['word loop', (data, mask, offset) => applyMaskWordLoop(data, mask, offset)],
  [
    'wasm SIMD',
    (data, mask, offset) => {
      const simd = wasmMasker();
      if (simd === undefined) throw new Error('WebAssembly SIMD missing in this runtime');
      simd.mask(data, data, mask, offset);
    },
  ],
];

describe.each(implementations)('masking implementation: %s', (_name, mask) => {
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
  const source = Uint8Array.from({ length: 300 + 8 }, (_, i) => (i * 131 + 7) & 0xff);

  test('every length 0..300 at every alignment 0..7 and mask position 0..3', () => {
    for (let length = 0; length <= 300; length++) {
      for (let misalign = 0; misalign < 8; misalign++) {
        for (let offset = 0; offset < 4; offset++) {
          const view = source.slice(0, length + misalign).subarray(misalign);
          const expected = naiveMask(view, key, offset);
          mask(view, key, offset);
          expect(view).toEqual(expected);
        }
      }
    }
  });

  test('large payloads around the 64 KiB wasm chunk and 1 MiB, unaligned', () => {
    for (const length of [1023, 1024, 1025, 65_535, 65_536, 65_537, 131_075, 1024 * 1024 + 3]) {
      const backing = Uint8Array.from({ length: length + 3 }, (_, i) => (i * 31) ^ (i >>> 8));
      const view = backing.subarray(3);
      const expected = naiveMask(view, key, 2);
      mask(view, key, 2);
      expect(view).toEqual(expected);
    }
  });

  test('matches the byte-wise definition for random sizes up to 70 KiB', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 70_000 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat(7),
        fc.nat(3),
        (payload, key, misalign, offset) => {
          const backing = new Uint8Array(payload.length + misalign);
          backing.set(payload, misalign);
          const view = backing.subarray(misalign);
          mask(view, key, offset);
          expect(view).toEqual(naiveMask(payload, key, offset));
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('maskInto: unmasking on the way into another buffer (reassembly)', () => {
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

  test('every length 0..300 (word loop) and around the wasm threshold and 64 KiB chunk, at every mask position and alignment of both sides', () => {
    const lengths = [
      ...Array.from({ length: 301 }, (_, i) => i),
      1023,
      1024,
      1025,
      4099,
      65_535,
      65_536,
      65_537,
      131_075,
    ];
    for (const length of lengths) {
      const source = Uint8Array.from({ length: length + 3 }, (_, i) => (i * 131 + 7) & 0xff);
      for (const [sourceMisalign, targetMisalign] of [
        [0, 0],
        [1, 3],
        [3, 2],
        [2, 0],
      ] as const) {
        for (let offset = 0; offset < 4; offset++) {
          const input = source.subarray(sourceMisalign, sourceMisalign + length);
          const before = input.slice();
          const target = new Uint8Array(length + targetMisalign).subarray(targetMisalign);
          maskInto(input, target, key, offset);
          expect(target).toEqual(naiveMask(before, key, offset));
          expect(input).toEqual(before); // the source is left as it was
        }
      }
    }
  });

  test('a payload unmasked into pieces of a buffer equals the byte-wise definition, any split', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.nat(5000), { maxLength: 6 }),
        (payload, cuts) => {
          const target = new Uint8Array(payload.length);
          const points = [...new Set(cuts.map((c) => c % (payload.length + 1)))].sort(
            (a, b) => a - b,
          );
          let start = 0;
          for (const end of [...points, payload.length]) {
            maskInto(payload.subarray(start, end), target.subarray(start, end), key, start);
            start = end;
          }
          expect(target).toEqual(naiveMask(payload, key, 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('WebAssembly SIMD masker', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  test('the hand-assembled module is valid WebAssembly and compiles here', () => {
    expect(WebAssembly.validate(wasmMaskModuleBytes)).toBe(true);
    expect(wasmMasker()).toBeDefined();
  });

  test('copies source XOR mask into a separate target without touching the source', () => {
    const source = Uint8Array.from({ length: 70_001 }, (_, i) => i * 7);
    const before = source.slice();
    const target = new Uint8Array(70_001 + 5);
    copyMasked(source, target, 5, new Uint8Array([1, 2, 3, 4]));
    expect(source).toEqual(before);
    expect(target.subarray(5)).toEqual(naiveMask(source, new Uint8Array([1, 2, 3, 4]), 0));
    expect(Array.from(target.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
  });

  test.each([
    ['missing (no WebAssembly global)', undefined],
    [
      'refusing to compile (CSP without wasm-unsafe-eval, or no SIMD)',
      {
        Module: () => {
          throw new Error('CompileError: SIMD unsupported');
        },
        Instance: () => {
          throw new Error('unreachable');
        },
      },
    ],
  ])('falls back to the word loop when WebAssembly is %s', async (_name, replacement) => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', replacement);
    const fresh = await import('./mask.js');
    const freshWasm = await import('./mask-wasm.js');
    expect(freshWasm.wasmMasker()).toBeUndefined();
    const data = Uint8Array.from({ length: 100_003 }, (_, i) => i);
    const expected = naiveMask(data, new Uint8Array([9, 8, 7, 6]), 1);
    const into = new Uint8Array(data.length);
    fresh.maskInto(data, into, new Uint8Array([9, 8, 7, 6]), 1);
    expect(into).toEqual(expected);
    fresh.applyMask(data, new Uint8Array([9, 8, 7, 6]), 1);
    expect(data).toEqual(expected);
  });
});
