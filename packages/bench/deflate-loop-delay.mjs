// What the one-call zlib path (`perMessageDeflate.syncMaxBytes`) costs the event loop: an echo
// server of @wskit/node with permessage-deflate, kept busy by `ws` clients, reports its
// event-loop delay (perf_hooks.monitorEventLoopDelay), its echo rate and its CPU per message,
// for each value of syncMaxBytes in turn. Server on CPU 0, clients (this process) on CPU 1
// where taskset works (child.mjs), as in run.mjs; server CPU from schedstat (cpu-time.mjs).
//
//   node deflate-loop-delay.mjs [--size 16384] [--connections 64] [--inflight 4]
//                               [--sync default,0] [--repeat 2] [--seconds 4]
//
// The payload is the bench's 16 KiB "binary" message (makePayload), 8 variants in turn.

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { canPin, JsonLinesChild } from './child.mjs';
import { cpuSeconds } from './cpu-time.mjs';
import { makePayload } from './load.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const NODE_DIST = fileURLToPath(new URL('../node/dist/index.js', import.meta.url));

if (process.argv[2] === '--serve') await serve();
else await main();

/**
 * The server, a JSON-lines child (child.mjs): its first line is `{ ready, port }`; `start`
 * resets the event-loop delay histogram, `stop` replies with its percentiles in ms. It exits
 * when stdin ends.
 */
async function serve() {
  const { WebSocketServer } = await import(NODE_DIST);
  const sync = process.env.SYNC_MAX_BYTES;
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: sync === 'default' ? true : { syncMaxBytes: Number(sync) },
  });
  server.on('connection', (socket) =>
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
  );
  await once(server, 'listening');
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const ms = (nanoseconds) => nanoseconds / 1e6;
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const { command } = JSON.parse(line);
    if (command === 'start') {
      delay.reset();
      delay.enable();
      reply({});
    } else if (command === 'stop') {
      delay.disable();
      reply({ p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) });
    } else {
      reply({ error: `unknown command ${command}` });
    }
  });
  input.on('close', () => process.exit(0));
  reply({ ready: true, port: server.address().port });
}

async function main() {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '16384' },
      connections: { type: 'string', default: '64' },
      inflight: { type: 'string', default: '4' },
      sync: { type: 'string', default: 'default,0' },
      repeat: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '4' },
    },
  });
  const size = Number(values.size);
  const messages = Array.from({ length: 8 }, (_, variant) => makePayload(size, true, variant));
  // The clients on CPU 1, the server (JsonLinesChild) on CPU 0.
  if (canPin) spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  console.log(
    `${size} B binary echo, ${values.connections} connections x ${values.inflight} in flight, ` +
      `permessage-deflate; server on CPU 0, clients on CPU 1; Node ${process.version}`,
  );
  for (let round = 0; round < Number(values.repeat); round++) {
    for (const sync of values.sync.split(',')) {
      const result = await measure(sync, messages, values);
      console.log(
        `syncMaxBytes ${sync.padEnd(7)} ${result.rate.toFixed(0).padStart(6)} msg/s, ` +
          `${result.cpuPerMessage.toFixed(0).padStart(5)} µs server CPU per message, ` +
          `event-loop delay p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ` +
          `max ${result.max.toFixed(1)} ms`,
      );
    }
  }
}

async function measure(sync, messages, values) {
  const server = new JsonLinesChild(
    0,
    process.execPath,
    [fileURLToPath(import.meta.url), '--serve'],
    {
      cwd: here,
      env: { SYNC_MAX_BYTES: sync },
      stderr: 'inherit',
    },
  );
  try {
    const { port } = await server.next();
    const clients = await Promise.all(
      Array.from(
        { length: Number(values.connections) },
        () =>
          new Promise((resolve, reject) => {
            const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: true });
            client.once('open', () => resolve(client)).once('error', reject);
          }),
      ),
    );
    let echoed = 0;
    let running = true;
    for (const [index, client] of clients.entries()) {
      let next = index;
      client.on('message', () => {
        echoed++;
        if (running) client.send(messages[next++ % messages.length]);
      });
      for (let sent = 0; sent < Number(values.inflight); sent++) {
        client.send(messages[next++ % messages.length]);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.request('start');
    const before = { echoed, cpu: cpuSeconds(server.pid) };
    const seconds = Number(values.seconds);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpu = cpuSeconds(server.pid) - before.cpu;
    const count = echoed - before.echoed;
    const stats = await server.request('stop');
    running = false;
    for (const client of clients) client.terminate();
    return { ...stats, rate: count / seconds, cpuPerMessage: (cpu * 1e6) / count };
  } finally {
    await server.stop();
  }
}
