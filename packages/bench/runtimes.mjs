// Bun and Deno: the @wskit/deno-bun adapter against the raw runtime (Bun.serve's websocket
// handlers, Deno.serve + Deno.upgradeWebSocket) on the same scenarios, side by side in one run.
// The target (issue 17): the adapter at 0.9x raw or better on each.
//
//   node runtimes.mjs                         everything (about 4 minutes)
//   node runtimes.mjs --quick                 shorter windows, 1 run each, 1,000 idle connections
//   node runtimes.mjs --only echo-64,fanout   scenarios whose name starts with one of these
//                                             (echo-64, echo-16k, handshake, memory, fanout)
//   node runtimes.mjs --runtime bun           one runtime (bun, deno)
//   node runtimes.mjs --repeat 3              runs per scenario and server (default 2)
//   node runtimes.mjs --json FILE --svg FILE  where to write the results (a full run writes
//                                             runtimes-results.json/.svg next to this file;
//                                             --quick writes only where asked)
//   node runtimes.mjs --candidate FILE        also run a patched build of @wskit/deno-bun (its
//                                             dist/index.js, inside packages/deno-bun so that
//                                             its imports resolve) as "candidate" (A/B)
//
// Each measurement starts a fresh server (runtimes/*.mjs under the real bun or deno binary of
// the npm packages) pinned to CPU 0 and a fresh load generator (load.mjs, the same Node
// process as for run.mjs) pinned to CPU 1. Within a scenario the servers take turns, raw and
// adapter alternating which goes first, and each figure is the best of --repeat runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lineChart } from '../../scripts/lib/svg-chart.mjs';
import { canPin, JsonLinesChild, RAISE_FILE_LIMIT } from './child.mjs';
import { cpuSeconds } from './cpu-time.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const KNOWN = [
  '--quick',
  '--only',
  '--runtime',
  '--repeat',
  '--json',
  '--svg',
  '--candidate',
  '--help',
];
for (const arg of args.filter((arg) => arg.startsWith('--'))) {
  if (!KNOWN.includes(arg)) usage(`unknown option ${arg}`);
}
if (args.includes('--help')) usage();
const optionValue = (name) => {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) usage(`${name} needs a value`);
  return value;
};
const quick = args.includes('--quick');
const only = optionValue('--only')?.split(',').filter(Boolean);
const runtimes = optionValue('--runtime')?.split(',') ?? ['bun', 'deno'];
const repeat = Number(optionValue('--repeat') ?? (quick ? 1 : 2));
const jsonFile = optionValue('--json') ?? (quick ? undefined : join(here, 'runtimes-results.json'));
const svgFile = optionValue('--svg') ?? (quick ? undefined : join(here, 'runtimes-results.svg'));
if (runtimes.some((name) => name !== 'bun' && name !== 'deno')) usage('--runtime: bun, deno');
if (!Number.isInteger(repeat) || repeat < 1) usage('--repeat: a whole number from 1');

function usage(problem) {
  const text = fileURLToPath(import.meta.url);
  if (problem !== undefined) console.error(`runtimes.mjs: ${problem}`);
  console.error(`usage: node ${text} [--quick] [--only NAMES] [--runtime bun,deno] [--repeat N]`);
  console.error('       [--json FILE] [--svg FILE]   (see the comment at the top of the file)');
  process.exit(problem === undefined ? 0 : 2);
}

const WARMUP = quick ? 500 : 1000;
const WINDOW = quick ? 1500 : 3000;
const fileLimit = Number(
  spawnSync('bash', ['-c', `${RAISE_FILE_LIMIT}; ulimit -n`]).stdout.toString(),
);
const IDLE_CONNECTIONS = Math.min(quick ? 1000 : 10_000, fileLimit - 200);
const SUBSCRIBERS = 1000;
const FANOUT_ROUNDS = quick ? 10 : 20;
/** Where each figure must be: adapter ÷ raw for rates, raw ÷ adapter for memory and time. */
const TARGET = 0.9;

// ---------------------------------------------------------------------------------------
// The runtimes and the servers

