import '../../scripts/vitest-node20-shims.mjs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every file starts its own redis-server and server processes: one file at a time keeps
    // a small machine from timing out.
    fileParallelism: false,
  },
});
