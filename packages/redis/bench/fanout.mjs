// Fan-out benchmark: one publish reaching 10,000 subscribers spread over 4 server processes
// through Redis, for wskit (@wskit/node + @wskit/redis) and socket.io (+ @socket.io/redis-adapter),
// with one wskit process holding all subscribers (no Redis) as the ceiling. Side by side in
// one run, on the same machine, the same load generator and the same Redis.
//
//   node bench/fanout.mjs             the full run (10,000 subscribers; a few minutes), writes
//                                     bench/fanout-results.json and the two SVG charts
//   node bench/fanout.mjs --quick     a smoke run (1,000 subscribers, short bursts), writes nothing
//   options: --subscribers N  --rates 5,10,20  --burst SECONDS  --only wskit-redis,socketio-redis
//            --json FILE (also in --quick)
//
// Processes (see the README's Benchmarks section):
//   - redis-server on a free loopback port, started here, nothing written to disk;
//   - the server processes (fanout-server.mjs), the subscribers spread evenly over them; the
//     first one also publishes, at a fixed rate, each message carrying its publish time;
//   - one load generator (fanout-clients.mjs) holding every subscriber connection on raw
//     sockets, which takes latency = receive time - publish time and counts what arrived.
// On a machine with 2 CPUs or more, Redis and the servers are pinned to CPU 0 and the load
// generator to CPU 1 (`taskset`), so every scenario gets the same single core for its servers.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { lineChart } from '../../../scripts/lib/svg-chart.mjs';

const here = import.meta.dirname;
const packageDir = join(here, '..');
const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const quick = args.includes('--quick');
const SUBSCRIBERS = Number(option('--subscribers') ?? (quick ? 1000 : 10_000));
const PROCESSES = 4;
// Publishes per second; each burst lasts BURST seconds.
const RATES = (option('--rates') ?? (quick ? '10,40' : '2,5,10,20')).split(',').map(Number);
const BURST = Number(option('--burst') ?? (quick ? 1 : 3));
const jsonFile = option('--json') ?? (quick ? undefined : join(here, 'fanout-results.json'));
const REQUEST_TIMEOUT = 120_000;

const SCENARIOS = [
  { name: 'wskit, 1 process', key: 'wskit-single', impl: 'wskit', processes: 1, redis: false },
  { name: 'wskit + Redis, 4 processes', key: 'wskit-redis', impl: 'wskit', processes: 4 },
  {
    name: 'socket.io + Redis adapter, 4 processes',
    key: 'socketio-redis',
    impl: 'socketio',
    processes: PROCESSES,
    redis: true,
  },
].map((scenario) => ({ redis: true, ...scenario }));
const only = option('--only')?.split(',');
const scenarios = SCENARIOS.filter((scenario) => only === undefined || only.includes(scenario.key));

if (!readFileSync(join(packageDir, 'package.json'), 'utf8').includes('"@wskit/redis"')) {
  throw new Error('run from packages/redis');
}
try {
  readFileSync(join(packageDir, 'dist', 'index.js'));
} catch {
  throw new Error('dist/ is missing: build first (`pnpm build`, or `pnpm bench` from the root)');
}
if (spawnSync('redis-server', ['--version']).status !== 0) {
  throw new Error('redis-server is missing: install it with `apt-get install -y redis-server`');
}

