#!/usr/bin/env node
/**
 * Slow consumers at scale: a @wskit/node server (a child process) publishes to one topic that
 * S "slow" peers (raw TCP clients that stop reading right after the handshake) and F "fast"
 * peers (@wskit/node clients that read everything) subscribe to. It checks that
 *   - every slow peer is dropped with WS_ERR_SEND_BUFFER_FULL (close 1008 on its side),
 *   - every fast peer receives every message once, in order, intact, and stays open,
 *   - the server's memory stays under a bound derived from maxBufferedAmount (below),
 *   - once every client left, the server holds no peers and its memory came back down.
 * It reports the fast peers' latency (publish to receipt, p50/p99) as a measurement, never as
 * a pass criterion (timings belong to benchmarks; see packages/bench).
 *
 *   node scripts/slow-consumers.mjs [--slow 1000] [--fast 20] [--messages 600]
 *        [--size 16384] [--interval-ms 2] [--batch 1] [--max-buffered KiB] [--bound-mib N]
 *
 * `--batch`: messages published back to back before each pause of `--interval-ms`.
 *
 * Needs the built dist of @wskit/node. Progress on stderr, one JSON summary as the last line of
 * stdout; exit 1 when a check failed.
 *
 * The bound: a slow peer is dropped at the first send that finds more than maxBufferedAmount
 * already queued for it, so its queue holds at most maxBufferedAmount + one message. Published
 * frames are built once and shared by every peer's queue, so the payload bytes are held once;
 * what each slow peer adds is its queue's bookkeeping (measured here), not a copy of the data.
 */
import { fork, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const distUrl = pathToFileURL(
  fileURLToPath(new URL('../packages/node/dist/index.js', import.meta.url)),
).href;
const wsDistUrl = pathToFileURL(
  fileURLToPath(new URL('../packages/node/dist/ws.js', import.meta.url)),
).href;
const MiB = 1024 * 1024;
const TOPIC = 'feed';

// ---- child: the publishing server ----------------------------------------------------------

async function runServer() {
  const { WebSocketServer } = await import(distUrl);
  const maxBufferedAmount = Number(process.argv[3]);
  const drops = { slow: 0, fast: 0, codes: {}, closeCodes: {} };
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    heartbeat: false,
    ...(maxBufferedAmount > 0 ? { maxBufferedAmount } : {}),
    hooks: {
      open(peer) {
        peer.subscribe(TOPIC);
      },
      close(peer, details) {
        if (!peer.request.url.includes('slow')) return;
        drops.closeCodes[details.code] = (drops.closeCodes[details.code] ?? 0) + 1;
      },
      error(peer, error) {
        const kind = peer.request.url.includes('slow') ? 'slow' : 'fast';
        if (error.code === 'WS_ERR_SEND_BUFFER_FULL') drops[kind]++;
        drops.codes[error.code] = (drops.codes[error.code] ?? 0) + 1;
      },
    },
  });
  let peak = { rss: 0, heapUsed: 0, external: 0 };
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peak = {
      rss: Math.max(peak.rss, usage.rss),
      heapUsed: Math.max(peak.heapUsed, usage.heapUsed),
      external: Math.max(peak.external, usage.external + usage.arrayBuffers),
    };
  }, 20);
  sampler.unref();

  const memory = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    const usage = process.memoryUsage();
    return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
  };

  process.on('message', async (message) => {
    if (message.type === 'memory') {
      process.send({ type: 'memory', memory: memory(), peers: server.clients.size });
    } else if (message.type === 'publish') {
      peak = { rss: 0, heapUsed: 0, external: 0 };
      const { count, size, intervalMs, batch } = message;
      const filler = randomBytes(size);
      for (let seq = 0; seq < count; seq++) {
        // seq (4 bytes) | sent-at, ms since the epoch with µs precision (8 bytes) | filler.
        const payload = Buffer.from(filler);
        payload.writeUInt32BE(seq, 0);
        payload.writeDoubleBE(performance.timeOrigin + performance.now(), 4);
        server.publish(TOPIC, payload);
        if ((seq + 1) % batch === 0)
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      process.send({
        type: 'published',
        digest: createHash('sha256').update(filler.subarray(12)).digest('hex'),
        peak,
        drops,
        peersAfter: server.clients.size,
      });
    } else if (message.type === 'stop') {
      process.exit(0);
    }
  });
  // The driver died: nothing is left to report to.
  process.on('disconnect', () => process.exit(1));
  server.once('listening', () => process.send({ type: 'listening', port: server.port }));
}

// ---- parent: the clients and the checks ----------------------------------------------------

