// @wskit/node against ws@8, without and with bufferutil, side by side in one run.
//
//   node run.mjs                         everything (about 3 minutes)
//   node run.mjs --only echo,handshake   tests whose name starts with one of these
//   node run.mjs --impl wskit,ws         a subset of servers (wskit, wskit-hooks, wskit-ws, ws,
//                                        ws+bufferutil)
//   node run.mjs --quick                 shorter windows, fewer connections
//   node run.mjs --idle 100000           the most idle connections (default 10,000; 2,000 with
//                                        --quick), as far as the open-file limit goes
//   node run.mjs --repeat 3              runs per throughput test and server (default 2)
//   node run.mjs --cpu-prof DIR          servers run with --cpu-prof, profiles written to DIR
//   node run.mjs --json FILE             also write the raw results as JSON
//   node run.mjs --candidate A.js,B.js   also run patched builds of @wskit/node (A/B)
//   node run.mjs --server-env NAME=VALUE an environment variable for every server process
//                                        (repeatable; e.g. MALLOC_ARENA_MAX=1, glibc tunables)
//   node run.mjs --charts DIR            where the SVG charts go (default: charts/ here, none
//                                        with --quick; --charts none writes none)
//
// Each measurement starts a fresh server process pinned to CPU 0 (`taskset -c 0`) and a fresh
// load generator pinned to CPU 1 (load.mjs: raw sockets, pre-built frames, the same for every
// server). They talk to this process with JSON lines on stdin/stdout. Servers take turns
// within each test, and each throughput figure is the best of `--repeat` runs: other work on
// the machine can only slow a run down, so the best run is the least disturbed one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { basename, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChart, lineChart } from './chart.mjs';
import { canPin, JsonLinesChild, RAISE_FILE_LIMIT, serverEnvOf } from './child.mjs';
import { cpuSeconds, minorFaults } from './cpu-time.mjs';
import { optionValue } from './options.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const only = optionValue('--only')?.split(',').filter(Boolean);
const quick = args.includes('--quick');
const profileDir = optionValue('--cpu-prof');
const jsonFile = optionValue('--json');
const repeat = Number(optionValue('--repeat') ?? 2);
// The committed charts/ come from full runs: a --quick run writes charts only when asked to.
const chartDir = optionValue('--charts') ?? (quick ? 'none' : resolvePath(here, 'charts'));

const IMPLS = [
  { name: 'wskit', impl: 'wskit', env: {} },
  // The same server through its other faces: the shared hooks API and @wskit/node/ws.
  { name: 'wskit-hooks', impl: 'wskit', env: { WSKIT_API: 'hooks' } },
  { name: 'wskit-ws', impl: 'wskit', env: { WSKIT_API: 'ws' } },
  // The other two ways to run it, where the accept path differs: attached to an http.Server,
  // and handleUpgrade from the http 'upgrade' event.
  {
    name: 'wskit-server',
    impl: 'wskit',
    env: { WSKIT_MODE: 'server' },
    tests: ['handshake', 'idle-memory+publish'],
  },
  {
    name: 'wskit-noServer',
    impl: 'wskit',
    env: { WSKIT_MODE: 'noServer' },
    tests: ['handshake', 'idle-memory+publish'],
  },
  { name: 'ws', impl: 'ws', env: { WS_NO_BUFFER_UTIL: '1' } },
  { name: 'ws+bufferutil', impl: 'ws', env: {} },
  // No WebSocket at all (server.mjs --impl floor): a net.Server answering with canned bytes,
  // writing back each chunk it reads, one net.Socket per connection. What no Node server on
  // net.Socket can beat: it shows how much of each figure is the kernel's and Node's (libuv,
  // streams), not the WebSocket library's.
  {
    name: 'floor',
    impl: 'floor',
    env: {},
    tests: ['handshake', 'idle-memory+publish', 'binary-16k', 'binary-1m'],
  },
  // The same with one fresh buffer per 1 MiB frame (header included) gathered and written
  // whole: the floor of any server that hands out whole messages.
  {
    name: 'floor+copy',
    impl: 'floor',
    env: { FLOOR_COPY_BYTES: String(1024 * 1024 + 14) },
    tests: ['binary-1m'],
  },
];
// Patched builds of @wskit/node (a dist/index.js each) to compare with the current one; each
// is listed under its file name without extension.
for (const file of optionValue('--candidate')?.split(',') ?? []) {
  IMPLS.push({
    name: basename(file).replace(/\.m?js$/, ''),
    impl: 'wskit',
    env: { WSKIT_MODULE: resolvePath(file) },
  });
}
/** --server-env NAME=VALUE, for the server processes only (never the load generator). */
const serverEnv = serverEnvOf(args);
const selectedImpls = optionValue('--impl')?.split(',') ?? IMPLS.map((entry) => entry.name);
const impls = IMPLS.filter((entry) => selectedImpls.includes(entry.name));

