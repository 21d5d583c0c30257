// Fan-out benchmark: one publish reaching 10,000 subscribers spread over 4 server processes
// through Redis, for wskit (@wskit/node + @wskit/redis) and socket.io (+ @socket.io/redis-adapter),
// with one wskit process holding all subscribers (no Redis) as the ceiling. Side by side in
// one run, on the same machine, with the same load generator code and the same Redis.
//
//   node bench/fanout.mjs             the full run (10,000 subscribers; a few minutes), writes
//                                     bench/fanout-results.json and three SVG charts
//   node bench/fanout.mjs --quick     a smoke run (1,000 subscribers, short bursts), writes nothing
//   options: --subscribers N  --rates 1,2,5  --burst SECONDS  --repeat N (best of N, default 3)
//            --only wskit-single,wskit-redis,socketio-redis  --no-pin  --json FILE (also in --quick)
//
// Processes (see the README's Benchmarks section):
//   - redis-server on a free loopback port, started here, nothing written to disk;
//   - the server processes (fanout-server.mjs), the subscribers spread evenly over them; the
//     first one also publishes, at a fixed rate, each message carrying its publish time;
//   - per scenario one load generator (fanout-clients.mjs) holding its subscriber connections
//     on raw sockets, which takes latency = receive time - publish time and counts what arrived.
// Every scenario is started first; then they take turns, one burst each, round after round.
// On a machine with 2 CPUs or more, Redis and the servers are pinned to CPU 0 and the load
// generators to CPU 1 (`taskset`), so every scenario gets the same single core for its servers.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTicks } from '../../../scripts/lib/cpu-ticks.mjs';
import { startRedis } from '../../../scripts/lib/restart-processes.mjs';
import { lineChart } from '../../../scripts/lib/svg-chart.mjs';

const here = import.meta.dirname;
const packageDir = join(here, '..');
const args = process.argv.slice(2);
const FLAGS = ['--quick', '--no-pin'];
const VALUED = ['--subscribers', '--rates', '--burst', '--repeat', '--only', '--json'];
for (let index = 0; index < args.length; index++) {
  if (VALUED.includes(args[index])) index++;
  else if (!FLAGS.includes(args[index])) {
    throw new Error(`unknown option ${args[index]} (known: ${[...FLAGS, ...VALUED].join(' ')})`);
  }
}
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const quick = args.includes('--quick');
const SUBSCRIBERS = Number(option('--subscribers') ?? (quick ? 1000 : 10_000));
const PROCESSES = 4;
// Publishes per second; each burst lasts BURST seconds.
const RATES = (option('--rates') ?? (quick ? '10,40' : '1,2,5,10')).split(',').map(Number);
const BURST = Number(option('--burst') ?? (quick ? 1 : 2));
const REPEAT = Number(option('--repeat') ?? (quick ? 1 : 3));
const jsonFile = option('--json') ?? (quick ? undefined : join(here, 'fanout-results.json'));
const WARMUP_PUBLISHES = quick ? 5 : 10;
const REQUEST_TIMEOUT = 180_000;

const SCENARIOS = [
  { name: 'wskit, 1 process', key: 'wskit-single', impl: 'wskit', processes: 1, redis: false },
  {
    name: `wskit + Redis, ${PROCESSES} processes`,
    key: 'wskit-redis',
    impl: 'wskit',
    processes: PROCESSES,
    redis: true,
  },
  {
    name: `socket.io + Redis adapter, ${PROCESSES} processes`,
    key: 'socketio-redis',
    impl: 'socketio',
    processes: PROCESSES,
    redis: true,
  },
];
// The same colour for a scenario in every chart.
const COLORS = { 'wskit-single': '#1f77b4', 'wskit-redis': '#2ca02c', 'socketio-redis': '#d62728' };
const only = option('--only')?.split(',');
for (const key of only ?? []) {
  if (!SCENARIOS.some((scenario) => scenario.key === key)) {
    throw new Error(
      `--only: no scenario ${key} (${SCENARIOS.map((entry) => entry.key).join(', ')})`,
    );
  }
}
const scenarios = SCENARIOS.filter((scenario) => only === undefined || only.includes(scenario.key));

