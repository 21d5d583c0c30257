#!/usr/bin/env node
// Builds the chat: the page (web/ → dist/web/, app.ts bundled for the browser) and one bundle
// per runtime entry (server/{node,bun,deno}.ts → dist/server/). esbuild's JS API, no config.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(appDir, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'web'), { recursive: true });

for (const file of ['index.html', 'app.css', 'favicon.svg']) {
  copyFileSync(join(appDir, 'web', file), join(dist, 'web', file));
}

await build({
  entryPoints: [join(appDir, 'web', 'app.ts')],
  outfile: join(dist, 'web', 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});

for (const runtime of ['node', 'bun', 'deno']) {
  await build({
    entryPoints: [join(appDir, 'server', `${runtime}.ts`)],
    outfile: join(dist, 'server', `${runtime}.js`),
    bundle: true,
    // Node built-ins stay imports (`node:net`, `node:fs`): Bun and Deno provide them too.
    platform: 'node',
    conditions: runtime === 'node' ? [] : [runtime],
    // ioredis and its dependencies are CommonJS and `require` Node built-ins, which an ESM
    // bundle can only do through a real `require` (Node, Bun and Deno all provide this one).
    banner: {
      js: "import { createRequire as __chatCreateRequire } from 'node:module';\nconst require = __chatCreateRequire(import.meta.url);",
    },
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
  });
}
console.log(`built ${dist}`);