const WARMUP = quick ? 500 : 1000;
const WINDOW = quick ? 1500 : 3000;
const fileLimit = Number(
  spawnSync('bash', ['-c', `${RAISE_FILE_LIMIT}; ulimit -n`]).stdout.toString(),
);
/** The most idle connections (`--idle`), as far as the fd limit allows (see the warning). */
const idleWanted = Number(optionValue('--idle') ?? (quick ? 2000 : 10_000));
if (!Number.isInteger(idleWanted) || idleWanted < 1000) {
  throw new Error(`--idle: a whole number of connections, 1000 or more, not ${idleWanted}`);
}
const MANY = Math.min(idleWanted, fileLimit - 200);
/** Idle-memory steps up to MANY, and the smaller fan-out. */
const MEMORY_STEPS = [...new Set([Math.min(1000, MANY), Math.round(MANY / 2), MANY])];
const FANOUT_SMALL = Math.min(1000, MANY);
/** Messages published at once in the fan-out burst rows. */
const BURST = 10;
/** Connections opened and closed before the idle-memory baseline (see that test). */
const MEMORY_WARMUP = 200;
/**
 * How long the idle connections then sit before the settled sample: V8's memory reducer runs
 * about 8 s after the last full GC once allocation has stopped, and gives back the young
 * generation the handshakes made resident (measured: 12 s was sometimes too short).
 */
const SETTLE_MS = quick ? 0 : 25_000;
/**
 * Handshake loops in flight: enough that the server, not the round trips of a few loops, sets
 * the rate (with 64 the server sat idle half the time on this shared machine); override with
 * --parallel N.
 */
const HANDSHAKE_PARALLEL = Number(optionValue('--parallel') ?? 256);
const COMPRESSED_CONNECTIONS = quick ? 200 : 1000;
const DEFLATE_REST_MS = 11_000;

// ---------------------------------------------------------------------------------------
// Child processes speaking JSON lines

