// Bundles web/ into dist/web/ (browser) and server/ into dist/server/ (Node, Bun, Deno).
// `--if-missing` skips the build when dist/ already exists (the start script uses it).

import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildWeb(outDir = `${root}dist/web`) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [`${root}web/app.ts`, `${root}web/admin.ts`],
    outdir: outDir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'admin.html', 'styles.css', 'favicon.svg']) {
    await copyFile(`${root}web/${file}`, `${outDir}/${file}`);
  }
}

// Dependencies stay imports resolved at run time (their dist/), except @wskit/app-shared: a
// private package exporting TypeScript source, bundled in so Node, Bun and Deno never load .ts.
const bundleAppShared = {
  name: 'bundle-app-shared',
  setup(build) {
    build.onResolve({ filter: /^@wskit\/app-shared(\/|$)/ }, (args) => ({
      path: fileURLToPath(import.meta.resolve(args.path)),
    }));
  },
};

export async function buildServer() {
  await build({
    entryPoints: ['node', 'bun', 'deno'].map((name) => `${root}server/${name}.ts`),
    outdir: `${root}dist/server`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    packages: 'external',
    plugins: [bundleAppShared],
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { 'if-missing': ifMissing } = parseArgs({
    args: process.argv.slice(2),
    options: { 'if-missing': { type: 'boolean', default: false } },
  }).values;
  if (
    !(ifMissing && existsSync(`${root}dist/web/app.js`) && existsSync(`${root}dist/server/node.js`))
  ) {
    await buildWeb();
    await buildServer();
  }
}
