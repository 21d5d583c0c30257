import '../../scripts/vitest-node20-shims.mjs';
import { defineConfig } from 'vitest/config';

// Node run: every colocated test, including the Node-only `*.node.test.ts` files.
// `vitest.edge.config.ts` runs the same tests (minus `*.node.test.ts`) in an edge runtime.
export default defineConfig({
  test: {
    // Property tests run thousands of cases; a loaded CI machine must not turn them red.
    testTimeout: 30_000,
    include: ['src/**/*.test.ts', 'examples/**/*.test.ts'],
  },
});
