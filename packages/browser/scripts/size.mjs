// Measures what an app pays for each export of the browser build: esbuild bundles
// `import { X } from '@wskit/browser'` (the built dist/native.js, as a browser bundler picks
// it), minified, then zlib gzips it at level 9. Run `pnpm build` first; `pnpm size` prints
// one line per export, the figure the README quotes.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('../dist/native.js', import.meta.url));
const exports = process.argv.slice(2);
const measured =
  exports.length > 0 ? exports : ['ReconnectingWebSocket', 'WebSocketStream', 'WebSocket'];

for (const name of measured) {
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
  const gzipped = gzipSync(code, { level: 9 }).byteLength;
  console.log(
    `${name}: ${code.byteLength} B minified, ${gzipped} B min+gzip (${(gzipped / 1024).toFixed(2)} KiB)`,
  );
}
