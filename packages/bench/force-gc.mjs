// Preloaded into a benchmark server by `deflate-steps.mjs --gc-every MS`: a full collection
// every MS milliseconds (the server runs with --expose-gc). Not something to deploy; it shows
// how much of the memory a burst leaves behind is garbage that V8 had not yet collected when
// the burst peaked, as against memory the server still used then.
const every = Number(process.env.WSKIT_BENCH_GC_EVERY);
if (!(every > 0)) throw new Error('force-gc.mjs: set WSKIT_BENCH_GC_EVERY to a number of ms');
if (typeof globalThis.gc !== 'function') throw new Error('force-gc.mjs: run node with --expose-gc');
setInterval(() => globalThis.gc(), every).unref();
