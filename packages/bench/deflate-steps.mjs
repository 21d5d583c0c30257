// Where the memory of the deflate-memory scenario goes, step by step, for one server:
//
//   node deflate-steps.mjs [--impl wskit|ws] [--module PATH] [--plain] [--messages 4] [--count 1000]
//                          [--server-env NAME=VALUE]... [--heap] [--gc-every MS]
//
// Opens `count` connections (compressed unless --plain), has each send `messages` 16 KiB text
// messages at once and waits for the echoes, waits 11 s, then does the same again on the same
// connections; prints the server's RSS, live JS heap + external memory and ArrayBuffers per
// connection after each step (after a full GC). `--module`: another build of @wskit/node (a
// dist/index.js), as run.mjs --candidate. `--server-env`: an environment variable for the
// server process only (repeatable), e.g. MALLOC_ARENA_MAX=1 to try glibc tunables. Also prints
// where the RSS lies (smaps.mjs): glibc's main arena, its thread arenas (zlib runs on libuv's
// thread pool), other anonymous memory (V8's heap among it). `--heap`: also how much of the
// main arena is in use and how much is free (glibc-heap.mjs walks its chunks). Same processes
// and pinning as run.mjs. `--gc-every MS`: the server runs a full collection every MS ms
// (force-gc.mjs), to tell garbage not yet collected at the burst's peak from memory in use.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JsonLinesChild, serverEnvOf } from './child.mjs';
import { mainHeapUsage } from './glibc-heap.mjs';
import { optionValue } from './options.mjs';
import { residentByKind } from './smaps.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const impl = optionValue('--impl', 'wskit');
const module = optionValue('--module');
const deflate = !args.includes('--plain');
const messages = Number(optionValue('--messages', 4));
const count = Number(optionValue('--count', 1000));
const walkHeap = args.includes('--heap');
const REST_MS = 11_000;
const serverEnv = serverEnvOf(args);
if (module !== undefined) serverEnv.WSKIT_MODULE = module;
const gcEvery = optionValue('--gc-every');
if (gcEvery !== undefined) {
  serverEnv.NODE_OPTIONS = `--import=${pathToFileURL(`${here}force-gc.mjs`).href}`;
  serverEnv.WSKIT_BENCH_GC_EVERY = gcEvery;
}

const server = new JsonLinesChild(
  0,
  process.execPath,
  ['--expose-gc', 'server.mjs', '--impl', impl, ...(deflate ? ['--deflate'] : [])],
  { cwd: here, env: serverEnv, stderr: 'inherit' },
);
const { port } = await server.next();
const load = new JsonLinesChild(1, process.execPath, ['load.mjs'], {
  cwd: here,
  stderr: 'inherit',
});
await load.next();

const base = await server.request('memory');
const baseKinds = residentByKind(server.pid);
const baseHeap = walkHeap ? mainHeapUsage(server.pid) : undefined;
const kib = (bytes) => `${(bytes / count / 1024).toFixed(1)} KiB`.padStart(10);
/** `--heap`: the main arena's chunks in use and free, per connection, against the baseline. */
function mainArenaNote(heap) {
  if (heap === undefined || baseHeap === undefined) return '   (main arena could not be walked)';
  return `   main arena in use ${kib(heap.inUse - baseHeap.inUse)}, free ${kib(
    heap.free + heap.top - baseHeap.free - baseHeap.top,
  )}`;
}
async function show(step) {
  const now = await server.request('memory');
  const kinds = residentByKind(server.pid);
  const where =
    kinds === undefined || baseKinds === undefined
      ? ''
      : `   (main arena ${kib(kinds.mainArena - baseKinds.mainArena)}, thread arenas ${kib(
          kinds.threadArenas - baseKinds.threadArenas,
        )}, other anonymous ${kib(kinds.otherAnonymous - baseKinds.otherAnonymous)})`;
  const heapNote = walkHeap ? mainArenaNote(mainHeapUsage(server.pid)) : '';
  console.log(
    `${step.padEnd(16)} RSS ${kib(now.rss - base.rss)}   heap + external ${kib(
      now.heapUsed + now.external - base.heapUsed - base.external,
    )}   ArrayBuffers ${kib(now.arrayBuffers - base.arrayBuffers)}   per connection${where}${heapNote}`,
  );
}

const envNote = Object.entries(serverEnv)
  .filter(([name]) => name !== 'WSKIT_MODULE' && (gcEvery === undefined || name !== 'NODE_OPTIONS'))
  .map(([name, value]) => ` ${name}=${value}`)
  .join('');
console.log(
  `${impl}${module === undefined ? '' : ` (${module})`}${envNote}, ${count} ${deflate ? 'compressed' : 'uncompressed'} connections, ${messages} x 16 KiB each`,
);
await load.request('open', { port, count, deflate });
await show('opened');
if (messages > 0) {
  const exchange = () =>
    load.request('exchange', { messages, size: 16 * 1024, binary: false, deflate });
  await exchange();
  await show('after the burst');
  await sleep(REST_MS);
  await show('at rest');
  await exchange();
  await sleep(REST_MS);
  await show('again, at rest');
}
await load.stop();
await server.stop();