try {
  readFileSync(join(packageDir, 'dist', 'index.js'));
} catch {
  throw new Error('dist/ is missing: build first (`pnpm build`, or `pnpm bench` from the root)');
}
if (spawnSync('redis-server', ['--version']).status !== 0) {
  throw new Error('redis-server is missing: install it with `apt-get install -y redis-server`');
}

const pin =
  !args.includes('--no-pin') &&
  cpus().length >= 2 &&
  spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const SERVER_CPU = '0';
const LOAD_CPU = '1';

// ---------------------------------------------------------------------------------------
// Child processes

/** A process pinned to `cpu` (when pinning works) with the fd limit raised to the hard one. */
function spawnPinned(cpu, command, commandArgs, stdio) {
  const shell = pin
    ? 'ulimit -n $(ulimit -Hn) 2>/dev/null; exec taskset -c "$0" "$@"'
    : 'ulimit -n $(ulimit -Hn) 2>/dev/null; exec "$@"';
  // bash execs taskset, which execs the command: the child's pid is the command's.
  return spawn('bash', ['-c', shell, cpu, command, ...commandArgs], { cwd: packageDir, stdio });
}

/** A node script speaking JSON lines: one request, one reply. */
class Child {
  #process;
  #waiting = [];
  #output = '';

  constructor(cpu, script, scriptArgs) {
    this.name = `${script} ${scriptArgs.join(' ')}`;
    this.#process = spawnPinned(
      cpu,
      process.execPath,
      [join(here, script), ...scriptArgs],
      ['pipe', 'pipe', 'pipe'],
    );
    this.pid = this.#process.pid;
    this.#process.stderr.on('data', (chunk) => {
      this.#output += chunk;
      process.stderr.write(chunk);
    });
    this.#process.stdin.on('error', () => {});
    createInterface({ input: this.#process.stdout }).on('line', (line) => {
      this.#waiting.shift()?.resolve(JSON.parse(line));
    });
    this.exited = new Promise((resolve) => this.#process.once('exit', resolve));
    this.exited.then((code) => {
      for (const waiter of this.#waiting.splice(0)) {
        waiter.reject(new Error(`${this.name} exited (${code}):\n${this.#output}`));
      }
    });
  }

  next() {
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  async request(command, fields = {}) {
    const answer = this.next();
    this.#process.stdin.write(`${JSON.stringify({ command, ...fields })}\n`);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name}: no reply to ${command}`)),
        REQUEST_TIMEOUT,
      );
    });
    const value = await Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
    if (value.error) throw new Error(`${this.name} ${command}: ${value.error}`);
    return value;
  }

  async stop() {
    this.#process.stdin.end();
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------
// A scenario: its processes started, every subscriber connected and reached, then one burst
// per measurement

let nextSeq = 1;

async function startScenario(scenario, redis) {
  const servers = [];
  let clients;
  const stop = async () => {
    await clients?.stop();
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let index = 0; index < scenario.processes; index++) {
      const server = new Child(SERVER_CPU, 'fanout-server.mjs', [
        '--impl',
        scenario.impl,
        ...(scenario.redis ? ['--redis', redis.url] : []),
      ]);
      servers.push(server);
      server.port = (await server.next()).port;
    }
    clients = new Child(LOAD_CPU, 'fanout-clients.mjs', []);
    const opened = await clients.request('open', {
      ports: servers.map((server) => server.port),
      count: SUBSCRIBERS,
      protocol: scenario.impl,
    });
    const counts = await Promise.all(servers.map((server) => server.request('count')));
    const subscribed = counts.reduce((sum, { subscribers }) => sum + subscribers, 0);
    if (subscribed !== SUBSCRIBERS) {
      throw new Error(`${scenario.name}: ${subscribed} subscribed of ${SUBSCRIBERS}`);
    }
    console.error(`  ${scenario.name}: ${opened.opened} connections in ${opened.ms} ms`);
    const started = {
      ...scenario,
      servers,
      clients,
      redisPid: redis.pid,
      connectMs: opened.ms,
      stop,
    };

    // Redis pub/sub reaches only the processes whose SUBSCRIBE is in place: publish single
    // messages until one reaches every subscriber, and only then measure.
    let warm = false;
    for (let attempt = 0; attempt < 20 && !warm; attempt++) {
      warm = (await burst(started, 1, 1)).lost === 0;
    }
    if (!warm) throw new Error(`${scenario.name}: a single publish never reached everyone`);
    // A short unmeasured burst, so the first measured one does not pay for the JIT's warm-up.
    await burst(started, RATES[0] * 2, WARMUP_PUBLISHES);
    return started;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `count` publishes at `rate` per second on the first server; what the subscribers got. */
async function burst(started, rate, count) {
  const { servers, clients } = started;
  const first = nextSeq;
  nextSeq += count;
  await clients.request('expect', { first, count });
  const pids = [
    ...servers.map((server) => server.pid),
    clients.pid,
    ...(started.redis ? [started.redisPid] : []),
  ];
  const before = pids.map(cpuTicks);
  const startedAt = performance.now();
  const collected = clients.request('collect', { timeoutMs: (count / rate) * 1000 + 60_000 });
  const published = await servers[0].request('publish', { first, count, rate });
  const result = await collected;
  const seconds = (performance.now() - startedAt) / 1000;
  const ticks = pids.map((pid, index) => cpuTicks(pid) - before[index]);
  const run = {
    rate,
    publishes: count,
    publisherLateMs: published.lateMs,
    publishCallMs: published.callMs,
    offeredPerSecond: rate * SUBSCRIBERS,
    ...result,
    // Over the burst's own length at least (count / rate): a burst of a few publishes that
    // the servers keep up with would otherwise seem to deliver more than was offered.
    deliveredPerSecond: (result.delivered * 1000) / Math.max(result.spanMs, (count / rate) * 1000),
    // Share of one CPU used by the servers (and Redis) between the first publish and the
    // last delivery (or the timeout).
    serverCpu: ticks.slice(0, servers.length).reduce((a, b) => a + b, 0) / 100 / seconds,
    redisCpu: started.redis ? ticks[servers.length + 1] / 100 / seconds : 0,
    // The load generator near 100% would mean the figures measure it, not the servers.
    clientCpu: ticks[servers.length] / 100 / seconds,
  };
  // Deliveries per CPU-second of the servers and Redis: the cost of a delivery, which the
  // CPU share the scheduler gives (on a shared machine) does not change.
  run.deliveriesPerCpuSecond = run.delivered / ((run.serverCpu + run.redisCpu) * seconds);
  return run;
}

/**
 * Every scenario stays up for the whole run and they take turns burst by burst (the order
 * rotating each round), so a change in the machine's other load hits them alike. Of a
 * scenario's `REPEAT` bursts at one rate the one with the most deliveries per second is kept,
 * all its figures together: other work can only slow a burst down.
 */
async function measureAll(started) {
  const all = started.map(() => []);
  for (let round = 0; round < REPEAT; round++) {
    for (const rate of RATES) {
      for (let turn = 0; turn < started.length; turn++) {
        const index = (turn + round) % started.length;
        const run = await burst(started[index], rate, Math.max(2, Math.round(rate * BURST)));
        run.round = round + 1;
        all[index].push(run);
        console.error(
          `  round ${round + 1}, ${started[index].name}, ${rate}/s: ${fmt(run.deliveredPerSecond)} delivered/s, p50 ${ms(run.p50)}, p99 ${ms(run.p99)}, lost ${run.lost}; publish call ${ms(run.publishCallMs)}, behind ${ms(run.publisherLateMs)}; CPU servers ${pct(run.serverCpu)}, Redis ${pct(run.redisCpu)}, load gen ${pct(run.clientCpu)}`,
        );
        await sleep(300);
      }
    }
  }
  return started.map((scenario, index) => ({
    scenario,
    all: all[index],
    runs: RATES.map((rate) =>
      all[index]
        .filter((run) => run.rate === rate)
        .reduce((best, run) => (run.deliveredPerSecond > best.deliveredPerSecond ? run : best)),
    ),
  }));
}

// ---------------------------------------------------------------------------------------
// Report

const fmt = (value) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : String(value);
const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : String(value));
const pct = (value) => `${Math.round(value * 100)}%`;
const ratio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '-');

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`)
    .map((line, index) =>
      index === 0 ? `${line}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |` : line,
    )
    .join('\n');
}

function machine() {
  const redisVersion = spawnSync('redis-server', ['--version']).stdout.toString().trim();
  const require = createRequire(join(packageDir, 'package.json'));
  const version = (name) => require(`${name}/package.json`).version;
  return {
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: redisVersion.match(/v=(\S+)/)?.[1] ?? redisVersion,
    socketIo: version('socket.io'),
    socketIoRedisAdapter: version('@socket.io/redis-adapter'),
    ioredis: version('ioredis'),
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
    pinned: pin ? 'servers + Redis on CPU 0, load generator on CPU 1 (taskset)' : 'not pinned',
  };
}

async function main() {
  const date = new Date();
  const info = machine();
  console.error(
    `fan-out: ${SUBSCRIBERS} subscribers, rates ${RATES.join(', ')}/s, bursts of ${BURST} s, best of ${REPEAT}; ${info.pinned}`,
  );
  const redis = await startRedis({ cpu: pin ? SERVER_CPU : undefined });
  const started = [];
  let measured;
  try {
    for (const scenario of scenarios) started.push(await startScenario(scenario, redis));
    measured = await measureAll(started);
  } finally {
    for (const scenario of started) await scenario.stop();
    await redis.stop();
  }
  const results = measured.map(({ scenario, runs, all }) => ({
    name: scenario.name,
    key: scenario.key,
    impl: scenario.impl,
    processes: scenario.processes,
    redis: scenario.redis,
    connectMs: scenario.connectMs,
    runs,
    all,
  }));

  const ceiling = results.find((result) => result.key === 'wskit-single');
  const wskitRedis = results.find((result) => result.key === 'wskit-redis');
  const rows = [
    [
      'scenario',
      'publishes/s',
      'offered/s',
      'delivered/s',
      'p50',
      'p99',
      'max',
      'lost',
      'server CPU',
      'load gen CPU',
      'deliveries per CPU-s',
      'delivered/s vs ceiling',
      'p99 vs ceiling',
      'per CPU-s vs ceiling',
    ],
  ];
  for (const result of results) {
    for (const run of result.runs) {
      const top = ceiling?.runs.find((other) => other.rate === run.rate);
      rows.push([
        result.name,
        String(run.rate),
        fmt(run.offeredPerSecond),
        fmt(run.deliveredPerSecond),
        ms(run.p50),
        ms(run.p99),
        ms(run.max),
        `${run.lost}${run.duplicates + run.reordered > 0 ? ` (+${run.duplicates} dup, ${run.reordered} reordered)` : ''}`,
        `${Math.round(run.serverCpu * 100)}%${result.redis ? ` + Redis ${Math.round(run.redisCpu * 100)}%` : ''}`,
        `${Math.round(run.clientCpu * 100)}%`,
        fmt(run.deliveriesPerCpuSecond),
        ratio(run.deliveredPerSecond / top?.deliveredPerSecond),
        ratio(run.p99 / top?.p99),
        ratio(run.deliveriesPerCpuSecond / top?.deliveriesPerCpuSecond),
      ]);
    }
  }
  console.log(`\n${table(rows)}`);

  const socketio = results.find((result) => result.key === 'socketio-redis');
  if (wskitRedis && socketio) {
    const compare = [
      [
        'publishes/s',
        'delivered/s wskit ÷ socket.io',
        'p50 socket.io ÷ wskit',
        'p99 socket.io ÷ wskit',
        'per CPU-s wskit ÷ socket.io',
      ],
    ];
    for (const run of wskitRedis.runs) {
      const other = socketio.runs.find((entry) => entry.rate === run.rate);
      compare.push([
        String(run.rate),
        ratio(run.deliveredPerSecond / other.deliveredPerSecond),
        ratio(other.p50 / run.p50),
        ratio(other.p99 / run.p99),
        ratio(run.deliveriesPerCpuSecond / other.deliveriesPerCpuSecond),
      ]);
    }
    console.log(
      `\nwskit + Redis against socket.io + Redis adapter (4 processes each):\n${table(compare)}`,
    );
  }

  const losses = results.flatMap((result) => result.runs).some((run) => run.lost > 0);
  if (losses) console.log('\nLOSSES: some subscribers did not get every message (column "lost").');

  const report = {
    date: date.toISOString(),
    machine: info,
    subscribers: SUBSCRIBERS,
    serverProcesses: PROCESSES,
    burstSeconds: BURST,
    rates: RATES,
    repeat: REPEAT,
    // `runs`: the kept burst per rate (the most deliveries per second); `all`: every burst.
    results: results.map(({ runs, all, ...rest }) => ({
      ...rest,
      runs: runs.map(({ cdf, ...run }) => ({ ...run, latencyPercentilesMs: cdf })),
      all: all.map(({ cdf, ...run }) => run),
    })),
  };
  if (jsonFile !== undefined) {
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    console.error(`wrote ${jsonFile}`);
  }
  if (!quick) writeCharts(report);
  if (losses) process.exitCode = 1;
}

function writeCharts(report) {
  const subtitle = `${report.subscribers.toLocaleString('en-US')} subscribers, ${report.date.slice(0, 10)}`;
  const xLabel = 'publishes per second (each to every subscriber)';
  const thousands = (value) => Number((value / 1000).toFixed(2));
  const perScenario = (figure) =>
    report.results.map((result) => ({
      name: result.name,
      color: COLORS[result.key],
      points: result.runs.map((run) => [run.rate, figure(run)]),
    }));
  const charts = {
    'fanout-throughput.svg': lineChart({
      title: `Fan-out: messages delivered per second (${subtitle})`,
      xLabel,
      yLabel: 'thousand messages delivered per second',
      series: [
        {
          name: 'offered',
          color: '#999',
          points: report.rates.map((rate) => [rate, thousands(rate * report.subscribers)]),
        },
        ...perScenario((run) => thousands(run.deliveredPerSecond)),
      ],
    }),
    'fanout-cpu.svg': lineChart({
      title: `Fan-out: deliveries per CPU-second of servers + Redis (${subtitle})`,
      xLabel,
      yLabel: 'thousand deliveries per CPU-second',
      series: perScenario((run) => thousands(run.deliveriesPerCpuSecond)),
    }),
    'fanout-latency.svg': lineChart({
      title: `Fan-out: p99 publish-to-receive latency (${subtitle})`,
      xLabel,
      yLabel: 'p99 latency (ms)',
      series: perScenario((run) => Number(run.p99.toFixed(1))),
    }),
  };
  for (const [file, svg] of Object.entries(charts)) writeFileSync(join(here, file), svg);
  console.error(`wrote ${Object.keys(charts).join(', ')} in bench/`);
}

await main();
