/**
 * RFC 6455 §5.3 masking with WebAssembly SIMD (`v128.xor`), for large payloads.
 *
 * The module is a few dozen bytes assembled by hand below (no toolchain, no build step), so the
 * core stays dependency-free and synchronous: it is compiled with `new WebAssembly.Module` on
 * the first large payload, not at import. Where WebAssembly or its SIMD proposal is missing, or
 * a Content-Security-Policy forbids compiling (browsers without 'wasm-unsafe-eval'), compiling
 * throws and `wasmMasker()` returns `undefined` for good: the caller keeps the word loop.
 *
 * The payload has to be copied into the module's memory and back; this is done in chunks of
 * CHUNK_SIZE so the memory stays one page and the chunk stays in the CPU cache between the
 * copy in, the XOR and the copy out (measured in packages/core/bench/mask.bench.ts).
 */

/** Bytes masked per round trip through wasm memory: one 64 KiB page, a multiple of 64 and 4. */
const CHUNK_SIZE = 64 * 1024;

/** A section: id, then its byte size as unsigned LEB128 (all sections here are < 128 bytes). */
function section(id: number, content: number[]): number[] {
  return [id, content.length, ...content];
}

const V128_LOAD = [0xfd, 0x00];
const V128_STORE = [0xfd, 0x0b];
const I32X4_SPLAT = [0xfd, 0x11];
const V128_XOR = [0xfd, 0x51];
/** memarg: alignment 2^4 = 16 bytes, then the static offset (< 128, one LEB byte). */
const memarg = (offset: number) => [0x04, offset];

/** One 16-byte lane of the unrolled loop: memory[i + offset] ^= splat(key). */
// biome-ignore format: one instruction per line, with its meaning
const xorLane = (offset: number) => [
  0x20, 0x02, // local.get $i (store address)
  0x20, 0x02, // local.get $i (load address)
  ...V128_LOAD, ...memarg(offset),
  0x20, 0x03, // local.get $key (v128)
  ...V128_XOR,
  ...V128_STORE, ...memarg(offset),
];

/**
 * (func $mask (param $length i32) (param $word i32) (local $i i32) (local $key v128)
 *   key = i32x4.splat(word)
 *   for (i = 0; i < length; i += 64) 4 x { memory[i + k*16 .. +16] ^= key }
 * )
 * `length` must be a multiple of 64 and the bytes up to it inside memory; the caller rounds up
 * (bytes past the payload are scratch and never copied out).
 */
// biome-ignore format: one instruction per line, with its meaning
const maskBody = [
  0x02, 0x01, 0x7f, 0x01, 0x7b, // locals: 1 x i32 ($i = local 2), 1 x v128 ($key = local 3)
  0x20, 0x01, ...I32X4_SPLAT, 0x21, 0x03, // key = i32x4.splat(word)
  0x02, 0x40, // block
  0x03, 0x40, //   loop
  0x20, 0x02, 0x20, 0x00, 0x4f, 0x0d, 0x01, // if (i >= length) (unsigned) break
  ...xorLane(0), ...xorLane(16), ...xorLane(32), ...xorLane(48),
  0x20, 0x02, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x02, // i += 64 (i32.const 64 is LEB 0xc0 0x00)
  0x0c, 0x00, //   continue
  0x0b, // end loop
  0x0b, // end block
  0x0b, // end function
];

// biome-ignore format: one line per section reads best
const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00]), // types: (i32, i32) -> ()
  ...section(3, [0x01, 0x00]), // functions: one, of type 0
  ...section(5, [0x01, 0x00, 0x01]), // memory: one, at least 1 page, no maximum
  ...section(7, [
    0x02, // exports: two
    0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory" -> memory 0
    0x04, 0x6d, 0x61, 0x73, 0x6b, 0x00, 0x00, // "mask" -> function 0
  ]),
  ...section(10, [0x01, maskBody.length, ...maskBody]), // code: one body
]);

export interface WasmMasker {
  /**
   * Writes `source` XOR `mask` (rotated by `maskOffset`, as in `applyMask`) to `target`, which
   * has the same length and may be `source` itself (in-place unmasking).
   */
  mask(source: Uint8Array, target: Uint8Array, mask: Uint8Array, maskOffset: number): void;
}

let masker: WasmMasker | null | undefined;

/** The SIMD masker, compiled on first use; `undefined` where WebAssembly SIMD is unavailable. */
export function wasmMasker(): WasmMasker | undefined {
  if (masker === undefined) masker = compile();
  return masker ?? undefined;
}

/** The module's bytes, exported for the tests (validation, and that they stay hand-readable). */
export const wasmMaskModuleBytes: Uint8Array<ArrayBuffer> = MODULE_BYTES;

function compile(): WasmMasker | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(MODULE_BYTES));
    const memory = instance.exports.memory as WebAssembly.Memory;
    const run = instance.exports.mask as (length: number, word: number) => void;
    // One page, never grown: the buffer is never detached, so the view stays valid.
    const scratch = new Uint8Array(memory.buffer, 0, CHUNK_SIZE);
    return {
      mask(source, target, mask, maskOffset) {
        // WebAssembly memory is little-endian on every host: byte k of the word meets byte k.
        const word =
          (mask[maskOffset & 3] as number) |
          ((mask[(maskOffset + 1) & 3] as number) << 8) |
          ((mask[(maskOffset + 2) & 3] as number) << 16) |
          ((mask[(maskOffset + 3) & 3] as number) << 24);
        const length = source.length;
        // Every chunk starts at a multiple of 4 payload bytes, so the same word fits them all.
        for (let start = 0; start < length; start += CHUNK_SIZE) {
          const end = Math.min(start + CHUNK_SIZE, length);
          const count = end - start;
          scratch.set(source.subarray(start, end));
          run((count + 63) & ~63, word);
          target.set(count === CHUNK_SIZE ? scratch : scratch.subarray(0, count), start);
        }
      },
    };
  } catch {
    // No SIMD (CompileError), CSP without 'wasm-unsafe-eval' (EvalError/CompileError), or a
    // host that refuses synchronous compilation of this size: the word loop does the work.
    return null;
  }
}