async function withPair(entry, serverFlags, body) {
  const nodeFlags = ['--expose-gc'];
  if (profileDir !== undefined) {
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${resolvePath(profileDir)}`);
  }
  const server = new JsonLinesChild(
    0,
    process.execPath,
    [...nodeFlags, resolvePath(here, 'server.mjs'), '--impl', entry.impl, ...serverFlags],
    { cwd: here, env: { ...serverEnv, ...entry.env }, stderr: 'inherit' },
  );
  const ready = await server.next();
  if (entry.name === 'ws+bufferutil' && !ready.bufferutil) {
    throw new Error('ws did not load bufferutil: is it installed (pnpm install)?');
  }
  if (entry.name === 'ws' && ready.bufferutil) throw new Error('WS_NO_BUFFER_UTIL was ignored');
  const load = new JsonLinesChild(1, process.execPath, [resolvePath(here, 'load.mjs')], {
    cwd: here,
    stderr: 'inherit',
  });
  // The server's CPU share over the generator's measurement window, from /proc (schedstat:
  // nanoseconds; the 10 ms ticks of /proc/<pid>/stat were a handful per window when other work
  // left the server a few percent of a CPU).
  let window;
  load.onEvent = ({ event }) => {
    if (event === 'window-start') {
      window = {
        cpu: cpuSeconds(server.pid),
        faults: minorFaults(server.pid),
        at: performance.now(),
      };
    }
    if (event === 'window-end' && window !== undefined) {
      const seconds = cpuSeconds(server.pid) - window.cpu;
      window.share = (seconds * 1000) / (performance.now() - window.at);
      window.faults = minorFaults(server.pid) - window.faults;
    }
  };
  server.windowCpu = () => window?.share;
  server.windowFaults = () => window?.faults;
  await load.next();
  try {
    return await body(server, load, ready.port);
  } finally {
    await load.stop();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------
// Tests: each runs once per server and returns named metrics

const MB = 1e6;

function echoTest(name, label, { connections, inflight, size, binary, deflate, distinct }) {
  return {
    name,
    flags: deflate ? ['--deflate'] : [],
    async run(server, load, port) {
      const result = await load.request('echo', {
        port,
        connections,
        inflight,
        size,
        binary,
        deflate,
        distinct,
        warmup: WARMUP,
        duration: WINDOW,
      });
      const perSecond = result.messages / result.seconds;
      const serverCpu = server.windowCpu();
      return {
        cpu: { server: serverCpu, load: result.loadCpu },
        metrics: [
          size < 1024
            ? { label: `${label} msg/s`, value: perSecond, higherIsBetter: true }
            : { label: `${label} MB/s`, value: (perSecond * size) / MB, higherIsBetter: true },
          {
            label: `  server CPU µs per message`,
            key: `${name} cpu`,
            value: (serverCpu * 1e6) / perSecond,
            higherIsBetter: false,
          },
          ...(size < 1024
            ? []
            : [
                {
                  // Fresh memory for each large message costs a page fault per 4 KiB.
                  label: `  server page faults per message`,
                  key: `${name} faults`,
                  value: server.windowFaults() / result.messages,
                  higherIsBetter: false,
                },
              ]),
        ],
      };
    },
  };
}

const TESTS = [
  echoTest('echo-64', 'echo 64 B text, 64 conn x 32 in flight', {
    connections: 64,
    inflight: 32,
    size: 64,
    binary: false,
    deflate: false,
  }),
  echoTest('binary-16k', 'echo 16 KiB binary, 64 conn x 4', {
    connections: 64,
    inflight: 4,
    size: 16 * 1024,
    binary: true,
    deflate: false,
  }),
  echoTest('binary-1m', 'echo 1 MiB binary, 8 conn x 2', {
    connections: 8,
    inflight: 2,
    size: 1024 * 1024,
    binary: true,
    deflate: false,
  }),
  {
    name: 'handshake',
    flags: [],
    async run(server, load, port) {
      const result = await load.request('handshakes', {
        port,
        parallel: HANDSHAKE_PARALLEL,
        warmup: WARMUP,
        duration: WINDOW,
      });
      if (result.failures > 0) console.log(`  (${result.failures} handshakes failed)`);
      const perSecond = result.handshakes / result.seconds;
      const serverCpu = server.windowCpu();
      return {
        cpu: { server: serverCpu, load: result.loadCpu },
        metrics: [
          {
            label: `handshakes/s (open+close, ${HANDSHAKE_PARALLEL} parallel)`,
            value: perSecond,
            higherIsBetter: true,
          },
          {
            label: '  server CPU µs per handshake',
            key: 'handshake cpu',
            value: (serverCpu * 1e6) / perSecond,
            higherIsBetter: false,
          },
        ],
      };
    },
  },
  {
    // Also matched by --only memory / --only publish / --only fanout.
    name: 'idle-memory+publish',
    flags: ['--broadcast'],
    runs: 1,
    async run(server, load) {
      // A first batch opened and closed before the baseline: the code every server pages in
      // on its first connections (about 4 MB of the node binary for a net.Server, which ws's
      // http.Server has already touched at startup) is not counted per connection.
      await load.request('open', { port: server.port, count: MEMORY_WARMUP });
      await load.request('closeAll');
      const before = await server.request('memory');
      // Idle memory in steps up to MANY, for the chart of RSS per connection by count.
      const memory = [];
      let opened = 0;
      let openSeconds = 0;
      for (const step of MEMORY_STEPS) {
        const result = await load.request('open', { port: server.port, count: step - opened });
        openSeconds += result.seconds;
        opened = step;
        await sleep(500);
        const now = await server.request('memory');
        if (now.clients !== step)
          throw new Error(`server sees ${now.clients} clients, not ${step}`);
        memory.push({ connections: step, rss: (now.rss - before.rss) / step / 1024 });
      }
      const after = await server.request('memory');
      // The same connections once the server has been idle a while, as idle servers mostly are.
      let settled;
      if (SETTLE_MS > 0) {
        await sleep(SETTLE_MS);
        settled = await server.request('memory');
      }
      // Fan-out: the same message to FANOUT_SMALL subscribers, then to all MANY. Each also as
      // a burst: every published message goes out BURST times in one go, as a server relaying
      // a batch of updates sends them (what batching the writes per subscriber is worth).
      // Subscribing only adds, so the smaller count goes first.
      const fanout = [];
      const bursts = [];
      for (const receivers of [FANOUT_SMALL, MANY]) {
        await server.request('subscribe', { count: receivers });
        for (const [messages, results] of [
          [1, fanout],
          [BURST, bursts],
        ]) {
          await server.request('burst', { messages });
          const published = await load.request('publish', {
            rounds: 10,
            size: 64,
            receivers,
            messages,
          });
          const { broadcastTimes } = await server.request('stats');
          results.push({
            receivers,
            received: Math.min(...published.times),
            loop: Math.min(...broadcastTimes.slice(1)),
          });
        }
      }
      return {
        chart: { memory, fanout },
        metrics: [
          {
            label: `RSS per idle connection, KiB (${MANY})`,
            value: (after.rss - before.rss) / MANY / 1024,
            higherIsBetter: false,
          },
          ...(settled === undefined
            ? []
            : [
                {
                  label: `RSS per idle connection after ${SETTLE_MS / 1000} s idle, KiB (${MANY})`,
                  value: (settled.rss - before.rss) / MANY / 1024,
                  higherIsBetter: false,
                },
              ]),
          {
            // The slope between the last two steps: what one more idle connection costs once
            // fixed costs (code paged in, V8's young generation made resident by the
            // handshakes' garbage) are paid; the figure above spreads those over MANY.
            label: `RSS per added idle connection, ${MEMORY_STEPS.at(-2)} -> ${MANY}, KiB`,
            value: addedRss(memory),
            higherIsBetter: false,
          },
          {
            label: 'heap+external per idle connection, KiB',
            value:
              (after.heapUsed + after.external - before.heapUsed - before.external) / MANY / 1024,
            higherIsBetter: false,
          },
          ...fanoutRows(fanout, '64 B', 'send loop'),
          ...fanoutRows(bursts, `${BURST} x 64 B at once`, 'send loops'),
          { label: `(opened ${MANY} in, s)`, value: openSeconds, higherIsBetter: false },
        ],
      };
    },
  },
  echoTest('deflate-64', 'deflate: echo 64 B text, 64 conn x 32', {
    connections: 64,
    inflight: 32,
    size: 64,
    binary: false,
    deflate: true,
  }),
  echoTest('deflate-16k', 'deflate: echo 16 KiB binary, 64 conn x 4', {
    connections: 64,
    inflight: 4,
    size: 16 * 1024,
    binary: true,
    deflate: true,
  }),
  echoTest('deflate-16k-distinct', 'deflate: echo 16 KiB binary, 8 distinct, 64 conn x 4', {
    connections: 64,
    inflight: 4,
    size: 16 * 1024,
    binary: true,
    deflate: true,
    distinct: 8,
  }),
  {
    name: 'deflate-memory',
    flags: ['--deflate'],
    runs: 1,
    async run(server, load) {
      const before = await server.request('memory');
      await load.request('open', {
        port: server.port,
        count: COMPRESSED_CONNECTIONS,
        deflate: true,
      });
      await load.request('exchange', {
        messages: 4,
        size: 16 * 1024,
        binary: false,
        deflate: true,
      });
      const after = await server.request('memory');
      // At rest: @wskit/node frees zlib streams idle for 5 to 10 s (ZLIB_IDLE_MS), keeping a
      // copy of their window, and never keeps more than 128 alive (zlibStreamPool); every
      // server gets the same wait.
      await sleep(DEFLATE_REST_MS);
      const rest = await server.request('memory');
      // The same again with 1,000 more connections (the first stay open): what the second
      // batch adds shows whether memory freed at rest is reused or the process keeps growing.
      await load.request('open', {
        port: server.port,
        count: COMPRESSED_CONNECTIONS,
        deflate: true,
      });
      await load.request('exchange', {
        messages: 4,
        size: 16 * 1024,
        binary: false,
        deflate: true,
      });
      await sleep(DEFLATE_REST_MS);
      const second = await server.request('memory');
      return {
        metrics: [
          {
            label: `deflate: RSS, ${COMPRESSED_CONNECTIONS} conn after 4 x 16 KiB each, MB`,
            value: (after.rss - before.rss) / MB,
            higherIsBetter: false,
          },
          {
            label: `deflate: RSS per conn at rest (${DEFLATE_REST_MS / 1000} s later), KiB`,
            value: (rest.rss - before.rss) / COMPRESSED_CONNECTIONS / 1024,
            higherIsBetter: false,
          },
          {
            label: `  added by ${COMPRESSED_CONNECTIONS} more, at rest, per conn, KiB`,
            value: (second.rss - rest.rss) / COMPRESSED_CONNECTIONS / 1024,
            higherIsBetter: false,
          },
          {
            label: '  live JS heap + external (buffers), KiB',
            value:
              (rest.heapUsed + rest.external - before.heapUsed - before.external) /
              COMPRESSED_CONNECTIONS /
              1024,
            higherIsBetter: false,
          },
          {
            // Pages V8 keeps committed after the burst, used or not: part of the RSS above.
            label: '  V8 heap committed (heapTotal), KiB',
            value: (rest.heapTotal - before.heapTotal) / COMPRESSED_CONNECTIONS / 1024,
            higherIsBetter: false,
          },
        ],
      };
    },
  },
];

/** The two rows of each fan-out: until every subscriber had it, and the server's own loop. */
function fanoutRows(results, published, loops) {
  return results.flatMap(({ receivers, received, loop }) => [
    {
      label: `publish ${published} to ${receivers}: all received, ms (best of 10)`,
      value: received,
      higherIsBetter: false,
    },
    {
      label: `  server ${loops} to ${receivers}, ms (best of 10)`,
      value: loop,
      higherIsBetter: false,
    },
  ]);
}

const TARGETS = {
  // Issue 17 target 6: small-message echo stays at 4x ws or more (an earlier issue asked 1.5x).
  'echo 64 B text': { against: 'ws', ratio: 4 },
  // Issue 17 target 5: large messages at 1.5x ws+bufferutil.
  'echo 16 KiB binary': { against: 'ws+bufferutil', ratio: 1.5 },
  'echo 1 MiB binary': { against: 'ws+bufferutil', ratio: 1.5 },
  // Issue 17: at least twice ws's handshakes, at most 0.7x its idle memory, half its fan-out.
  'handshakes/s': { against: 'ws', ratio: 2 },
  'RSS per idle': { against: 'ws', ratio: 0.7 },
  'publish 64 B': { against: 'ws', ratio: 0.5 },
  // The same target for a burst, where batching the writes per subscriber counts.
  [`publish ${BURST} x 64 B`]: { against: 'ws', ratio: 0.5 },
  'deflate: echo 64 B': { against: 'ws+bufferutil', ratio: 1 },
  'deflate: echo 16 KiB': { against: 'ws+bufferutil', ratio: 1 },
};

function targetFor(label) {
  for (const [prefix, target] of Object.entries(TARGETS)) {
    if (label.startsWith(prefix)) return target;
  }
  return undefined;
}

function matches(test) {
  if (only === undefined) return true;
  const aliases =
    test.name === 'idle-memory+publish' ? ['memory', 'publish', 'idle', 'fanout'] : [];
  return only.some(
    (filter) => test.name.startsWith(filter) || aliases.some((alias) => alias.startsWith(filter)),
  );
}

// ---------------------------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function formatValue(value) {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function checkBuilt() {
  const require = createRequire(import.meta.url);
  try {
    require.resolve('@wskit/node');
  } catch {
    console.error('@wskit/node is not built: run `pnpm build` (or `pnpm bench` from the root).');
    process.exit(1);
  }
}

async function main() {
  checkBuilt();
  const wsVersion = createRequire(import.meta.url)('ws/package.json').version;
  console.log(
    `wskit bench — Node ${process.version}, ws ${wsVersion}, ${new Date().toISOString()}, ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg()[0].toFixed(2)}`,
  );
  console.log(
    canPin
      ? 'server on CPU 0, load generator on CPU 1 (taskset)'
      : 'WARNING: not pinned (taskset or a second CPU is missing)',
  );
  if (MANY < idleWanted) {
    console.log(
      `WARNING: open-file limit ${fileLimit}: ${MANY} idle connections instead of ${idleWanted}`,
    );
  }

  const rows = new Map(); // label -> { metric, values: { implName: [runs] } }
  const charts = {}; // test name -> impl name -> what the test returned for its line charts
  const started = performance.now();
  for (const test of TESTS.filter(matches)) {
    for (let run = 0; run < (test.runs ?? repeat); run++) {
      for (const entry of impls) {
        if (entry.tests !== undefined && !entry.tests.includes(test.name)) continue;
        let outcome;
        try {
          outcome = await withPair(entry, test.flags, (server, load, port) => {
            server.port = port;
            return test.run(server, load, port);
          });
        } catch (error) {
          console.log(
            `  ${test.name.padEnd(20)} ${entry.name.padEnd(14)} FAILED: ${error.message}`,
          );
          continue;
        }
        const { metrics, cpu, chart } = outcome;
        if (chart !== undefined) {
          charts[test.name] ??= {};
          charts[test.name][entry.name] = chart;
        }
        for (const metric of metrics) {
          const key = metric.key ?? metric.label;
          if (!rows.has(key)) rows.set(key, { metric, values: {} });
          const values = rows.get(key).values;
          values[entry.name] ??= [];
          values[entry.name].push(metric.value);
        }
        const share = (value) => (Number.isFinite(value) ? `${Math.round(value * 100)}%` : '?');
        console.log(
          `  ${test.name.padEnd(20)} ${entry.name.padEnd(14)} ${metrics
            .map((metric) => formatValue(metric.value))
            .join(
              '  ',
            )}${cpu ? `   (CPU: server ${share(cpu.server)}, load ${share(cpu.load)})` : ''}`,
        );
      }
    }
  }
  // Best of the runs: higher for rates, lower for times and memory.
  for (const { metric, values } of rows.values()) {
    for (const name of Object.keys(values)) {
      values[name] = metric.higherIsBetter ? Math.max(...values[name]) : Math.min(...values[name]);
    }
  }

  const header = ['metric', ...impls.map((entry) => entry.name)];
  const hasWs = impls.some((entry) => entry.name === 'ws');
  const hasBu = impls.some((entry) => entry.name === 'ws+bufferutil');
  const hasOurs = impls.some((entry) => entry.name === 'wskit');
  if (hasOurs && hasWs) header.push('ours/ws');
  if (hasOurs && hasBu) header.push('ours/ws+bu');
  header.push('target', 'met');
  const table = [header];
  for (const { metric, values } of rows.values()) {
    const label = metric.label;
    const row = [label, ...impls.map((entry) => formatValue(values[entry.name]))];
    const ratioWs = values.wskit / values.ws;
    const ratioBu = values.wskit / values['ws+bufferutil'];
    if (hasOurs && hasWs) row.push(Number.isFinite(ratioWs) ? `${ratioWs.toFixed(2)}x` : '');
    if (hasOurs && hasBu) row.push(Number.isFinite(ratioBu) ? `${ratioBu.toFixed(2)}x` : '');
    const target = targetFor(label);
    if (target === undefined || !hasOurs) {
      row.push('', '');
    } else {
      const ratio = values.wskit / values[target.against];
      const met = metric.higherIsBetter ? ratio >= target.ratio : ratio <= target.ratio;
      const sign = metric.higherIsBetter ? '>=' : target.ratio === 1 ? '<' : '<=';
      row.push(
        `${sign}${target.ratio}x ${target.against === 'ws' ? 'ws' : 'ws+bu'}`,
        Number.isFinite(ratio) ? (met ? 'yes' : 'NO') : '',
      );
    }
    table.push(row);
  }
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  console.log('');
  for (const [index, row] of table.entries()) {
    console.log(
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
        )
        .join('  '),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
  console.log(
    `\nmsg/s, MB/s: echoed messages (payload bytes, one way) per second, best of ${repeat} ` +
      `runs of ${WINDOW / 1000} s after ${WARMUP / 1000} s warmup; times and memory: lower is ` +
      `better. ${((performance.now() - started) / 1000).toFixed(0)} s in all.`,
  );
  printFloors(rows);
  if (impls.some((entry) => entry.name === 'floor')) {
    console.log(
      'floor: no WebSocket code, a net.Server answering with canned bytes and one write of a ' +
        'prebuilt frame per subscriber: no Node server built on net.Socket can beat it.',
    );
  }
  if (chartDir !== 'none') writeCharts(rows, charts);
  if (jsonFile !== undefined) {
    const results = Object.fromEntries([...rows].map(([key, { values }]) => [key, values]));
    writeFileSync(
      jsonFile,
      `${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`,
    );
  }
}

/** KiB of RSS per connection between the last two steps of `memory` (per-connection averages). */
function addedRss(memory) {
  const [previous, last] = memory.slice(-2);
  return (
    (last.rss * last.connections - previous.rss * previous.connections) /
    (last.connections - previous.connections)
  );
}

/**
 * For the rows judged on the server's CPU per operation (the large echoes against 1.5x
 * ws+bufferutil, handshakes against 2x ws): how much of the reference's CPU the bare socket
 * already costs, and whether the target lies above that floor at all.
 */
function printFloors(rows) {
  for (const [key, { values }] of rows) {
    if (!key.endsWith(' cpu') || values.floor === undefined) continue;
    const handshake = key === 'handshake cpu';
    const against = handshake ? 'ws' : 'ws+bufferutil';
    const ratio = handshake ? 2 : 1.5;
    const reference = values[against];
    if (reference === undefined) continue;
    const needed = reference / ratio;
    const unit = handshake ? 'handshake' : 'message';
    console.log(
      `${key.replace(/ cpu$/, '')}: the bare socket takes ${formatValue(values.floor)} µs per ` +
        `${unit}, ${((values.floor / reference) * 100).toFixed(0)}% of ${against}'s ` +
        `${formatValue(reference)}; ${ratio}x ${against} needs at most ${formatValue(needed)} µs` +
        (values.floor > needed ? ': below the floor, out of reach on net.Socket.' : '.') +
        (values.wskit === undefined
          ? ''
          : ` Above the floor: wskit ${formatValue(values.wskit - values.floor)} µs, ` +
            `${against} ${formatValue(reference - values.floor)} µs.`),
    );
  }
}

