// Replay benchmark: how long a client that missed 10,000 messages of a durable topic takes
// to catch up, (a) over a real WebSocket to a @wskit/node server (subscribe request sent ->
// message 10,000 received by a ws client) and (b) in the library alone (subscribe ->
// caughtUp() in the same process, the handler doing nothing). Page sizes side by side in one
// run; the ratios matter more than the absolute times on a shared machine.
//
// Processes: redis-server and the wskit server pinned to CPU 0, this process (the client)
// to CPU 1, when `taskset` exists and the machine has two CPUs.
//
//   pnpm --filter @wskit/redis bench            (builds first through turbo: pnpm bench)
//   node bench/replay.mjs [messages] [runs]     (after pnpm --filter @wskit/redis build)
import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startRedis, stopChild } from '../../../scripts/lib/restart-processes.mjs';
import { createDurableTopics } from '../dist/index.js';

const MESSAGES = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 5);
const PAGE_SIZES = [100, 1000, 5000];
const here = fileURLToPath(new URL('.', import.meta.url));

const pin = hasTaskset() && availableParallelism() >= 2;
if (pin) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

function hasTaskset() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function startServer(redisUrl, pageSize) {
  const args = [join(here, 'replay-server.mjs'), redisUrl, String(pageSize)];
  const child = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, port: JSON.parse(line).port };
}

/** ms from sending the subscribe request to receiving message `MESSAGES`, checked in order. */
function catchUpOverWebSocket(port, topic) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    let started = 0;
    let expected = 1;
    socket.once('open', () => {
      started = performance.now();
      socket.send(JSON.stringify({ topic, after: 0 }));
    });
    socket.on('message', (frame) => {
      const text = frame.toString();
      if (text.startsWith('{"caughtUp"')) return;
      const seq = Number(text.slice(7, text.indexOf(',')));
      if (seq !== expected) reject(new Error(`got seq ${seq}, expected ${expected}`));
      expected++;
      if (seq === MESSAGES) {
        const elapsed = performance.now() - started;
        socket.close();
        resolve(elapsed);
      }
    });
    socket.once('error', reject);
  });
}

async function catchUpInLibrary(redisUrl, pageSize, topic) {
  const topics = createDurableTopics({ url: redisUrl, keyPrefix: 'bench:', pageSize });
  await topics.ready();
  let count = 0;
  const started = performance.now();
  const subscription = topics.subscribe(topic, { after: 0 }, { message: () => count++ });
  await subscription.caughtUp();
  const elapsed = performance.now() - started;
  subscription.close();
  await topics.close();
  if (count !== MESSAGES) throw new Error(`library: ${count} of ${MESSAGES}`);
  return elapsed;
}

const redis = await startRedis({ cpu: pin ? 0 : undefined });
const redisUrl = redis.url;
try {
  const publisher = createDurableTopics({ url: redisUrl, keyPrefix: 'bench:' });
  const topic = 'replay';
  const payload = JSON.stringify({
    id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    title: 'Build finished',
    body: 'main #1234 passed in 3m12s',
  });
  const publishStart = performance.now();
  await Promise.all(Array.from({ length: MESSAGES }, () => publisher.publish(topic, payload)));
  const publishMs = performance.now() - publishStart;
  await publisher.close();
  console.log(
    `${MESSAGES} messages of ${payload.length} bytes published in ${publishMs.toFixed(0)} ms (pipelined); ${RUNS} runs per row, median; ${pin ? 'redis + server on CPU 0, client on CPU 1' : 'not pinned'}`,
  );
  const rows = [];
  for (const pageSize of PAGE_SIZES) {
    const server = await startServer(redisUrl, pageSize);
    const ws = [];
    const library = [];
    try {
      await catchUpOverWebSocket(server.port, topic); // warm-up
      for (let run = 0; run < RUNS; run++) {
        ws.push(await catchUpOverWebSocket(server.port, topic));
        library.push(await catchUpInLibrary(redisUrl, pageSize, topic));
      }
    } finally {
      await stopChild(server.child);
    }
    rows.push({ pageSize, ws: median(ws), library: median(library) });
  }
  const base = rows.find((row) => row.pageSize === 1000);
  console.log(
    '| pageSize | WebSocket: caught up (ms) | msg/s | vs 1000 | library only (ms) | vs 1000 |',
  );
  console.log(
    '| -------: | ------------------------: | ----: | ------: | ----------------: | ------: |',
  );
  for (const row of rows) {
    console.log(
      `| ${row.pageSize} | ${row.ws.toFixed(0)} | ${Math.round((MESSAGES / row.ws) * 1000)} | ${(row.ws / base.ws).toFixed(2)} | ${row.library.toFixed(0)} | ${(row.library / base.library).toFixed(2)} |`,
    );
  }
} finally {
  await redis.stop();
}