/** The real binaries of the `bun` and `deno` npm packages (not their node_modules/.bin shims). */
function runtimeBinaries() {
  const require = createRequire(import.meta.url);
  let adapterDir;
  try {
    adapterDir = dirname(realpathSync(require.resolve('@wskit/deno-bun/package.json')));
  } catch {
    fail('@wskit/deno-bun is not installed: run `pnpm install` at the root');
  }
  const adapterDist = join(adapterDir, 'dist', 'index.js');
  if (!existsSync(adapterDist)) fail('@wskit/deno-bun is not built: run `pnpm build` first');
  // bun and deno are devDependencies of @wskit/deno-bun, whose tests run under them too.
  const fromAdapter = createRequire(join(adapterDir, 'package.json'));
  const bunRoot = dirname(fromAdapter.resolve('bun/package.json'));
  const denoRoot = dirname(fromAdapter.resolve('deno/package.json'));
  // Deno's postinstall hard-links the binary next to its launcher; else the platform package.
  const denoLinked = join(denoRoot, 'deno');
  const deno = existsSync(denoLinked)
    ? denoLinked
    : join(
        dirname(
          createRequire(join(denoRoot, 'package.json')).resolve(
            '@deno/linux-x64-glibc/package.json',
          ),
        ),
        'deno',
      );
  const bun = join(bunRoot, 'bin', 'bun.exe');
  for (const binary of [bun, deno]) if (!existsSync(binary)) fail(`missing ${binary}`);
  return { bun, deno, adapterUrl: pathToFileURL(adapterDist).href };
}

function fail(message) {
  console.error(`runtimes.mjs: ${message}`);
  process.exit(1);
}

const binaries = runtimeBinaries();
const repositoryRoot = join(here, '..', '..');

const candidate = optionValue('--candidate');
if (candidate !== undefined && !existsSync(candidate)) usage(`--candidate: no file ${candidate}`);
const KINDS = candidate === undefined ? ['raw', 'adapter'] : ['raw', 'adapter', 'candidate'];
const MODULES = {
  adapter: binaries.adapterUrl,
  candidate: candidate === undefined ? undefined : pathToFileURL(resolvePath(candidate)).href,
};

/** The command line of one server: `kind` raw, adapter or candidate; `mode` echo or broadcast. */
function serverCommand(runtime, kind, mode) {
  const script = join(here, 'runtimes', kind === 'raw' ? `raw-${runtime}.mjs` : 'adapter.mjs');
  const serverArgs = ['--mode', mode, ...(kind === 'raw' ? [] : ['--module', MODULES[kind]])];
  if (runtime === 'bun') return [binaries.bun, [script, ...serverArgs]];
  return [
    binaries.deno,
    [
      'run',
      '--allow-net=127.0.0.1',
      `--allow-read=${repositoryRoot}`,
      '--no-prompt',
      // A full collection before each memory reading, as Bun.gc(true) on Bun.
      '--v8-flags=--expose-gc',
      script,
      ...serverArgs,
    ],
  ];
}

const SERVERS = runtimes.flatMap((runtime) =>
  KINDS.map((kind) => ({ runtime, kind, name: `${runtime} ${kind}` })),
);

/** Starts the server and a load generator, runs `body`, stops both. */
async function withPair(server, mode, body) {
  const [command, commandArgs] = serverCommand(server.runtime, server.kind, mode);
  const child = new JsonLinesChild(0, command, commandArgs, { cwd: here });
  const load = new JsonLinesChild(1, process.execPath, [join(here, 'load.mjs')], { cwd: here });
  try {
    const ready = await child.next();
    server.version ??= ready.runtime;
    // The server's CPU share over the generator's measurement window, from /proc.
    let window;
    load.onEvent = ({ event }) => {
      if (event === 'window-start') window = { cpu: cpuSeconds(child.pid), at: performance.now() };
      if (event === 'window-end' && window !== undefined) {
        window.share =
          ((cpuSeconds(child.pid) - window.cpu) * 1000) / (performance.now() - window.at);
      }
    };
    child.windowCpu = () => window?.share;
    await load.next();
    return await body(child, load, ready.port);
  } finally {
    await Promise.all([load.stop(), child.stop()]);
  }
}

