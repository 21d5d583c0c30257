// What the one-call zlib path (`perMessageDeflate.syncMaxBytes`) costs the event loop: an echo
// server of @wskit/node with permessage-deflate, kept busy by `ws` clients, reports its
// event-loop delay (perf_hooks.monitorEventLoopDelay), its echo rate and its CPU per message,
// for each value of syncMaxBytes in turn. Server on CPU 0, clients (this process) on CPU 1.
//
//   node deflate-loop-delay.mjs [--size 16384] [--connections 64] [--inflight 4]
//                               [--sync default,0] [--repeat 2] [--seconds 4]
//
// The payload is the bench's 16 KiB "binary" message (makePayload), 8 variants in turn.

import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { makePayload } from './load.mjs';

const NODE_DIST = fileURLToPath(new URL('../node/dist/index.js', import.meta.url));

if (process.argv[2] === '--serve') await serve();
else await main();

/** The server: echoes, and measures its event loop between 'start' and 'stop'. */
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
  let cpuBefore;
  process.on('message', (command) => {
    if (command === 'start') {
      delay.reset();
      delay.enable();
      cpuBefore = process.cpuUsage();
    } else if (command === 'stop') {
      delay.disable();
      const cpu = process.cpuUsage(cpuBefore);
      const ms = (nanoseconds) => nanoseconds / 1e6;
      process.send({
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        cpuMicros: cpu.user + cpu.system,
      });
    }
  });
  process.send({ port: server.address().port });
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
  execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
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
  const server = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, SYNC_MAX_BYTES: sync },
  });
  try {
    const { port } = await reply(server);
    execFileSync('taskset', ['-pc', '0', String(server.pid)], { stdio: 'ignore' });
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
    server.send('start');
    const before = echoed;
    const seconds = Number(values.seconds);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    server.send('stop');
    const stats = await reply(server);
    const count = echoed - before;
    running = false;
    for (const client of clients) client.terminate();
    return { ...stats, rate: count / seconds, cpuPerMessage: stats.cpuMicros / count };
  } finally {
    server.kill();
  }
}

/** The server's next message; rejects if it exits first (a crash would otherwise hang here). */
async function reply(server) {
  const exited = once(server, 'exit').then(([code]) => {
    throw new Error(`the server exited (code ${code}) before answering`);
  });
  try {
    const [message] = await Promise.race([once(server, 'message'), exited]);
    return message;
  } finally {
    exited.catch(() => {});
  }
}
