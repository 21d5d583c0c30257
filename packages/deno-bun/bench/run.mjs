#!/usr/bin/env node
// Adapter overhead benchmark (not a test): echo servers pinned to CPU 0, the load generator
// (bun bench/load.ts) pinned to CPU 1, separate processes. Compares the adapter with raw
// Bun.serve and raw Deno.serve echo servers in the same run (target: >= 0.9x raw), and the
// Node, Bun and Deno adapters side by side. Needs a build (dist/) and taskset.
//
//   node bench/run.mjs [--rounds 3] [--duration 3000] [--connections 32] [--window 64] [--size 64]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const packageDir = resolve(import.meta.dirname, '..');
const require = createRequire(join(packageDir, 'package.json'));
const option = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};
const rounds = Number(option('rounds', '3'));
const load = [
  option('connections', '32'),
  option('window', '64'),
  option('size', '64'),
  '1000',
  option('duration', '3000'),
];

const bun = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
const denoLinked = join(dirname(require.resolve('deno/package.json')), 'deno');
const deno = existsSync(denoLinked)
  ? denoLinked
  : join(dirname(createRequire(denoLinked).resolve('@deno/linux-x64-glibc/package.json')), 'deno');
if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `pnpm build` first');
  process.exit(1);
}
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cpu, command, args) =>
  hasTaskset ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
const server = (name) => join(packageDir, 'bench', 'servers', name);

const configurations = [
  { name: 'raw Bun.serve', command: [bun, [server('raw-bun.ts')]] },
  { name: 'adapter on Bun', command: [bun, [server('adapter.ts')]] },
  { name: 'raw Deno.serve', command: [deno, ['run', '-A', server('raw-deno.ts')]] },
  { name: 'adapter on Deno', command: [deno, ['run', '-A', server('adapter.ts')]] },
  { name: '@wskit/node', command: [process.execPath, [server('node.mjs')]] },
];

async function measure({ command: [command, args] }) {
  const [pinnedCommand, pinnedArgs] = pinned(0, command, args);
  const child = spawn(pinnedCommand, pinnedArgs, {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise((done, fail) => {
      child.on('exit', (code) => fail(new Error(`${command} exited (${code})`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^listening on (\d+)$/.exec(line);
        if (match) done(Number(match[1]));
      });
    });
    const [loadCommand, loadArgs] = pinned(1, bun, [
      join(packageDir, 'bench', 'load.ts'),
      `ws://127.0.0.1:${port}/`,
      ...load,
    ]);
    const generator = spawn(loadCommand, loadArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    let cpuAtStart = 0;
    const report = await new Promise((done, fail) => {
      generator.on(
        'exit',
        (code) => code !== 0 && fail(new Error(`load generator exited (${code})`)),
      );
      createInterface({ input: generator.stdout }).on('line', (line) => {
        if (line === 'counting') cpuAtStart = cpuSeconds(child.pid);
        else if (line.startsWith('{'))
          done({ ...JSON.parse(line), cpu: cpuSeconds(child.pid) - cpuAtStart });
      });
    });
    return report;
  } finally {
    child.kill();
  }
}

/** User + system CPU time of a process so far, from /proc (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rates = new Map(configurations.map((configuration) => [configuration.name, []]));
const efficiency = new Map(configurations.map((configuration) => [configuration.name, []]));
console.log(
  `echo, ${load[0]} connections x ${load[1]} in flight, ${load[2]}-byte text; ${rounds} rounds of ${load[4]} ms; taskset: ${hasTaskset ? 'server cpu 0, load cpu 1' : 'unavailable'}`,
);
for (let round = 1; round <= rounds; round++) {
  // Interleaved, so drift (thermal, other load) hits every configuration alike.
  for (const configuration of configurations) {
    const { rate, messages, cpu } = await measure(configuration);
    rates.get(configuration.name).push(rate);
    // Messages per second of server CPU: what the server could do if it were the bottleneck.
    const perCpu = cpu > 0 ? messages / cpu : Number.NaN;
    efficiency.get(configuration.name).push(perCpu);
    console.log(
      `  round ${round}  ${configuration.name.padEnd(16)} ${Math.round(rate).toLocaleString('en').padStart(10)} msg/s  server cpu ${((cpu / (messages / rate)) * 100).toFixed(0).padStart(3)}%  ${Math.round(perCpu).toLocaleString('en').padStart(10)} msg per cpu-s`,
    );
  }
}
const summary = (map) =>
  Object.fromEntries([...map].map(([name, values]) => [name, median(values)]));
const result = summary(rates);
const perCpu = summary(efficiency);
console.log('\nmedians            msg/s   msg per server cpu-second');
for (const name of Object.keys(result)) {
  console.log(
    `  ${name.padEnd(16)} ${Math.round(result[name]).toLocaleString('en').padStart(10)}  ${Math.round(perCpu[name]).toLocaleString('en').padStart(10)}`,
  );
}
const ratio = (table, a, b) => (table[a] / table[b]).toFixed(2);
console.log('\nratios (msg/s | msg per server cpu-s)');
for (const [a, b, target] of [
  ['adapter on Bun', 'raw Bun.serve', '  (target >= 0.90)'],
  ['adapter on Deno', 'raw Deno.serve', '  (target >= 0.90)'],
  ['adapter on Bun', '@wskit/node', ''],
  ['adapter on Deno', '@wskit/node', ''],
]) {
  console.log(
    `  ${a.padEnd(15)} / ${b.padEnd(15)} ${ratio(result, a, b)} | ${ratio(perCpu, a, b)}${target}`,
  );
}
