// Client benchmark: our WHATWG WebSocket on Node (`@wskit/browser`) against the `ws` client
// and Node's own undici WebSocket (Node 20: behind --experimental-websocket), all talking to
// one @wskit/node echo server in a separate process (deflate off).
//
//   node bench/run.mjs [--quick] [--repeat 3] [--only small-binary,large] [--server wskit|ws]
//
// Each measurement is a fresh client process (client.mjs) pinned to CPU 1, the server pinned
// to CPU 0 when `taskset` exists. Contenders take turns; each figure is the best of `--repeat`
// runs (other load on the machine can only slow a run down). Never run as a test.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const quick = args.includes('--quick');
const repeat = Number(option('--repeat', quick ? 1 : 3));
const only = option('--only', '')?.split(',').filter(Boolean);
const serverImpl = option('--server', 'wskit');
const WARMUP = quick ? 500 : 1000;
const WINDOW = quick ? 1500 : 3000;
const pin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

for (const built of ['../dist/node.js', '../../node/dist/index.js']) {
  if (!existsSync(new URL(built, import.meta.url))) {
    console.error(`missing ${built}: build first (pnpm --filter @wskit/browser... build)`);
    process.exit(1);
  }
}

const MIB = 1024 * 1024;
const SCENARIOS = [
  {
    name: 'small-binary',
    label: '64 B binary, 100 in flight',
    size: 64,
    inFlight: 100,
    kind: 'binary',
    unit: 'msg/s',
  },
  {
    name: 'small-text',
    label: '64 B text, 100 in flight',
    size: 64,
    inFlight: 100,
    kind: 'text',
    unit: 'msg/s',
  },
  {
    name: 'large',
    label: '1 MiB binary, 4 in flight',
    size: MIB,
    inFlight: 4,
    kind: 'binary',
    unit: 'MB/s',
  },
].filter((scenario) => !only?.length || only.includes(scenario.name));

// `ws` as installed here finds bufferutil (its optional native masking); `ws-js` is ws without
// it (WS_NO_BUFFER_UTIL=1), as many installs run.
const CONTENDERS = [
  { name: 'wskit', impl: 'wskit', flags: [], env: {} },
  { name: 'ws', impl: 'ws', flags: [], env: {} },
  { name: 'ws-js', impl: 'ws', flags: [], env: { WS_NO_BUFFER_UTIL: '1' } },
  { name: 'undici', impl: 'undici', flags: ['--experimental-websocket', '--no-warnings'], env: {} },
];

function command(cpu, nodeArgs) {
  return pin
    ? ['taskset', ['-c', String(cpu), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
}

async function startServer() {
  const [file, argv] = command(0, [`${here}echo-server.mjs`, '--port', '0', '--impl', serverImpl]);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

function runClient(contender, scenario, url) {
  const [file, argv] = command(1, [
    ...contender.flags,
    `${here}client.mjs`,
    contender.impl,
    url,
    String(scenario.size),
    String(scenario.inFlight),
    String(WARMUP),
    String(WINDOW),
    scenario.kind,
  ]);
  const result = spawnSync(file, argv, {
    encoding: 'utf8',
    cwd: here,
    timeout: 60_000,
    env: { ...process.env, ...contender.env },
  });
  if (result.status !== 0) throw new Error(`${contender.name}: ${result.stderr || result.status}`);
  const { messages, bytes, seconds } = JSON.parse(result.stdout.trim().split('\n').pop());
  return scenario.unit === 'msg/s' ? messages / seconds : bytes / seconds / 1e6;
}

const server = await startServer();
const url = `ws://127.0.0.1:${server.port}/`;
console.log(
  `node ${process.version}, ${cpus().length} CPUs${pin ? ', server on CPU 0, client on CPU 1' : ''}; ${serverImpl} echo server; best of ${repeat}`,
);
const rows = [];
try {
  for (const scenario of SCENARIOS) {
    const best = Object.fromEntries(CONTENDERS.map((contender) => [contender.name, 0]));
    for (let run = 0; run < repeat; run++) {
      for (const contender of CONTENDERS) {
        best[contender.name] = Math.max(best[contender.name], runClient(contender, scenario, url));
      }
    }
    rows.push({ scenario, best });
    const format = (value) =>
      scenario.unit === 'msg/s'
        ? `${Math.round(value).toLocaleString('en-US')} msg/s`
        : `${value.toFixed(0)} MB/s`;
    const others = CONTENDERS.filter((contender) => contender.name !== 'wskit');
    console.log(
      [
        scenario.label.padEnd(27),
        ...CONTENDERS.map((contender) => `${contender.name} ${format(best[contender.name])}`),
        ...others.map(
          (other) => `wskit/${other.name} ${(best.wskit / best[other.name]).toFixed(2)}`,
        ),
      ].join(' | '),
    );
  }
} finally {
  server.stop();
}
