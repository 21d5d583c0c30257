import '../../scripts/vitest-node20-shims.mjs';
import { builtinModules } from 'node:module';
import { defineConfig, type Plugin } from 'vitest/config';

// The core promises to need no Node APIs. This run proves it for the code under test: every
// colocated test runs again in `edge-runtime` (Vercel's Edge VM: WHATWG globals such as
// TextEncoder, crypto.getRandomValues, URL). Tests that need Node on purpose (`node:zlib`, the
// `ws` package, sockets) are named `*.node.test.ts` and run only under `vitest.config.ts`.
//
// vitest's edge-runtime environment adds the edge globals but leaves Node's in place (it even
// sets `Buffer`, which the edge primitives such as `Response` need), so it cannot prove on its
// own that the core avoids Node. Three checks together do:
// - Node globals: core's tsconfig has `types: []`, so `Buffer`, `process`... fail `typecheck`;
// - Node modules, statically: Biome's `noNodejsModules` on packages/core/src (see biome.json);
// - Node modules, in the module graph the tests really load: the plugin below.

const nodeBuiltins = new Set(builtinModules);

/**
 * Fails the run when a source file under test (not a test file) imports `node:*` or a bare Node
 * builtin. Biome's `noNodejsModules` catches this statically; this catches it at run time, in
 * the module graph the tests really load. A transform hook, because Vite resolves builtins
 * before `resolveId` plugins see them.
 */
function forbidNodeBuiltins(): Plugin {
  const importSpecifier = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;
  return {
    name: 'wskit:forbid-node-builtins',
    enforce: 'post',
    transform(code, id) {
      if (!/\/src\//.test(id) || /\.test\.ts$/.test(id) || id.includes('/node_modules/'))
        return null;
      for (const [, specifier = ''] of code.matchAll(importSpecifier)) {
        if (specifier.startsWith('node:') || nodeBuiltins.has(specifier.split('/')[0] ?? '')) {
          this.error(`${id} imports "${specifier}": @wskit/core must not use Node builtins`);
        }
      }
      return null;
    },
  };
}

export default defineConfig({
  plugins: [forbidNodeBuiltins()],
  test: {
    // Property tests run thousands of cases; a loaded CI machine must not turn them red.
    testTimeout: 30_000,
    name: 'edge',
    environment: 'edge-runtime',
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.node.test.ts', '**/node_modules/**'],
  },
});
