import { defineConfig } from 'tsup';

// Two entries, chosen by export conditions (package.json): `native` re-exports the runtime's own
// WebSocket (browsers, workers, Deno, Bun, workerd) and must never reach Node code; `node` is our
// WHATWG class over @wskit/node. Code they share lands in a chunk free of Node imports
// (test/browser-bundle.test.ts checks the bundled browser entry).
export default defineConfig({
  entry: { native: 'src/native.ts', node: 'src/node.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: [/^node:/, '@wskit/node'],
});
