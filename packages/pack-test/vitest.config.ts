import '../../scripts/vitest-node20-shims.mjs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Packing and `npm install` take seconds, not milliseconds; the first install also fetches
    // TypeScript from the registry.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
