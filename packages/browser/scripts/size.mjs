// Prints what an app pays for each export of the browser build (see bundle-size.mjs for how it
// is measured). Run `pnpm build` first; `pnpm size` prints one line per export, the figure the
// README quotes. test/bundle-size.test.ts holds ReconnectingWebSocket to its budget.
import { bundleSize } from './bundle-size.mjs';

const exports = process.argv.slice(2);
const measured =
  exports.length > 0 ? exports : ['ReconnectingWebSocket', 'WebSocketStream', 'WebSocket'];

for (const name of measured) {
  const { minified, gzipped } = await bundleSize(name);
  console.log(
    `${name}: ${minified} B minified, ${gzipped} B min+gzip (${(gzipped / 1024).toFixed(2)} KiB)`,
  );
}