/** One SVG per scenario: a bar per server for each headline figure, lines for the ranges. */
function writeCharts(rows, charts) {
  mkdirSync(chartDir, { recursive: true });
  const subtitle =
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ` +
    `${new Date().toISOString().slice(0, 10)} (server and load on separate pinned CPUs)`;
  const written = [];
  for (const { metric, values } of rows.values()) {
    // Headline rows only: not the indented detail rows or the (parenthesised) notes.
    if (metric.label.startsWith(' ') || metric.label.startsWith('(')) continue;
    const file = `${metric.label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')}.svg`;
    const bars = impls
      .filter((entry) => values[entry.name] !== undefined)
      .map((entry) => ({ name: entry.name, value: values[entry.name] }));
    writeFileSync(
      resolvePath(chartDir, file),
      barChart({
        title: metric.label,
        subtitle,
        yLabel: metric.higherIsBetter ? 'higher is better' : 'lower is better',
        bars,
      }),
    );
    written.push(file);
  }
  const ranges = charts['idle-memory+publish'];
  if (ranges !== undefined) {
    const names = Object.keys(ranges);
    writeFileSync(
      resolvePath(chartDir, 'idle-rss-by-connections.svg'),
      lineChart({
        title: `RSS per idle connection by connection count — ${subtitle}`,
        xLabel: 'idle connections',
        yLabel: 'KiB per connection',
        series: names.map((name) => ({
          name,
          points: ranges[name].memory.map(({ connections, rss }) => [connections, rss]),
        })),
      }),
    );
    writeFileSync(
      resolvePath(chartDir, 'fanout-by-subscribers.svg'),
      lineChart({
        title: `Publish 64 B: all received, ms — ${subtitle}`,
        xLabel: 'subscribers',
        yLabel: 'ms until every subscriber had it',
        series: names.map((name) => ({
          name,
          points: ranges[name].fanout.map(({ receivers, received }) => [receivers, received]),
        })),
      }),
    );
    written.push('idle-rss-by-connections.svg', 'fanout-by-subscribers.svg');
  }
  console.log(`Charts: ${written.length} SVG files in ${chartDir}`);
}

await main();
