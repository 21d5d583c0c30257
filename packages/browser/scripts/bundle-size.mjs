// What an app pays for one export of the browser build: esbuild bundles
// `export { name } from '<entry>'` (by default the built dist/native.js, as a browser bundler
// picks it), minified, then zlib gzips it at level 9. Shared by `pnpm size` (scripts/size.mjs)
// and the size budget test (test/bundle-size.test.ts), so both measure the same way.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const BROWSER_ENTRY = fileURLToPath(new URL('../dist/native.js', import.meta.url));

/**
 * @param {string} name the export to measure
 * @param {string} [entry] the module it is imported from
 * @returns {Promise<{ minified: number, gzipped: number }>} sizes in bytes
 */
export async function bundleSize(name, entry = BROWSER_ENTRY) {
  const result = await build({
    stdin: {
      contents: `export { ${name} } from ${JSON.stringify(entry)};`,
      resolveDir: process.cwd(),
    },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
}
