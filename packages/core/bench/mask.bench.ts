// Masking microbench: the WebAssembly SIMD masker (copy in, v128.xor, copy out) against the
// plain TypeScript word loop, in place, as the frame parser unmasks a received payload.
// TypeScript because it reaches the internal implementations, bundled by the core's own tsup:
//
//   cd packages/core && npx -y pnpm@12.4.2 bench:mask
//   (pinned: npx tsup bench/mask.bench.ts --format esm -d /tmp/mask-bench \
//            && taskset -c 1 node /tmp/mask-bench/mask.bench.js; also runs on bun and deno)
//
// A benchmark, not a test: it prints numbers. Each size first checks that both contenders give
// the same bytes, so a fast wrong answer cannot look like a win. Rounds alternate between the
// two (order flipped each round) and the median round is reported. BENCH_ROUNDS (default 7),
// BENCH_ROUND_MS (default 200).

import { applyMaskWordLoop } from '../src/frames/mask.js';
import { wasmMasker } from '../src/frames/mask-wasm.js';

const KiB = 1024;
const MASK = Uint8Array.of(0x37, 0x11, 0x5a, 0x2c);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 200);

const simd = wasmMasker();
if (simd === undefined) throw new Error('WebAssembly SIMD is not available in this runtime');
const contenders = {
  'word loop': (data: Uint8Array) => applyMaskWordLoop(data, MASK, 1),
  'wasm SIMD': (data: Uint8Array) => simd.mask(data, data, MASK, 1),
};

/** MB/s of one contender over one round of about ROUND_MS. */
function round(run: (data: Uint8Array) => void, data: Uint8Array): number {
  let bytes = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < 16; i++) run(data);
    bytes += data.length * 16;
    elapsed = performance.now() - start;
  }
  return bytes / 1e6 / (elapsed / 1e3);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

console.log('size      word loop MB/s   wasm SIMD MB/s   simd/word');
for (const size of [KiB, 16 * KiB, 64 * KiB, 1024 * KiB]) {
  // byteOffset 1: a Buffer from a socket read is often unaligned.
  const data = Uint8Array.from({ length: size + 1 }, (_, i) => i * 13).subarray(1);
  const viaSimd = data.slice();
  contenders['wasm SIMD'](viaSimd);
  const viaWords = data.slice();
  contenders['word loop'](viaWords);
  if (viaSimd.some((byte, i) => byte !== viaWords[i])) throw new Error(`mismatch at ${size}`);

  const rates: Record<string, number[]> = { 'word loop': [], 'wasm SIMD': [] };
  for (const run of Object.values(contenders)) round(run, data); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const order = Object.entries(contenders);
    if (r % 2 === 1) order.reverse();
    for (const [name, run] of order) rates[name]?.push(round(run, data));
  }
  const words = median(rates['word loop'] ?? []);
  const wasm = median(rates['wasm SIMD'] ?? []);
  const label = `${size / KiB} KiB`.padEnd(10);
  console.log(
    `${label}${words.toFixed(0).padStart(14)}${wasm.toFixed(0).padStart(17)}${(wasm / words).toFixed(2).padStart(12)}`,
  );
}
