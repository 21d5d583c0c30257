import type * as Http2 from 'node:http2';
import { createRequire } from 'node:module';

let loaded: typeof Http2 | undefined;

/**
 * `node:http2`, loaded when a server or client first needs it rather than when @wskit/node is
 * imported. Loading it changes every `net.Socket` the process makes afterwards: on Node 20 V8
 * then sizes `Socket` objects at 304 bytes instead of 264 (heap-budget.mjs), 40 bytes more per
 * connection for the many servers and clients that never speak HTTP/2.
 */
export function http2Module(): typeof Http2 {
  // Any absolute path serves as the base: a built-in module resolves the same from anywhere.
  loaded ??= createRequire(process.execPath)('node:http2') as typeof Http2;
  return loaded;
}
