// WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1 upgrades, on the same @wskit/node server
// (`http2: true` with TLS: both arrive on one port), TLS for both.
//
//   node h2.mjs            1,000 connections for setup; echo for 3 s with 1 and 64 WebSockets
//   node h2.mjs --quick    200 connections, 1.5 s windows
//
// - Setup: open N WebSockets (h2: all as streams of ONE HTTP/2 session; h1: N TLS
//   connections), 50 handshakes in flight at a time: wall time, and the server's RSS growth.
// - Echo: 64-byte messages, each WebSocket sends the next one when the echo arrives; messages
//   per second over the window, with 1 and with 64 WebSockets.
// The server runs in its own process (on CPU 0 when `taskset` and two CPUs exist); the load is
// the @wskit/node client in this process (CPU 1), so its own cost is in the figures for both
// transports alike. No assertions: figures only.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, WebSocketServer } from '@wskit/node';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = new URL('../node/test/fixtures/', import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes('--quick');

/** The server process: echo on HTTP/2 and HTTP/1.1, RSS on request (after a GC). */
async function runServer() {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    http2: true,
    tls: {
      key: readFileSync(new URL('key.pem', fixtures)),
      cert: readFileSync(new URL('cert.pem', fixtures)),
    },
    heartbeat: false,
    hooks: {
      message(peer, message) {
        peer.send(message.isBinary ? message.bytes() : message.text());
      },
    },
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
  reply({ port: server.port });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'rss') {
      global.gc?.();
      reply({ rss: process.memoryUsage().rss, peers: server.clients.size });
    } else if (line === 'close') {
      await server.close({ timeout: 1000 });
      reply({ closed: true });
      process.exit(0);
    }
  }
}

class ServerProcess {
  #lines;
  #process;
  static async start() {
    const pinned = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
    const command = ['node', '--expose-gc', fileURLToPath(import.meta.url), '--server'];
    const child = pinned
      ? spawn('taskset', ['-c', '0', ...command], { cwd: here, stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn(command[0], command.slice(1), { cwd: here, stdio: ['pipe', 'pipe', 'inherit'] });
    const server = new ServerProcess(child);
    server.pinned = pinned;
    server.port = (await server.next()).port;
    return server;
  }
  constructor(child) {
    this.#process = child;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }
  async next() {
    const { value } = await this.#lines.next();
    return JSON.parse(value);
  }
  async ask(command) {
    this.#process.stdin.write(`${command}\n`);
    return this.next();
  }
}

const TLS = { rejectUnauthorized: false };
const clientOptions = (transport) => ({
  tls: TLS,
  http2: transport === 'h2' ? 'require' : false,
  perMessageDeflate: false,
  heartbeat: false,
});

async function openMany(url, count, transport) {
  const sockets = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      sockets.push(await connect(url, clientOptions(transport)));
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return sockets;
}

async function closeAll(sockets) {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          ws.once('close', resolve);
          ws.close();
        }),
    ),
  );
}

async function setup(transport, count) {
  const server = await ServerProcess.start();
  const url = `wss://127.0.0.1:${server.port}/`;
  // One warm-up connection: the HTTP/2 session (or a first TLS handshake) exists for both.
  const warm = await openMany(url, 1, transport);
  const before = await server.ask('rss');
  const started = performance.now();
  const sockets = await openMany(url, count, transport);
  const elapsed = performance.now() - started;
  const after = await server.ask('rss');
  await closeAll([...sockets, ...warm]);
  await server.ask('close');
  return { elapsed, rssGrowth: after.rss - before.rss, peers: after.peers, pinned: server.pinned };
}

async function echo(transport, connections, windowMs) {
  const server = await ServerProcess.start();
  const url = `wss://127.0.0.1:${server.port}/`;
  const sockets = await openMany(url, connections, transport);
  const payload = Buffer.alloc(64, 0x61);
  let counting = false;
  let count = 0;
  let running = true;
  for (const ws of sockets) {
    ws.on('message', () => {
      if (counting) count++;
      if (running) ws.send(payload);
    });
    ws.send(payload);
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // warm-up
  counting = true;
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  counting = false;
  running = false;
  await closeAll(sockets);
  await server.ask('close');
  return (count * 1000) / windowMs;
}

async function runBench() {
  // The client side on CPU 1, away from the server's CPU 0.
  if (cpus().length >= 2) spawnSync('taskset', ['-p', '-c', '1', String(process.pid)]);
  const count = quick ? 200 : 1000;
  const windowMs = quick ? 1500 : 3000;
  const lines = [];
  const print = (line) => {
    lines.push(line);
    console.log(line);
  };
  print(`# WebSockets over HTTP/2 (RFC 8441) vs HTTP/1.1, @wskit/node, TLS both`);
  print(`# ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} CPUs`);

  const h1Setup = await setup('h1', count);
  const h2Setup = await setup('h2', count);
  print(
    `pinning: ${h1Setup.pinned ? 'server CPU 0, client CPU 1' : 'none (no taskset or one CPU)'}`,
  );
  print('');
  print(`## Connection setup: ${count} WebSockets, 50 handshakes in flight`);
  print(
    '| transport | time (ms) | per WebSocket (ms) | server RSS growth (MiB) | per WebSocket (KiB) |',
  );
  print('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, result] of [
    ['HTTP/1.1 (one TLS connection each)', h1Setup],
    ['HTTP/2 (streams of one session)', h2Setup],
  ]) {
    print(
      `| ${name} | ${result.elapsed.toFixed(0)} | ${(result.elapsed / count).toFixed(2)} | ${(result.rssGrowth / 1024 / 1024).toFixed(1)} | ${(result.rssGrowth / count / 1024).toFixed(1)} |`,
    );
  }
  print(
    `ratio h2/h1: time ${(h2Setup.elapsed / h1Setup.elapsed).toFixed(2)}, RSS growth ${(h2Setup.rssGrowth / h1Setup.rssGrowth).toFixed(2)}`,
  );
  print('');
  print(`## 64 B echo, ${windowMs / 1000} s window (messages/s)`);
  print('| WebSockets | HTTP/1.1 | HTTP/2 | h2/h1 |');
  print('| ---: | ---: | ---: | ---: |');
  for (const connections of [1, 64]) {
    const h1 = await echo('h1', connections, windowMs);
    const h2 = await echo('h2', connections, windowMs);
    print(`| ${connections} | ${h1.toFixed(0)} | ${h2.toFixed(0)} | ${(h2 / h1).toFixed(2)} |`);
  }
}

// Last: the classes and constants above exist by now.
if (args.includes('--server')) {
  await runServer();
} else {
  await runBench();
}
