#!/usr/bin/env node
/**
 * Soak test: N @wskit/node clients against a @wskit/node echo server in a child process for
 * M minutes. Every message carries a client id, a session, a sequence number and a checksum;
 * each client checks its echoes arrive exactly once, in order, intact. A share of clients
 * closes and reconnects now and then. The server's RSS (after gc) is sampled once the load is
 * warm and again at the end.
 *
 *   node scripts/soak.mjs [--clients 2000] [--minutes 10] [--seconds S] [--interval-ms 1000]
 *                         [--reconnect-share 0.1] [--max-growth-mib 64]
 *
 * Needs the built dist of @wskit/node (pnpm build). Prints progress on stderr and one JSON
 * summary on the last line of stdout. Exits 1 on any lost, duplicated, out-of-order or
 * corrupted message, on a connection failure, or when the server's RSS grew past the bound.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

const distUrl = pathToFileURL(
  fileURLToPath(new URL('../packages/node/dist/index.js', import.meta.url)),
).href;
const MiB = 1024 * 1024;

if (process.argv[2] === '--server') {
  // ---- child: the echo server -------------------------------------------------------------
  const { WebSocketServer } = await import(distUrl);
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  server.once('listening', () => process.send({ type: 'listening', port: server.port }));
  process.on('message', (message) => {
    if (message.type === 'memory') {
      globalThis.gc?.();
      globalThis.gc?.();
      const usage = process.memoryUsage();
      process.send({
        type: 'memory',
        rss: usage.rss,
        heapUsed: usage.heapUsed,
        clients: server.clients.size,
      });
    }
    if (message.type === 'stop') server.close({ timeout: 1000 }).then(() => process.exit(0));
  });
} else {
  // ---- parent: the clients ----------------------------------------------------------------
  const options = parseArgs(process.argv.slice(2));
  const durationMs =
    options.seconds !== undefined ? options.seconds * 1000 : options.minutes * 60_000;
  const { connect } = await import(distUrl);
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies = [];
  child.on('message', (message) => replies.shift()?.(message));
  const ask = (type) =>
    new Promise((resolve) => {
      replies.push(resolve);
      child.send({ type });
    });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const url = `ws://127.0.0.1:${port}/`;

  const stats = {
    sent: 0,
    received: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    corrupted: 0,
    reconnects: 0,
    connectFailures: 0,
    unexpectedCloses: 0,
  };
  const checksum = (text) => createHash('sha1').update(text).digest('base64').slice(0, 12);
  let stopping = false;

  class SoakClient {
    constructor(id) {
      this.id = id;
      this.session = 0;
      this.reconnecting = Math.random() < options.reconnectShare;
    }
    async open() {
      this.session++;
      this.next = 0; // next sequence number to send
      this.expected = 0; // next sequence number expected back
      try {
        this.socket = await connect(url, { heartbeat: false });
      } catch {
        stats.connectFailures++;
        return false;
      }
      this.draining = false;
      this.socket.on('error', () => {});
      this.socket.on('message', (data) => this.#onEcho(data.toString()));
      this.socket.on('close', () => {
        if (!this.closingOnPurpose) stats.unexpectedCloses++;
      });
      this.closingOnPurpose = false;
      return true;
    }
    send() {
      if (this.draining || this.socket?.readyState !== 1) return;
      const body = 'x'.repeat(16 + Math.floor(Math.random() * 1000));
      const head = `${this.id}:${this.session}:${this.next}`;
      this.socket.send(`${head}:${checksum(head + body)}:${body}`);
      this.next++;
      stats.sent++;
    }
    #onEcho(text) {
      stats.received++;
      const [id, session, sequence, sum, body] = text.split(':');
      if (
        Number(id) !== this.id ||
        Number(session) !== this.session ||
        checksum(`${id}:${session}:${sequence}${body}`) !== sum
      ) {
        stats.corrupted++;
        return;
      }
      const n = Number(sequence);
      if (n < this.expected) stats.duplicated++;
      else if (n > this.expected) {
        stats.outOfOrder++;
        this.expected = n + 1;
      } else this.expected++;
    }
    outstanding() {
      return this.next - this.expected;
    }
    /** Waits for the outstanding echoes (bounded), counts the missing ones as lost, closes. */
    async finish(timeoutMs) {
      this.draining = true; // no new sends: every message sent so far must come back
      const until = Date.now() + timeoutMs;
      while (this.outstanding() > 0 && Date.now() < until && this.socket?.readyState === 1)
        await sleep(20);
      stats.lost += Math.max(0, this.outstanding());
      this.next = this.expected;
      this.closingOnPurpose = true;
      if (this.socket?.readyState === 1) {
        const closed = new Promise((resolve) => this.socket.once('close', resolve));
        this.socket.close(1000);
        await Promise.race([closed, sleep(2000)]);
      }
    }
  }

  const clients = Array.from({ length: options.clients }, (_, i) => new SoakClient(i));
  // Connect in batches so the listen backlog never overflows.
  for (let i = 0; i < clients.length; i += 100)
    await Promise.all(clients.slice(i, i + 100).map((client) => client.open()));
  log(
    `${clients.length} clients connected (${stats.connectFailures} failures); running for ${durationMs / 1000} s`,
  );

  // Each client sends on its own timer, phase-shifted so the load is spread over the interval.
  const timers = clients.map((client) =>
    setTimeout(function tick() {
      if (stopping) return;
      client.send();
      client.timer = setTimeout(tick, options.intervalMs);
    }, Math.random() * options.intervalMs),
  );
  // Reconnecting clients cycle every few intervals: drain, close cleanly, open a new session.
  const reconnectLoop = (async () => {
    const cycling = clients.filter((client) => client.reconnecting);
    while (!stopping && cycling.length > 0) {
      await sleep(options.intervalMs * 3);
      if (stopping) break;
      const client = cycling[Math.floor(Math.random() * cycling.length)];
      if (client.busy) continue;
      client.busy = true;
      await client.finish(10_000);
      if (!stopping) {
        await client.open();
        stats.reconnects++;
      }
      client.busy = false;
    }
  })();

  // Warm up for a tenth of the run (at most 30 s), then take the memory baseline.
  await sleep(Math.min(durationMs / 10, 30_000));
  const before = await ask('memory');
  log(`baseline: server RSS ${(before.rss / MiB).toFixed(1)} MiB with ${before.clients} clients`);
  const progress = setInterval(() => log(JSON.stringify(stats)), 10_000);
  await sleep(durationMs - Math.min(durationMs / 10, 30_000));

  stopping = true;
  clearInterval(progress);
  for (const timer of timers) clearTimeout(timer);
  for (const client of clients) clearTimeout(client.timer);
  await reconnectLoop;
  // Memory at the end is sampled with every client still connected, like the baseline.
  await Promise.all(
    clients.map(async (client) => {
      const until = Date.now() + 15_000;
      while (client.outstanding() > 0 && Date.now() < until && client.socket?.readyState === 1)
        await sleep(20);
    }),
  );
  const after = await ask('memory');
  await Promise.all(clients.map((client) => client.finish(1000)));
  child.send({ type: 'stop' });
  await new Promise((resolve) => child.once('exit', resolve));

  const growthMiB = (after.rss - before.rss) / MiB;
  const failures = [];
  for (const key of [
    'lost',
    'duplicated',
    'outOfOrder',
    'corrupted',
    'connectFailures',
    'unexpectedCloses',
  ]) {
    if (stats[key] > 0) failures.push(`${key}: ${stats[key]}`);
  }
  if (stats.received === 0) failures.push('no message was echoed');
  if (growthMiB > options.maxGrowthMib)
    failures.push(`server RSS grew ${growthMiB.toFixed(1)} MiB > ${options.maxGrowthMib} MiB`);
  const summary = {
    ok: failures.length === 0,
    failures,
    clients: options.clients,
    durationSeconds: durationMs / 1000,
    ...stats,
    memory: {
      beforeRssMiB: +(before.rss / MiB).toFixed(1),
      afterRssMiB: +(after.rss / MiB).toFixed(1),
      growthMiB: +growthMiB.toFixed(1),
      boundMiB: options.maxGrowthMib,
      clientsAtBaseline: before.clients,
      clientsAtEnd: after.clients,
    },
  };
  console.log(JSON.stringify(summary));
  process.exit(summary.ok ? 0 : 1);
}

function parseArgs(argv) {
  const options = {
    clients: 2000,
    minutes: 10,
    seconds: undefined,
    intervalMs: 1000,
    reconnectShare: 0.1,
    maxGrowthMib: 64,
  };
  const names = {
    '--clients': 'clients',
    '--minutes': 'minutes',
    '--seconds': 'seconds',
    '--interval-ms': 'intervalMs',
    '--reconnect-share': 'reconnectShare',
    '--max-growth-mib': 'maxGrowthMib',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    const value = Number(argv[i + 1]);
    if (name === undefined || Number.isNaN(value) || value < 0) {
      console.error(`soak.mjs: bad argument ${argv[i]} ${argv[i + 1] ?? ''}`);
      process.exit(2);
    }
    options[name] = value;
  }
  return options;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function log(message) {
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