/** Resident set size of a process, in bytes (VmRSS). */
function rssBytes(pid) {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readProc(pid, 'status'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

function readProc(pid, file) {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8');
}

// ---------------------------------------------------------------------------------------
// Scenarios: each runs once per server and returns its metrics

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function echoScenario(name, label, { connections, inflight, size, binary }) {
  return {
    name,
    mode: 'echo',
    async run(server, load, port) {
      const result = await load.request('echo', {
        port,
        connections,
        inflight,
        size,
        binary,
        deflate: false,
        warmup: WARMUP,
        duration: WINDOW,
      });
      const perSecond = result.messages / result.seconds;
      const serverCpu = server.windowCpu();
      return {
        cpu: { server: serverCpu, load: result.loadCpu },
        metrics: [
          size < 1024
            ? { key: name, label: `${label}, msg/s`, value: perSecond, higherIsBetter: true }
            : {
                key: name,
                label: `${label}, MB/s`,
                value: (perSecond * size) / 1e6,
                higherIsBetter: true,
              },
          {
            key: `${name} cpu`,
            label: '  server CPU µs per message',
            value: (serverCpu * 1e6) / perSecond,
            higherIsBetter: false,
          },
        ],
      };
    },
  };
}

const SCENARIOS = [
  echoScenario('echo-64', 'echo 64 B text, 64 conn x 32 in flight', {
    connections: 64,
    inflight: 32,
    size: 64,
    binary: false,
  }),
  echoScenario('echo-16k', 'echo 16 KiB binary, 64 conn x 4', {
    connections: 64,
    inflight: 4,
    size: 16 * 1024,
    binary: true,
  }),
  {
    name: 'handshake',
    mode: 'echo',
    async run(server, load, port) {
      const result = await load.request('handshakes', {
        port,
        parallel: 64,
        warmup: WARMUP,
        duration: WINDOW,
      });
      if (result.failures > 0) throw new Error(`${result.failures} handshakes failed`);
      const perSecond = result.handshakes / result.seconds;
      const serverCpu = server.windowCpu();
      return {
        cpu: { server: serverCpu, load: result.loadCpu },
        metrics: [
          {
            key: 'handshake',
            label: 'handshakes/s (open + close, 64 parallel)',
            value: perSecond,
            higherIsBetter: true,
          },
          {
            key: 'handshake cpu',
            label: '  server CPU µs per handshake',
            value: (serverCpu * 1e6) / perSecond,
            higherIsBetter: false,
          },
        ],
      };
    },
  },
  {
    name: 'memory',
    mode: 'echo',
    async run(server, load, port) {
      const heapBefore = await server.request('memory');
      const before = rssBytes(server.pid);
      const opened = await load.request('open', { port, count: IDLE_CONNECTIONS });
      await sleep(500);
      const heapAfter = await server.request('memory');
      const { connections, gc } = heapAfter;
      const after = rssBytes(server.pid);
      if (!gc) throw new Error('the server could not collect garbage');
      if (connections !== IDLE_CONNECTIONS) {
        throw new Error(`the server holds ${connections} of ${IDLE_CONNECTIONS} connections`);
      }
      return {
        metrics: [
          {
            key: 'memory',
            label: `RSS per idle connection, KiB (${IDLE_CONNECTIONS.toLocaleString('en')})`,
            value: (after - before) / IDLE_CONNECTIONS / 1024,
            higherIsBetter: false,
          },
          {
            key: 'memory heap',
            label: '  JS heap + external per idle connection, KiB',
            value:
              (heapAfter.heapUsed +
                heapAfter.external -
                heapBefore.heapUsed -
                heapBefore.external) /
              IDLE_CONNECTIONS /
              1024,
            higherIsBetter: false,
          },
          {
            key: 'memory open',
            label: `  time to open ${IDLE_CONNECTIONS.toLocaleString('en')}, s`,
            value: opened.seconds,
            higherIsBetter: false,
          },
        ],
      };
    },
  },
  {
    name: 'fanout',
    mode: 'broadcast',
    async run(server, load, port) {
      await load.request('open', { port, count: SUBSCRIBERS });
      const { connections } = await server.request('memory');
      if (connections !== SUBSCRIBERS) {
        throw new Error(`the server holds ${connections} of ${SUBSCRIBERS} subscribers`);
      }
      const cpuBefore = cpuSeconds(server.pid);
      const { times, receivers } = await load.request('publish', {
        rounds: FANOUT_ROUNDS,
        size: 64,
      });
      // One warmup round besides the timed ones; the pauses between rounds cost ~nothing.
      const cpuPerPublish = (cpuSeconds(server.pid) - cpuBefore) / (FANOUT_ROUNDS + 1);
      if (receivers !== SUBSCRIBERS) throw new Error(`${receivers} receivers`);
      const sorted = [...times].sort((a, b) => a - b);
      return {
        metrics: [
          {
            key: 'fanout',
            label: `publish 64 B to ${SUBSCRIBERS.toLocaleString('en')}: all received, ms (best of ${FANOUT_ROUNDS})`,
            value: sorted[0],
            higherIsBetter: false,
          },
          {
            key: 'fanout median',
            label: '  the same, median',
            value: sorted[Math.floor(sorted.length / 2)],
            higherIsBetter: false,
          },
          {
            key: 'fanout cpu',
            label: '  server CPU µs per publish',
            value: cpuPerPublish * 1e6,
            higherIsBetter: false,
          },
        ],
      };
    },
  },
];

/**
 * The row of each scenario the target is judged on, in the order of the chart, with its
 * short name. Rates and times follow how much CPU the scheduler gives each process, which on
 * a shared machine varies more than anything the servers do: the server's CPU time per
 * operation is judged instead (raw ÷ adapter: the adapter's share of raw's throughput per
 * CPU-second), and RSS for memory.
 */
const VERDICTS = new Map([
  ['echo-64 cpu', 'echo 64 B'],
  ['echo-16k cpu', 'echo 16 KiB'],
  ['handshake cpu', 'handshakes'],
  ['memory', 'idle memory'],
  ['fanout cpu', 'fan-out'],
]);

// ---------------------------------------------------------------------------------------
// Report

function formatValue(value) {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** How the adapter does against raw, as a fraction of raw's performance (1 = the same). */
function relative(metric, raw, adapter) {
  return metric.higherIsBetter ? adapter / raw : raw / adapter;
}

function printTable(rows) {
  const header = ['metric'];
  for (const runtime of runtimes) {
    const title = runtime === 'bun' ? 'Bun' : 'Deno';
    header.push(`${title} raw`, `${title} adapter`, 'adapter÷raw');
    if (candidate !== undefined) header.push(`${title} candidate`, 'cand.÷raw');
  }
  header.push('target');
  const table = [header];
  for (const { metric, best } of rows.values()) {
    const row = [metric.label];
    for (const runtime of runtimes) {
      const raw = best[`${runtime} raw`];
      const adapter = best[`${runtime} adapter`];
      const ratio = adapter / raw;
      const met = relative(metric, raw, adapter) >= TARGET;
      const headline = VERDICTS.has(metric.key);
      row.push(
        formatValue(raw),
        formatValue(adapter),
        Number.isFinite(ratio)
          ? `${ratio.toFixed(2)}x${headline ? (met ? ' ok' : ' NO') : ''}`
          : '',
      );
      if (candidate !== undefined) {
        const patched = best[`${runtime} candidate`];
        row.push(
          formatValue(patched),
          Number.isFinite(patched / raw) ? `${(patched / raw).toFixed(2)}x` : '',
        );
      }
    }
    row.push(
      VERDICTS.has(metric.key)
        ? metric.higherIsBetter
          ? `>= ${TARGET.toFixed(2)}x`
          : `<= ${(1 / TARGET).toFixed(2)}x`
        : '',
    );
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
}

function chart(rows, machine) {
  const headlines = [...VERDICTS.keys()].map((key) => rows.get(key)).filter(Boolean);
  const names = headlines.map((row) => VERDICTS.get(row.metric.key));
  return lineChart({
    title: `@wskit/deno-bun adapter vs the raw runtime (raw = 1), ${machine.date.slice(0, 10)}`,
    xLabel: `scenario (${machine.cpus}, ${machine.quick ? 'quick' : `best of ${repeat}`})`,
    yLabel: 'raw ÷ adapter: server CPU per operation; RSS',
    yMin: 0,
    series: runtimes.map((runtime) => ({
      name: runtime === 'bun' ? machine.bun : machine.deno,
      points: headlines.map(({ metric, best }, index) => [
        index + 1,
        relative(metric, best[`${runtime} raw`], best[`${runtime} adapter`]),
      ]),
    })),
    lines: [
      { y: 1, name: 'raw' },
      { y: TARGET, name: `target ${TARGET}` },
    ],
    marks: names.map((name, index) => ({ x: index + 1, name })),
  });
}

// ---------------------------------------------------------------------------------------

async function main() {
  const machine = {
    date: new Date().toISOString(),
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: release(),
    node: process.version,
    loadAverage: loadavg()[0],
    pinned: canPin,
    quick,
  };
  console.log(
    `wskit runtimes bench — ${machine.date}, ${machine.cpus}, Linux ${machine.kernel}, ` +
      `load generator Node ${process.version}, load average ${machine.loadAverage.toFixed(2)}`,
  );
  console.log(
    canPin
      ? 'servers on CPU 0, load generator on CPU 1 (taskset)'
      : 'WARNING: not pinned (taskset or a second CPU is missing)',
  );
  if (IDLE_CONNECTIONS < (quick ? 1000 : 10_000)) {
    console.log(`WARNING: fd limit ${fileLimit}: ${IDLE_CONNECTIONS} idle connections`);
  }

  const rows = new Map(); // key -> { metric, runs: { server: [values] } }
  const started = performance.now();
  for (const scenario of SCENARIOS) {
    if (only !== undefined && !only.some((prefix) => scenario.name.startsWith(prefix))) continue;
    for (let run = 0; run < repeat; run++) {
      for (const runtime of runtimes) {
        // Raw first in even runs, last in odd ones: no server always goes first.
        const pair = SERVERS.filter((server) => server.runtime === runtime);
        for (const server of run % 2 === 0 ? pair : [...pair].reverse()) {
          let outcome;
          try {
            outcome = await withPair(server, scenario.mode, (child, load, port) =>
              scenario.run(child, load, port),
            );
          } catch (error) {
            console.log(
              `  ${scenario.name.padEnd(10)} ${server.name.padEnd(13)} FAILED: ${error.message}`,
            );
            continue;
          }
          for (const metric of outcome.metrics) {
            if (!rows.has(metric.key)) rows.set(metric.key, { metric, runs: {} });
            const runs = rows.get(metric.key).runs;
            runs[server.name] ??= [];
            runs[server.name].push(metric.value);
          }
          const share = (value) => (Number.isFinite(value) ? `${Math.round(value * 100)}%` : '?');
          const cpu = outcome.cpu;
          console.log(
            `  ${scenario.name.padEnd(10)} ${server.name.padEnd(13)} ${outcome.metrics
              .map((metric) => formatValue(metric.value))
              .join(
                '  ',
              )}${cpu ? `   (CPU: server ${share(cpu.server)}, load ${share(cpu.load)})` : ''}`,
          );
        }
      }
    }
  }
  // Best of the runs: other work on the machine only ever slows a run down.
  for (const row of rows.values()) {
    row.best = Object.fromEntries(
      Object.entries(row.runs).map(([name, values]) => [
        name,
        row.metric.higherIsBetter ? Math.max(...values) : Math.min(...values),
      ]),
    );
  }
  for (const server of SERVERS) machine[server.runtime] ??= server.version;
  printTable(rows);
  console.log(
    `\nBest of ${repeat} run(s) of ${WINDOW / 1000} s after ${WARMUP / 1000} s warmup. ` +
      `The target is judged (ok/NO) on the server's CPU time per operation, steadier than ` +
      `rates and times on a shared machine, and on RSS for memory: the adapter may use up to ` +
      `${(1 / TARGET).toFixed(2)}x raw's, i.e. keep ${TARGET}x raw's operations per CPU-second. ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s in all.`,
  );
  if (jsonFile !== undefined) {
    const results = Object.fromEntries(
      [...rows.values()].map(({ metric, runs, best }) => [
        metric.key,
        { label: metric.label.trim(), higherIsBetter: metric.higherIsBetter, best, runs },
      ]),
    );
    const verdicts = Object.fromEntries(
      [...VERDICTS]
        .filter(([key]) => rows.has(key))
        .map(([key, name]) => {
          const { metric, best } = rows.get(key);
          const share = Object.fromEntries(
            runtimes.map((runtime) => [
              runtime,
              relative(metric, best[`${runtime} raw`], best[`${runtime} adapter`]),
            ]),
          );
          return [name, { metric: key, shareOfRaw: share }];
        }),
    );
    writeFileSync(
      jsonFile,
      `${JSON.stringify({ machine, repeat, target: TARGET, verdicts, results }, null, 2)}\n`,
    );
    console.log(`wrote ${jsonFile}`);
  }
  if (svgFile !== undefined && [...VERDICTS.keys()].some((key) => rows.has(key))) {
    writeFileSync(svgFile, chart(rows, machine));
    console.log(`wrote ${svgFile}`);
  }
}

await main();
