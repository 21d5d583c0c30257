/**
 * RFC 6455 §5.3 client-to-server masking: `transformed[i] = original[i] ^ mask[i % 4]`.
 *
 * Masking is the hottest loop of a server receiving large messages. Payloads from 1 KiB go
 * through WebAssembly SIMD (mask-wasm.ts) where the runtime allows it; otherwise, and for small
 * payloads, the middle of the buffer is processed four bytes at a time through a Uint32Array
 * view and the unaligned head and the tail byte by byte. Neither needs a native addon (see
 * packages/core/bench/mask.bench.ts for the two side by side).
 */

import { wasmMasker } from './mask-wasm.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this size the word loop's setup costs more than it saves (measured in the bench). */
const WORD_LOOP_THRESHOLD = 32;

/**
 * From this size on, WebAssembly SIMD (mask-wasm.ts) beats the word loop even with the copy into
 * and out of wasm memory (packages/core/bench/mask.bench.ts: on V8, Node and Deno, 1.6-1.9x at
 * 1 KiB and about 3x from 16 KiB; on Bun, whose JIT runs the word loop twice as fast, even at
 * 1 KiB and 1.1x above).
 */
const WASM_THRESHOLD = 1024;

/**
 * XORs `data` in place with the 4-byte `mask`, starting at mask position `maskOffset`
 * (the number of payload bytes of this frame already processed), so a payload split across
 * several chunks can be unmasked piece by piece.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, maskOffset = 0): void {
  if (data.length >= WASM_THRESHOLD) {
    const simd = wasmMasker();
    if (simd !== undefined) {
      simd.mask(data, data, mask, maskOffset);
      return;
    }
  }
  applyMaskWordLoop(data, mask, maskOffset);
}

/** `applyMask` in plain TypeScript, four bytes at a time: the fallback without WebAssembly SIMD. */
export function applyMaskWordLoop(data: Uint8Array, mask: Uint8Array, maskOffset = 0): void {
  const length = data.length;
  const m0 = mask[maskOffset & 3] as number;
  const m1 = mask[(maskOffset + 1) & 3] as number;
  const m2 = mask[(maskOffset + 2) & 3] as number;
  const m3 = mask[(maskOffset + 3) & 3] as number;
  if (length < WORD_LOOP_THRESHOLD) {
    let i = 0;
    for (; i + 3 < length; i += 4) {
      data[i] = (data[i] as number) ^ m0;
      data[i + 1] = (data[i + 1] as number) ^ m1;
      data[i + 2] = (data[i + 2] as number) ^ m2;
      data[i + 3] = (data[i + 3] as number) ^ m3;
    }
    for (let k = 0; i < length; i++, k++) {
      data[i] = (data[i] as number) ^ (k === 0 ? m0 : k === 1 ? m1 : m2);
    }
    return;
  }
  // Byte loop up to the first 4-byte aligned address, so the Uint32Array view is legal.
  const head = (4 - (data.byteOffset & 3)) & 3;
  const rotated = [m0, m1, m2, m3];
  for (let i = 0; i < head; i++) data[i] = (data[i] as number) ^ (rotated[i] as number);
  // After `head` bytes the mask position has advanced by `head`.
  const a = rotated[head & 3] as number;
  const b = rotated[(head + 1) & 3] as number;
  const c = rotated[(head + 2) & 3] as number;
  const d = rotated[(head + 3) & 3] as number;
  const word = LITTLE_ENDIAN
    ? (a | (b << 8) | (c << 16) | (d << 24)) >>> 0
    : ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const wordCount = (length - head) >>> 2;
  const words = new Uint32Array(data.buffer, data.byteOffset + head, wordCount);
  let w = 0;
  for (; w + 3 < wordCount; w += 4) {
    words[w] = (words[w] as number) ^ word;
    words[w + 1] = (words[w + 1] as number) ^ word;
    words[w + 2] = (words[w + 2] as number) ^ word;
    words[w + 3] = (words[w + 3] as number) ^ word;
  }
  for (; w < wordCount; w++) words[w] = (words[w] as number) ^ word;
  const tailStart = head + wordCount * 4;
  for (let i = tailStart, k = 0; i < length; i++, k++) {
    data[i] = (data[i] as number) ^ (rotated[(head + k) & 3] as number);
  }
}

/**
 * Writes `source` XOR the mask (from mask position `maskOffset`, as in `applyMask`) into
 * `target`, which has the same length and does not overlap `source`. Unmasking on the way into
 * a reassembly buffer is one pass over the bytes where unmasking in place and then copying is
 * two (through WebAssembly: two copies and the XOR instead of three copies and the XOR).
 */
export function maskInto(
  source: Uint8Array,
  target: Uint8Array,
  mask: Uint8Array,
  maskOffset = 0,
): void {
  if (source.length >= WASM_THRESHOLD) {
    const simd = wasmMasker();
    if (simd !== undefined) {
      simd.mask(source, target, mask, maskOffset);
      return;
    }
  }
  target.set(source);
  applyMaskWordLoop(target, mask, maskOffset);
}

/** Copies `source` into `target` at `targetOffset`, masking it on the way (client send path). */
export function copyMasked(
  source: Uint8Array,
  target: Uint8Array,
  targetOffset: number,
  mask: Uint8Array,
): void {
  const length = source.length;
  if (length < WORD_LOOP_THRESHOLD * 2) {
    // One pass, no views: for small payloads creating views costs more than the XOR.
    const m0 = mask[0] as number;
    const m1 = mask[1] as number;
    const m2 = mask[2] as number;
    const m3 = mask[3] as number;
    let i = 0;
    for (; i + 3 < length; i += 4) {
      target[targetOffset + i] = (source[i] as number) ^ m0;
      target[targetOffset + i + 1] = (source[i + 1] as number) ^ m1;
      target[targetOffset + i + 2] = (source[i + 2] as number) ^ m2;
      target[targetOffset + i + 3] = (source[i + 3] as number) ^ m3;
    }
    for (let k = 0; i < length; i++, k++) {
      target[targetOffset + i] = (source[i] as number) ^ (k === 0 ? m0 : k === 1 ? m1 : m2);
    }
    return;
  }
  maskInto(source, target.subarray(targetOffset, targetOffset + length), mask, 0);
}