const pin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
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

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawnPinned(
    SERVER_CPU,
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ['ignore', 'pipe', 'pipe'],
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) {
      return {
        url: `redis://127.0.0.1:${port}`,
        pid: child.pid,
        stop: async () => {
          child.kill('SIGTERM');
          if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
        },
      };
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not listen on ${port}:\n${output}`);
}

/** utime + stime of a process in clock ticks (100 a second on Linux); NaN without /proc. */
function cpuTicks(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

// ---------------------------------------------------------------------------------------
// One scenario: start its processes, connect, warm up, one burst per rate

let nextSeq = 1;

async function runScenario(scenario, redisUrl, redisPid) {
  const servers = [];
  let clients;
  try {
    for (let index = 0; index < scenario.processes; index++) {
      const server = new Child(SERVER_CPU, 'fanout-server.mjs', [
        '--impl',
        scenario.impl,
        ...(scenario.redis ? ['--redis', redisUrl] : []),
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

    // Redis pub/sub reaches only the processes whose SUBSCRIBE is in place: publish single
    // messages until one reaches every subscriber, and only then measure.
    let warm = false;
    for (let attempt = 0; attempt < 20 && !warm; attempt++) {
      const seq = nextSeq++;
      await clients.request('expect', { first: seq, count: 1 });
      await servers[0].request('publish', { first: seq, count: 1, rate: 1 });
      const result = await clients.request('collect', { timeoutMs: 2000 });
      warm = result.lost === 0;
    }
    if (!warm) throw new Error(`${scenario.name}: a single publish never reached everyone`);

    const runs = [];
    for (const rate of RATES) {
      const count = Math.max(2, Math.round(rate * BURST));
      const first = nextSeq;
      nextSeq += count;
      await clients.request('expect', { first, count });
      const pids = [...servers.map((server) => server.pid), ...(scenario.redis ? [redisPid] : [])];
      const before = pids.map(cpuTicks);
      const startedAt = performance.now();
      const collected = clients.request('collect', {
        timeoutMs: (count / rate) * 1000 + 60_000,
      });
      const published = await servers[0].request('publish', { first, count, rate });
      const result = await collected;
      const seconds = (performance.now() - startedAt) / 1000;
      const ticks = pids.map((pid, index) => cpuTicks(pid) - before[index]);
      const run = {
        rate,
        publishes: count,
        publisherLateMs: published.lateMs,
        offeredPerSecond: rate * SUBSCRIBERS,
        ...result,
        // Share of one CPU used by the servers (and Redis) between the first publish and the
        // last delivery (or the timeout).
        serverCpu: ticks.slice(0, servers.length).reduce((a, b) => a + b, 0) / 100 / seconds,
        redisCpu: scenario.redis ? ticks.at(-1) / 100 / seconds : 0,
      };
      runs.push(run);
      console.error(
        `    ${rate}/s: ${fmt(run.deliveredPerSecond)} delivered/s, p50 ${ms(run.p50)}, p99 ${ms(run.p99)}, lost ${run.lost}`,
      );
      await sleep(500);
    }
    return { ...scenario, connectMs: opened.ms, runs };
  } finally {
    await clients?.stop();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

// ---------------------------------------------------------------------------------------
// Report

const fmt = (value) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : String(value);
const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : String(value));
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
  const started = new Date();
  const info = machine();
  console.error(
    `fan-out: ${SUBSCRIBERS} subscribers, rates ${RATES.join(', ')}/s, bursts of ${BURST} s; ${info.pinned}`,
  );
  const redis = await startRedis();
  const results = [];
  try {
    for (const scenario of scenarios) {
      console.error(`${scenario.name}`);
      results.push(await runScenario(scenario, redis.url, redis.pid));
    }
  } finally {
    await redis.stop();
  }

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
      'delivered/s vs ceiling',
      'p99 vs ceiling',
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
        ratio(run.deliveredPerSecond / top?.deliveredPerSecond),
        ratio(run.p99 / top?.p99),
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
      ],
    ];
    for (const run of wskitRedis.runs) {
      const other = socketio.runs.find((entry) => entry.rate === run.rate);
      compare.push([
        String(run.rate),
        ratio(run.deliveredPerSecond / other.deliveredPerSecond),
        ratio(other.p50 / run.p50),
        ratio(other.p99 / run.p99),
      ]);
    }
    console.log(
      `\nwskit + Redis against socket.io + Redis adapter (4 processes each):\n${table(compare)}`,
    );
  }

  const losses = results.flatMap((result) => result.runs).some((run) => run.lost > 0);
  if (losses) console.log('\nLOSSES: some subscribers did not get every message (column "lost").');

  const report = {
    date: started.toISOString(),
    machine: info,
    subscribers: SUBSCRIBERS,
    serverProcesses: PROCESSES,
    burstSeconds: BURST,
    rates: RATES,
    results: results.map(({ runs, ...rest }) => ({
      ...rest,
      runs: runs.map(({ cdf, ...run }) => ({ ...run, latencyPercentilesMs: cdf })),
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
  const throughput = lineChart({
    title: `Fan-out: messages delivered per second (${subtitle})`,
    xLabel: 'publishes per second (each to every subscriber)',
    yLabel: 'messages delivered per second',
    series: [
      {
        name: 'offered',
        color: '#999',
        points: report.rates.map((rate) => [rate, rate * report.subscribers]),
      },
      ...report.results.map((result) => ({
        name: result.name,
        points: result.runs.map((run) => [run.rate, Math.round(run.deliveredPerSecond)]),
      })),
    ],
  });
  const latency = lineChart({
    title: `Fan-out: p99 publish-to-receive latency (${subtitle})`,
    xLabel: 'publishes per second (each to every subscriber)',
    yLabel: 'p99 latency (ms)',
    series: report.results.map((result) => ({
      name: result.name,
      points: result.runs.map((run) => [run.rate, Number(run.p99.toFixed(1))]),
    })),
  });
  writeFileSync(join(here, 'fanout-throughput.svg'), throughput);
  writeFileSync(join(here, 'fanout-latency.svg'), latency);
  console.error('wrote bench/fanout-throughput.svg, bench/fanout-latency.svg');
}

await main();
