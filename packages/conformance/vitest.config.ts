import '../../scripts/vitest-node20-shims.mjs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each conformance case sets its own timeout (the 16 MiB cases need more than the default);
    // this covers the suite's setup and teardown hooks.
    hookTimeout: 30_000,
  },
});