async function runDriver() {
  const { values } = parseArgs({
    options: {
      slow: { type: 'string', default: '1000' },
      fast: { type: 'string', default: '20' },
      messages: { type: 'string', default: '600' },
      size: { type: 'string', default: '16384' },
      'interval-ms': { type: 'string', default: '2' },
      batch: { type: 'string', default: '1' },
      'max-buffered': { type: 'string' },
      'bound-mib': { type: 'string' },
    },
  });
  const slowCount = Number(values.slow);
  const fastCount = Number(values.fast);
  const messages = Number(values.messages);
  const size = Number(values.size);
  const intervalMs = Number(values['interval-ms']);
  const batch = Number(values.batch);
  const maxBuffered =
    values['max-buffered'] === undefined ? 0 : Number(values['max-buffered']) * 1024;
  const { DEFAULTS } = await import(distUrl);
  const { WebSocket } = await import(wsDistUrl);
  const cap = maxBuffered || DEFAULTS.maxBufferedAmount;
  if (size < 16) throw new Error('--size must be at least 16 bytes');
  const failures = [];
  const log = (line) => process.stderr.write(`[slow-consumers] ${line}\n`);
  if (messages * size < 2 * cap) {
    log(
      `warning: ${messages} × ${size} B is less than twice the cap (${cap} B): peers that stop reading may not be dropped`,
    );
  }
  const child = fork(fileURLToPath(import.meta.url), ['--server', String(maxBuffered)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies = [];
  const waiting = [];
  child.on('message', (message) => {
    const waiter = waiting.findIndex((entry) => entry.type === message.type);
    if (waiter >= 0) waiting.splice(waiter, 1)[0].resolve(message);
    else replies.push(message);
  });
  const next = (type) => {
    const index = replies.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(replies.splice(index, 1)[0]);
    return new Promise((resolve) => waiting.push({ type, resolve }));
  };
  const ask = (message, reply) => {
    child.send(message);
    return next(reply);
  };

  const { port } = await next('listening');
  const baseline = (await ask({ type: 'memory' }, 'memory')).memory;

  // Slow peers: a Python process that opens them and then never reads (see SLOW_PEERS).
  const slowPeers = await openSlowPeers(port, slowCount);

  // Fast peers: real clients that check sequence, integrity and latency.
  const fast = [];
  for (let i = 0; i < fastCount; i++) {
    fast.push(openFastPeer(WebSocket, `ws://127.0.0.1:${port}/fast/${i}`));
  }
  const fastPeers = await Promise.all(fast);
  const connected = (await ask({ type: 'memory' }, 'memory')).peers;
  if (connected !== slowCount + fastCount) {
    failures.push(`expected ${slowCount + fastCount} peers on the server, found ${connected}`);
  }
  const withPeers = (await ask({ type: 'memory' }, 'memory')).memory;
  log(`${slowCount} slow + ${fastCount} fast peers open; publishing ${messages} × ${size} B`);

  const published = await ask(
    { type: 'publish', count: messages, size, intervalMs, batch },
    'published',
  );
  log(`published; ${published.drops.slow} slow peers dropped`);
  // Everything the fast peers were sent arrives; they read as fast as they can.
  await Promise.all(fastPeers.map((peer) => peer.receivedAll(messages)));
  const latencies = fastPeers.flatMap((peer) => peer.latencies).sort((a, b) => a - b);
  for (const peer of fastPeers) {
    if (peer.errors.length > 0) failures.push(`fast peer: ${peer.errors.join('; ')}`);
    if (peer.digests.some((digest) => digest !== published.digest)) {
      failures.push('fast peer: a payload arrived corrupted');
    }
    if (peer.socket.readyState !== WebSocket.OPEN) failures.push('a fast peer was closed');
  }
  if (published.drops.slow !== slowCount) {
    failures.push(`${published.drops.slow} of ${slowCount} slow peers were dropped`);
  }
  if (published.drops.fast !== 0) failures.push(`${published.drops.fast} fast peers were dropped`);

  // The bound: payload bytes are shared, so they count once (the whole run's, generously);
  // each slow peer adds queue bookkeeping, budgeted at 1 KiB per message it could hold.
  const perPeerMessages = Math.ceil(cap / size) + 1;
  const boundBytes =
    values['bound-mib'] !== undefined
      ? Number(values['bound-mib']) * MiB
      : messages * size + slowCount * perPeerMessages * 1024 + 64 * MiB;
  const growth = published.peak.rss - withPeers.rss;
  if (growth > boundBytes) {
    failures.push(
      `server RSS grew ${(growth / MiB).toFixed(1)} MiB while publishing, bound ${(boundBytes / MiB).toFixed(1)} MiB`,
    );
  }

  log('fast peers received everything; every client leaves');
  // Everyone leaves: the server must let go of every peer and its memory.
  for (const peer of fastPeers) peer.socket.close();
  await slowPeers.close();
  const deadline = Date.now() + 10_000;
  let after;
  do {
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = await ask({ type: 'memory' }, 'memory');
  } while (after.peers > 0 && Date.now() < deadline);
  if (after.peers !== 0) failures.push(`${after.peers} peers still open after every client left`);
  child.send({ type: 'stop' });
  await new Promise((resolve) => child.once('exit', resolve));

  const quantile = (q) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const summary = {
    ok: failures.length === 0,
    failures,
    slow: slowCount,
    fast: fastCount,
    messages,
    size,
    maxBufferedAmount: cap,
    slowDropped: published.drops.slow,
    slowCloseCodes: published.drops.closeCodes,
    errorCodes: published.drops.codes,
    fastReceived: fastPeers.map((peer) => peer.count).reduce((a, b) => a + b, 0),
    fastLatencyMs: {
      p50: round(quantile(0.5)),
      p99: round(quantile(0.99)),
      max: round(latencies.at(-1)),
    },
    serverMiB: {
      baselineRss: mib(baseline.rss),
      withPeersRss: mib(withPeers.rss),
      peakRssWhilePublishing: mib(published.peak.rss),
      peakHeapWhilePublishing: mib(published.peak.heapUsed),
      peakExternalWhilePublishing: mib(published.peak.external),
      growthWhilePublishing: mib(growth),
      bound: mib(boundBytes),
      afterAllLeftRss: mib(after.memory.rss),
      afterAllLeftHeap: mib(after.memory.heapUsed),
    },
    perSlowPeerKiB: round((growth - messages * size) / slowCount / 1024),
  };
  console.log(JSON.stringify(summary));
  process.exit(summary.ok ? 0 : 1);
}

function mib(bytes) {
  return Math.round((bytes / MiB) * 10) / 10;
}

function round(value) {
  return value === undefined ? null : Math.round(value * 100) / 100;
}

/**
 * The slow peers, in one Python process (Debian's /usr/bin/python3, standard library only):
 * each socket gets a 4 KiB receive buffer before it connects, which fixes the TCP window small
 * (Node cannot set SO_RCVBUF). Otherwise the kernel, which may buffer up to tcp_rmem's maximum
 * (32 MiB here) per paused socket, would hold what the server is meant to hold, and 1,000 such
 * sockets would press on the whole machine's memory.
 */
const SLOW_PEERS = `
import base64, os, resource, socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 64)), hard))
sockets = []
for index in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /slow/{index} HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\nUpgrade: websocket\\r\\n"
               f"Connection: Upgrade\\r\\nSec-WebSocket-Key: {key}\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n").encode())
    head = b""
    # One byte at a time: nothing after the head may be consumed, the peer reads no data.
    while not head.endswith(b"\\r\\n\\r\\n"):
        byte = s.recv(1)
        if not byte:
            sys.exit(f"slow peer {index}: connection closed during the handshake")
        head += byte
    if not head.startswith(b"HTTP/1.1 101"):
        sys.exit(f"slow peer {index}: {head.splitlines()[0]!r}")
    sockets.append(s)
print("ready", flush=True)
sys.stdin.readline()
for s in sockets:
    s.close()
print("closed", flush=True)
`;

function openSlowPeers(port, count) {
  const child = spawn('/usr/bin/python3', ['-c', SLOW_PEERS, String(port), String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = [];
  const waiting = [];
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const nextLine = () =>
    Promise.race([
      lines.length > 0
        ? Promise.resolve(lines.shift())
        : new Promise((resolve) => waiting.push(resolve)),
      exited.then((code) => {
        throw new Error(`the slow peers' process exited (${code})`);
      }),
    ]);
  return nextLine().then((line) => {
    if (line !== 'ready') throw new Error(`slow peers: ${line}`);
    return {
      async close() {
        child.stdin.end('close\n');
        await exited;
      },
    };
  });
}

/** A client that reads everything and checks order, integrity and latency. */
function openFastPeer(WebSocket, url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const peer = {
      socket,
      count: 0,
      latencies: [],
      digests: [],
      errors: [],
      waiter: undefined,
      receivedAll(total) {
        if (peer.count >= total) return Promise.resolve();
        return new Promise((done) => {
          peer.waiter = { total, done };
        });
      },
    };
    socket.binaryType = 'nodebuffer';
    socket.once('open', () => resolve(peer));
    socket.once('error', reject);
    socket.on('message', (data) => {
      const now = performance.timeOrigin + performance.now();
      const seq = data.readUInt32BE(0);
      if (seq !== peer.count) peer.errors.push(`expected message ${peer.count}, got ${seq}`);
      peer.count++;
      peer.latencies.push(now - data.readDoubleBE(4));
      // Hash only a sample: hashing every 16 KiB payload would slow the reader down.
      if (seq % 50 === 0)
        peer.digests.push(createHash('sha256').update(data.subarray(12)).digest('hex'));
      if (peer.waiter !== undefined && peer.count >= peer.waiter.total) peer.waiter.done();
    });
  });
}

// Last, so that every constant above is initialised before either side runs.
if (process.argv[2] === '--server') await runServer();
else await runDriver();
