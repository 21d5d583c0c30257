#!/usr/bin/env node
/**
 * Soak with churn: N @wskit/node clients against one @wskit/node server (a child process, hooks
 * API, permessage-deflate on) for M minutes, with a mix of traffic and misbehaviour:
 *
 *   - echo: every client (but the large-message ones) sends a small text message (16 to 2,016
 *     characters, so about half are over the deflate threshold of 1 KiB) every
 *     --interval-ms; the server echoes it back;
 *   - fan-out: --subscribe-share of the clients subscribe to the topic `fanout`, which the server
 *     publishes a sequenced message to every --fanout-ms;
 *   - large messages: --large-share of the clients send binary messages of --large-min-kib to
 *     --large-max-kib (one at a time), checked by SHA-1 when they come back;
 *   - permessage-deflate: offered by --deflate-share of the clients (the server accepts it);
 *   - churn: --reconnect-share of the clients leave cleanly at random times and come back later;
 *     --reset-share of them end their connection with a TCP reset (RST) instead and reconnect;
 *   - slow readers: --slow-share of the clients stop reading for a few seconds now and then
 *     (after queueing a burst of 32 KiB echoes) and resume.
 *
 * Integrity: every echo carries the client id, its session (one per connection), a sequence
 * number and a checksum, and must come back once, in order, intact. A subscriber learns the
 * last published sequence number when it subscribes (a welcome message sent right after the
 * subscription, so it precedes every publication it will receive) and must then receive every
 * later publication once, in order, intact; at the end, up to the last one. Messages in flight
 * on a connection the client itself reset are not expected back: they are counted apart
 * (`inFlightAtReset`), never as lost. Everything else that goes missing is an error.
 *
 * The server samples every --sample-seconds: RSS, heap, external + array buffers, event-loop
 * delay (p50/p99/max over the interval), its peers and its active handles. Pass criteria (exit
 * 1 otherwise):
 *   - zero integrity errors and no unexpected close or connection failure;
 *   - RSS after warm-up (the first --warmup-share of the run) flat: the slope of a least-squares
 *     line through the samples is at most --max-slope-mib-per-min, and the growth it fits over
 *     that window at most --max-growth-mib;
 *   - event-loop delay p99 over the whole run after warm-up below --max-loop-p99-ms;
 *   - once every client left: no peer on the server and no more active handles than before the
 *     first client came (per resource type).
 *
 *   node scripts/soak.mjs [--clients 2000] [--minutes 10 | --seconds S] [--report docs/soak]
 *        [--sample-seconds 5] [--interval-ms 2000] [--fanout-ms 250] [--deflate-share 0.5]
 *        [--subscribe-share 0.3] [--reconnect-share 0.1] [--reset-share 0.05]
 *        [--slow-share 0.02] [--large-share 0.01] [--large-min-kib 64] [--large-max-kib 4096]
 *        [--churn-period-s 30] [--warmup-share 0.2] [--max-slope-mib-per-min 2]
 *        [--max-growth-mib 64] [--max-loop-p99-ms 50] [--fault drop|duplicate|corrupt]
 *
 * `--fault` is a self-check of the checker: the server drops, duplicates or damages one echo in
 * 500, and the run must fail with the matching count.
 *
 * Needs the built dist of @wskit/node. Progress on stderr, one JSON summary as the last line of
 * stdout; `--report <dir>` also writes report.json, report.md and SVG charts there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lineChart } from './lib/svg-chart.mjs';

const distUrl = pathToFileURL(
  fileURLToPath(new URL('../packages/node/dist/index.js', import.meta.url)),
).href;
const MiB = 1024 * 1024;
/** The counts that must stay 0: each is an integrity failure (or a peer the run lost). */
const INTEGRITY_COUNTS = [
  'lost',
  'duplicated',
  'outOfOrder',
  'corrupted',
  'fanoutLost',
  'fanoutDuplicated',
  'fanoutCorrupted',
  'unexpectedCloses',
  'connectFailures',
];
const TOPIC = 'fanout';
// The histogram's timer fires every RESOLUTION ms and records the time between firings, so a
// loop that is never late records RESOLUTION: the delay is what exceeds it.
const RESOLUTION_MS = 10;

const sha1 = (data) => createHash('sha1').update(data).digest('base64').slice(0, 16);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min, max) => min + Math.random() * (max - min);

function loopMonitor() {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    histogram,
    read() {
      if (histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
      return {
        p50: +ms(histogram.percentile(50)).toFixed(2),
        p99: +ms(histogram.percentile(99)).toFixed(2),
        max: +ms(histogram.max).toFixed(2),
      };
    },
  };
}

function handleCounts() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

// ---- child: the server ---------------------------------------------------------------------

async function runServer() {
  const { WebSocketServer } = await import(distUrl);
  const sampleMs = Number(process.argv[3]);
  const fanoutMs = Number(process.argv[4]);
  const errors = {};
  const closeCodes = {};
  const fault = process.argv[5] || undefined;
  let echoes = 0;
  let maxQueued = 0;
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: true,
    hooks: {
      open(peer) {
        if (!peer.request.url.includes('sub=1')) return;
        peer.subscribe(TOPIC);
        // Sent in the same tick as the subscription: no publication can come between them.
        peer.send(`W:${fanoutSeq}`);
      },
      message(peer, message) {
        echoes++;
        let reply = message.isBinary ? message.bytes() : message.text();
        // --fault makes the server misbehave on purpose, to see the checks catch it.
        if (fault !== undefined && echoes % 500 === 0) {
          if (fault === 'drop') return;
          if (fault === 'duplicate') peer.send(reply);
          if (fault === 'corrupt') reply = message.isBinary ? reply : `${reply.slice(0, -1)}#`;
        }
        peer.send(reply);
        // The slow readers' backlog shows here: what the server had to queue for one peer.
        maxQueued = Math.max(maxQueued, peer.bufferedAmount);
      },
      close(_peer, { code }) {
        // Resets show as 1006 (no closing handshake), clean leaves as 1000.
        closeCodes[code] = (closeCodes[code] ?? 0) + 1;
      },
      error(_peer, error) {
        errors[error.code ?? error.message] = (errors[error.code ?? error.message] ?? 0) + 1;
      },
    },
  });

  let fanoutSeq = 0;
  const filler = randomBytes(600).toString('base64');
  const fanout = setInterval(() => {
    fanoutSeq++;
    const body = filler.slice(0, 50 + Math.floor(Math.random() * 700));
    server.publish(TOPIC, `F:${fanoutSeq}:${sha1(`${fanoutSeq}:${body}`)}:${body}`);
  }, fanoutMs);

  const interval = loopMonitor();
  const whole = loopMonitor(); // reset once, at the end of the warm-up
  const started = performance.now();
  const sample = () => {
    const usage = process.memoryUsage();
    const handles = handleCounts();
    const result = {
      t: +((performance.now() - started) / 1000).toFixed(1),
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      loop: interval.read(),
      peers: server.clients.size,
      handles: Object.values(handles).reduce((a, b) => a + b, 0),
      sockets: handles.TCPSocketWrap ?? 0,
    };
    interval.histogram.reset();
    return result;
  };
  const sampler = setInterval(() => process.send({ type: 'sample', sample: sample() }), sampleMs);

  process.on('message', (message) => {
    if (message.type === 'warm') {
      whole.histogram.reset();
    } else if (message.type === 'stop-fanout') {
      clearInterval(fanout);
      process.send({ type: 'fanout-stopped', lastSeq: fanoutSeq, loop: whole.read() });
    } else if (message.type === 'state') {
      globalThis.gc?.();
      const usage = process.memoryUsage();
      process.send({
        type: 'state',
        peers: server.clients.size,
        handles: handleCounts(),
        rss: usage.rss,
        heapUsed: usage.heapUsed,
        errors,
        closeCodes,
        maxQueued,
      });
    } else if (message.type === 'stop') {
      clearInterval(sampler);
      server.close({ timeout: 1000 }).then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(1));
  server.once('listening', () => {
    // The baseline: what the server holds before the first client, with its own timers running.
    // Node opens process.stderr's pipe on the first socket it destroys (net.Socket#_destroy
    // reads it), for the life of the process: open it now so that it is not counted as left.
    void process.stderr;
    globalThis.gc?.();
    const usage = process.memoryUsage();
    process.send({
      type: 'listening',
      port: server.port,
      handles: handleCounts(),
      rss: usage.rss,
      heapUsed: usage.heapUsed,
    });
  });
}

// ---- parent: the clients, the checks and the report ----------------------------------------

const OPTIONS = {
  clients: 2000,
  minutes: 10,
  seconds: undefined,
  'sample-seconds': 5,
  'interval-ms': 2000,
  'fanout-ms': 250,
  'deflate-share': 0.5,
  'subscribe-share': 0.3,
  'reconnect-share': 0.1,
  'reset-share': 0.05,
  'slow-share': 0.02,
  'large-share': 0.01,
  'large-min-kib': 64,
  'large-max-kib': 4096,
  'churn-period-s': 30,
  'warmup-share': 0.2,
  'max-slope-mib-per-min': 2,
  'max-growth-mib': 64,
  'max-loop-p99-ms': 50,
};

function readOptions() {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(Object.keys(OPTIONS).map((name) => [name, { type: 'string' }])),
      report: { type: 'string' },
      fault: { type: 'string' },
    },
  });
  if (values.fault !== undefined && !['drop', 'duplicate', 'corrupt'].includes(values.fault)) {
    console.error(`soak.mjs: --fault is drop, duplicate or corrupt, not ${values.fault}`);
    process.exit(2);
  }
  const options = { report: values.report, fault: values.fault };
  for (const [name, fallback] of Object.entries(OPTIONS)) {
    const value = values[name] === undefined ? fallback : Number(values[name]);
    if (value !== undefined && !(value >= 0)) {
      console.error(`soak.mjs: bad value for --${name}: ${values[name]}`);
      process.exit(2);
    }
    options[name] = value;
  }
  return options;
}

/**
 * The client API does not hand out its TCP socket, and a reset needs it (`resetAndDestroy()`
 * sends an RST, where `terminate()` only closes). So `net.connect` is wrapped to give each
 * socket to the soak client whose `connect()` opened it, found through async context.
 */
function captureTcpSockets() {
  const net = createRequire(import.meta.url)('node:net');
  const opening = new AsyncLocalStorage();
  const original = net.connect;
  net.connect = function connect(...args) {
    const socket = original.apply(this, args);
    opening.getStore()?.(socket);
    return socket;
  };
  syncBuiltinESMExports();
  return (onSocket, fn) => opening.run(onSocket, fn);
}

async function runDriver() {
  const options = readOptions();
  const durationMs =
    options.seconds !== undefined ? options.seconds * 1000 : options.minutes * 60_000;
  const warmupMs = durationMs * options['warmup-share'];
  const withTcpSocket = captureTcpSockets();
  const { connect } = await import(distUrl);
  const log = (line) =>
    process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

  const child = fork(
    fileURLToPath(import.meta.url),
    [
      '--server',
      String(options['sample-seconds'] * 1000),
      String(options['fanout-ms']),
      options.fault ?? '',
    ],
    { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const samples = [];
  let clients = [];
  let started = Date.now();
  const waiting = new Map();
  const clientLoop = loopMonitor();
  const counters = { sent: 0, received: 0 };
  child.on('message', (message) => {
    if (message.type === 'sample') {
      // The driver's side of the same interval, to tell a starved driver from a slow server.
      samples.push({
        ...message.sample,
        // On the driver's clock, which the warm-up and the duration are measured on.
        t: +((Date.now() - started) / 1000).toFixed(1),
        connected: clients.filter((c) => c.isOpen()).length,
        sent: counters.sent,
        received: counters.received,
        driverLoop: clientLoop.read(),
      });
      clientLoop.histogram.reset();
      counters.sent = 0;
      counters.received = 0;
      return;
    }
    waiting.get(message.type)?.(message);
    waiting.delete(message.type);
  });
  const next = (type) => new Promise((resolve) => waiting.set(type, resolve));
  const ask = (type, reply = type) => {
    const answer = next(reply);
    child.send({ type });
    return answer;
  };
  const listening = await next('listening');
  const url = `ws://127.0.0.1:${listening.port}/`;

  const stats = {
    echoSent: 0,
    echoReceived: 0,
    largeSent: 0,
    largeReceived: 0,
    largeBytes: 0,
    fanoutReceived: 0,
    sessions: 0,
    cleanLeaves: 0,
    resets: 0,
    resetsWithoutRst: 0,
    inFlightAtReset: 0,
    slowPauses: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    corrupted: 0,
    fanoutLost: 0,
    fanoutDuplicated: 0,
    fanoutCorrupted: 0,
    unexpectedCloses: 0,
    connectFailures: 0,
  };
  const unexpectedCloseCodes = {};
  let stopping = false;
  let stopped;
  const stop = new Promise((resolve) => {
    stopped = resolve;
  });
  const textPool = randomBytes(24 * 1024).toString('base64');
  // Half random, half repetitive: deflate has something to do on large messages either way.
  const largePool = Buffer.concat(
    Array.from({ length: 2 * 256 }, (_, i) =>
      i % 2 ? randomBytes(8192) : Buffer.from('wskit soak '.repeat(745).slice(0, 8192)),
    ),
  );
  const LARGE_HEAD = 64;

  class SoakClient {
    constructor(id, roles) {
      this.id = id;
      this.session = 0;
      this.deflate = roles.deflate.has(id);
      this.large = roles.large.has(id);
      this.slow = roles.slow.has(id);
      // Slow readers subscribe: publications are what piles up while they do not read.
      this.subscriber = this.slow || roles.subscriber.has(id);
      this.churn = roles.reset.has(id) ? 'reset' : roles.reconnect.has(id) ? 'reconnect' : 'none';
    }

    isOpen() {
      // After a reset the socket still says OPEN until its close event: it is gone already.
      return !this.leaving && this.socket?.readyState === 1;
    }

    async open() {
      // Leaving or resetting accounted for what was in flight; anything else is a loss.
      stats.lost += this.pending?.length ?? 0;
      this.session++;
      stats.sessions++;
      this.nextSeq = 0;
      this.pending = []; // sequence numbers (and digests of large ones) sent, not echoed yet
      this.fanoutNext = undefined; // set by the welcome
      this.leaving = false;
      this.draining = false;
      this.tcp = undefined;
      const session = this.session;
      try {
        this.socket = await withTcpSocket(
          (tcp) => {
            this.tcp = tcp;
          },
          () =>
            connect(`${url}?id=${this.id}${this.subscriber ? '&sub=1' : ''}`, {
              heartbeat: false,
              perMessageDeflate: this.deflate,
            }),
        );
      } catch (error) {
        stats.connectFailures++;
        log(`client ${this.id}: connect failed: ${error.message}`);
        return false;
      }
      const socket = this.socket;
      socket.on('error', () => {});
      socket.on('message', (data, isBinary) => {
        if (session === this.session) this.#onMessage(data, isBinary);
      });
      socket.on('close', (code) => {
        if (session === this.session && !this.leaving) {
          stats.unexpectedCloses++;
          unexpectedCloseCodes[code] = (unexpectedCloseCodes[code] ?? 0) + 1;
        }
      });
      return true;
    }

    // 16 to 2,016 characters: about half pass the server's deflate threshold (1 KiB), so deflate
    // peers compress both ways from their first seconds, not once a rare long message comes.
    sendEcho(bodyLength = 16 + Math.floor(Math.random() * 2000)) {
      if (!this.isOpen() || this.draining) return;
      const start = Math.floor(Math.random() * (textPool.length - bodyLength));
      const body = textPool.slice(start, start + bodyLength);
      const seq = this.nextSeq++;
      const head = `${this.id}:${this.session}:${seq}`;
      this.socket.send(`E:${head}:${sha1(`${head}:${body}`)}:${body}`);
      this.pending.push({ seq });
      stats.echoSent++;
      counters.sent++;
    }

    sendLarge() {
      if (!this.isOpen() || this.draining) return;
      const min = options['large-min-kib'] * 1024;
      const max = options['large-max-kib'] * 1024;
      // Log-uniform: most are near the bottom, a few reach the top.
      const size = Math.round(min * (max / min) ** Math.random());
      const seq = this.nextSeq++;
      const message = Buffer.alloc(size);
      const offset = Math.floor(Math.random() * (largePool.length - size));
      largePool.copy(message, LARGE_HEAD, offset, offset + size - LARGE_HEAD);
      message.write(`L:${this.id}:${this.session}:${seq}:`.padEnd(LARGE_HEAD), 0, 'latin1');
      this.pending.push({ seq, digest: sha1(message) });
      this.socket.send(message);
      stats.largeSent++;
      stats.largeBytes += size;
      counters.sent++;
    }

    #onMessage(data, isBinary) {
      counters.received++;
      if (isBinary) {
        const [kind, id, session, seq] = data.toString('latin1', 0, LARGE_HEAD).split(':');
        if (kind !== 'L' || Number(id) !== this.id || Number(session) !== this.session) {
          stats.corrupted++;
          return;
        }
        stats.largeReceived++;
        this.#echoed(Number(seq), sha1(data));
        return;
      }
      const text = data.toString();
      if (text.startsWith('W:')) {
        this.fanoutNext = Number(text.slice(2)) + 1;
        return;
      }
      if (text.startsWith('F:')) {
        stats.fanoutReceived++;
        const [, seq, sum, body] = text.split(':');
        const n = Number(seq);
        if (sha1(`${seq}:${body}`) !== sum || this.fanoutNext === undefined) {
          stats.fanoutCorrupted++;
          return;
        }
        if (n < this.fanoutNext) stats.fanoutDuplicated++;
        else {
          stats.fanoutLost += n - this.fanoutNext;
          this.fanoutNext = n + 1;
        }
        return;
      }
      const [kind, id, session, seq, sum, body] = text.split(':');
      if (kind !== 'E' || Number(id) !== this.id || Number(session) !== this.session) {
        stats.corrupted++;
        return;
      }
      stats.echoReceived++;
      // A damaged body still takes its place in the sequence: one error, not a cascade.
      if (sha1(`${id}:${session}:${seq}:${body}`) !== sum) stats.corrupted++;
      this.#echoed(Number(seq));
    }

    #echoed(seq, digest) {
      const head = this.pending[0];
      if (head === undefined || seq < head.seq) {
        stats.duplicated++;
        return;
      }
      if (seq > head.seq) {
        // Arrived ahead of older ones: those are counted lost (or late, as out of order).
        stats.outOfOrder++;
        while (this.pending.length > 0 && this.pending[0].seq < seq) {
          this.pending.shift();
          stats.lost++;
        }
      }
      const entry = this.pending.shift();
      if (entry?.digest !== undefined && entry.digest !== digest) stats.corrupted++;
    }

    /** Stops sending and waits (bounded) until every echo came back. */
    async drain(timeoutMs) {
      this.draining = true;
      const until = Date.now() + timeoutMs;
      while (this.pending.length > 0 && this.isOpen() && Date.now() < until) await sleep(20);
    }

    /** Clean leave: drain, count what never came back as lost, close with 1000. */
    async leave(timeoutMs) {
      if (this.socket === undefined || this.leaving) return;
      await this.drain(timeoutMs);
      stats.lost += this.pending.length;
      this.pending = [];
      this.leaving = true;
      if (this.socket.readyState !== 3) {
        const closed = new Promise((resolve) => this.socket.once('close', resolve));
        this.socket.close(1000);
        await Promise.race([closed, sleep(5000)]);
      }
    }

    /** Abrupt leave: a TCP reset; what was in flight is the client's own loss. */
    reset() {
      this.leaving = true;
      stats.inFlightAtReset += this.pending.length;
      this.pending = [];
      if (this.tcp !== undefined) this.tcp.resetAndDestroy();
      else {
        // Not expected (the capture failed): still abrupt, but a FIN instead of an RST.
        stats.resetsWithoutRst++;
        this.socket.terminate();
      }
    }

    /** Connects, then leaves and comes back at random times (churn) until the end. */
    async life(onFirstOpen) {
      while (!stopping) {
        const opened = await this.open();
        onFirstOpen();
        if (!opened) {
          await Promise.race([sleep(1000), stop]);
          continue;
        }
        if (this.large) this.#largeLoop();
        if (this.slow) this.#slowLoop();
        if (this.churn === 'none') return;
        const period = options['churn-period-s'] * 1000;
        await Promise.race([sleep(between(0.2, 1.8) * period), stop]);
        if (stopping) return;
        if (this.churn === 'reset') {
          this.reset();
          stats.resets++;
        } else {
          await this.leave(15_000);
          stats.cleanLeaves++;
        }
        await Promise.race([sleep(between(0, 5000)), stop]);
      }
    }

    async #largeLoop() {
      const session = this.session;
      while (!stopping && session === this.session && this.isOpen()) {
        await Promise.race([sleep(between(2000, 20_000)), stop]);
        if (stopping || session !== this.session || this.draining) return;
        this.sendLarge();
        // One at a time: the echo of a large message may fill the peer's send buffer alone.
        while (this.pending.length > 0 && session === this.session && this.isOpen())
          await sleep(50);
      }
    }

    async #slowLoop() {
      const session = this.session;
      while (!stopping && session === this.session) {
        await Promise.race([sleep(between(5000, 20_000)), stop]);
        if (stopping || session !== this.session || !this.isOpen() || this.draining) return;
        // A burst that the server must queue while this client does not read (~512 KiB: well
        // under maxBufferedAmount, so it must not be dropped).
        for (let i = 0; i < 16; i++) this.sendEcho(32 * 1024);
        this.socket.pause();
        stats.slowPauses++;
        await Promise.race([sleep(between(2000, 6000)), stop]);
        if (session === this.session) this.socket.resume();
      }
    }
  }

  // Exact shares (not a coin per client), so a small run still has every kind of client.
  const n = options.clients;
  const shuffled = () => [...Array(n).keys()].sort(() => Math.random() - 0.5);
  const share = (name) => Math.round(options[`${name}-share`] * n);
  const byRole = shuffled();
  const large = byRole.slice(0, share('large'));
  const slow = byRole.slice(large.length, large.length + share('slow'));
  const others = byRole.slice(large.length + slow.length);
  const byChurn = shuffled();
  const roles = {
    deflate: new Set(shuffled().slice(0, share('deflate'))),
    large: new Set(large),
    slow: new Set(slow),
    subscriber: new Set(others.slice(0, share('subscribe'))),
    reset: new Set(byChurn.slice(0, share('reset'))),
    reconnect: new Set(byChurn.slice(share('reset'), share('reset') + share('reconnect'))),
  };
  clients = Array.from({ length: n }, (_, i) => new SoakClient(i, roles));
  started = Date.now();
  log(
    `server on port ${listening.port}; ${clients.length} clients (${clients.filter((c) => c.deflate).length} deflate, ${clients.filter((c) => c.subscriber).length} subscribers, ${clients.filter((c) => c.large).length} large, ${clients.filter((c) => c.slow).length} slow, ${clients.filter((c) => c.churn === 'reconnect').length} reconnecting, ${clients.filter((c) => c.churn === 'reset').length} resetting) for ${durationMs / 1000} s`,
  );
  // Connected in batches so the listen backlog never overflows; then each client lives alone.
  const lives = [];
  for (let i = 0; i < clients.length; i += 100) {
    const opened = clients.slice(i, i + 100).map(
      (client) =>
        new Promise((resolve) => {
          lives.push(client.life(resolve));
        }),
    );
    await Promise.all(opened);
  }
  log(`connected in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // Small echoes: each client on its own timer, phase-shifted so the load is spread evenly.
  const senders = clients
    .filter((client) => !client.large)
    .map((client) =>
      setTimeout(function tick() {
        if (stopping) return;
        client.sendEcho();
        client.timer = setTimeout(tick, options['interval-ms']);
      }, Math.random() * options['interval-ms']),
    );

  const progress = setInterval(() => {
    const last = samples.at(-1);
    log(
      `${JSON.stringify(stats)} | server rss ${last ? (last.rss / MiB).toFixed(0) : '?'} MiB, loop p99 ${last?.loop.p99} ms, peers ${last?.peers}`,
    );
  }, 30_000);
  await sleep(Math.max(0, started + warmupMs - Date.now()));
  child.send({ type: 'warm' });
  log('warm-up over');
  await sleep(Math.max(0, started + durationMs - Date.now()));

  // ---- the end: stop, drain, check the tails, everyone leaves, the server must be empty ----
  stopping = true;
  stopped();
  clearInterval(progress);
  for (const timer of senders) clearTimeout(timer);
  for (const client of clients) clearTimeout(client.timer);
  for (const client of clients) if (client.isOpen()) client.socket.resume();
  await Promise.all(lives);
  const { lastSeq, loop: wholeLoop } = await ask('stop-fanout', 'fanout-stopped');
  log(`traffic stopped (last publication ${lastSeq}); draining`);
  await Promise.all(clients.map((client) => client.drain(30_000)));
  const fanoutUntil = Date.now() + 30_000;
  const behind = () =>
    clients.filter((c) => c.subscriber && c.isOpen() && (c.fanoutNext ?? 0) <= lastSeq);
  while (behind().length > 0 && Date.now() < fanoutUntil) await sleep(50);
  for (const client of behind()) stats.fanoutLost += lastSeq + 1 - (client.fanoutNext ?? 0);
  await Promise.all(clients.map((client) => client.leave(1000)));
  log('every client left; waiting for the server to let go');
  let state;
  const emptyUntil = Date.now() + 20_000;
  const leftover = (handles) =>
    Object.entries(handles)
      .filter(([type, count]) => count > (listening.handles[type] ?? 0))
      .map(([type, count]) => `${type}: ${count} (baseline ${listening.handles[type] ?? 0})`);
  do {
    await sleep(250);
    state = await ask('state');
  } while ((state.peers > 0 || leftover(state.handles).length > 0) && Date.now() < emptyUntil);
  child.send({ type: 'stop' });
  await new Promise((resolve) => child.once('exit', resolve));

  // ---- verdict ----------------------------------------------------------------------------
  const failures = [];
  for (const key of INTEGRITY_COUNTS) {
    if (stats[key] > 0) failures.push(`${key}: ${stats[key]}`);
  }
  if (stats.echoReceived === 0) failures.push('no message was echoed');
  if (options['subscribe-share'] > 0 && stats.fanoutReceived === 0)
    failures.push('no publication arrived');

  // The window: from the end of the warm-up to the end of the traffic (not the drain after it).
  const warm = samples.filter((s) => s.t * 1000 >= warmupMs && s.t * 1000 <= durationMs);
  const fit = regression(warm.map((s) => [s.t / 60, s.rss / MiB]));
  const windowMinutes = warm.length > 1 ? (warm.at(-1).t - warm[0].t) / 60 : 0;
  const fittedGrowth = fit.slope * windowMinutes;
  if (warm.length < 3) failures.push(`only ${warm.length} samples after warm-up`);
  if (fit.slope > options['max-slope-mib-per-min'])
    failures.push(
      `RSS slope ${fit.slope.toFixed(2)} MiB/min > ${options['max-slope-mib-per-min']} MiB/min`,
    );
  if (fittedGrowth > options['max-growth-mib'])
    failures.push(`RSS grew ${fittedGrowth.toFixed(1)} MiB > ${options['max-growth-mib']} MiB`);
  if (wholeLoop.p99 >= options['max-loop-p99-ms'])
    failures.push(`event-loop p99 ${wholeLoop.p99} ms >= ${options['max-loop-p99-ms']} ms`);
  if (state.peers !== 0) failures.push(`${state.peers} peers left on the server`);
  const left = leftover(state.handles);
  if (left.length > 0) failures.push(`handles left: ${left.join(', ')}`);

  const heapFit = regression(warm.map((s) => [s.t / 60, s.heapUsed / MiB]));
  const mib = (bytes) => +(bytes / MiB).toFixed(1);
  const summary = {
    ok: failures.length === 0,
    failures,
    clients: options.clients,
    durationSeconds: durationMs / 1000,
    ...stats,
    unexpectedCloseCodes,
    serverErrors: state.errors,
    serverCloseCodes: state.closeCodes,
    serverMaxQueuedBytes: state.maxQueued,
    memory: {
      baselineRssMiB: mib(listening.rss),
      warmRssMiB: warm.length > 0 ? mib(warm[0].rss) : null,
      endRssMiB: warm.length > 0 ? mib(warm.at(-1).rss) : null,
      peakRssMiB: mib(Math.max(...samples.map((s) => s.rss))),
      afterLeaveRssMiB: mib(state.rss),
      afterLeaveHeapMiB: mib(state.heapUsed),
      rssSlopeMiBPerMin: +fit.slope.toFixed(3),
      rssFittedGrowthMiB: +fittedGrowth.toFixed(1),
      heapSlopeMiBPerMin: +heapFit.slope.toFixed(3),
      windowMinutes: +windowMinutes.toFixed(2),
      maxSlopeMiBPerMin: options['max-slope-mib-per-min'],
      maxGrowthMiB: options['max-growth-mib'],
    },
    loop: {
      ...wholeLoop,
      boundP99Ms: options['max-loop-p99-ms'],
      worstIntervalP99: Math.max(0, ...warm.map((s) => s.loop.p99)),
      // The clients' process, to tell a starved driver from a slow server.
      driverWorstIntervalP99: Math.max(0, ...warm.map((s) => s.driverLoop.p99)),
      intervalsOverBound: warm.filter((s) => s.loop.p99 >= options['max-loop-p99-ms']).length,
      intervals: warm.length,
    },
    after: {
      peers: state.peers,
      handles: state.handles,
      baselineHandles: listening.handles,
    },
    machine: { cpus: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)) },
  };
  if (options.report !== undefined) writeReport(options, summary, samples, warmupMs);
  console.log(JSON.stringify(summary));
  process.exit(summary.ok ? 0 : 1);
}

/** Least squares line through [x, y] points. */
function regression(points) {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.[1] ?? 0 };
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

function writeReport(options, summary, samples, warmupMs) {
  const dir = options.report;
  mkdirSync(dir, { recursive: true });
  const minutes = (s) => +(s.t / 60).toFixed(3);
  const marks = [
    { x: warmupMs / 60_000, name: 'warm-up over' },
    { x: summary.durationSeconds / 60, name: 'traffic stops' },
  ];
  const charts = {
    'memory.svg': lineChart({
      title: 'Server memory',
      xLabel: 'minutes',
      marks,
      yLabel: 'MiB',
      series: [
        { name: 'RSS', points: samples.map((s) => [minutes(s), s.rss / MiB]) },
        { name: 'heap used', points: samples.map((s) => [minutes(s), s.heapUsed / MiB]) },
        {
          name: 'external + array buffers',
          points: samples.map((s) => [minutes(s), (s.external + s.arrayBuffers) / MiB]),
        },
      ],
    }),
    'event-loop.svg': lineChart({
      title: `Server event-loop delay per ${options['sample-seconds']} s interval`,
      xLabel: 'minutes',
      marks,
      yLabel: 'ms',
      series: [
        { name: 'p50', points: samples.map((s) => [minutes(s), s.loop.p50]) },
        { name: 'p99', points: samples.map((s) => [minutes(s), s.loop.p99]) },
      ],
      lines: [{ y: options['max-loop-p99-ms'], name: `bound ${options['max-loop-p99-ms']} ms` }],
    }),
    'clients.svg': lineChart({
      title: 'Connections and messages',
      xLabel: 'minutes',
      marks,
      yLabel: 'count',
      series: [
        { name: 'server peers', points: samples.map((s) => [minutes(s), s.peers]) },
        {
          name: 'messages/s received by clients',
          points: samples.map((s) => [minutes(s), s.received / options['sample-seconds']]),
        },
        {
          name: 'messages/s sent by clients',
          points: samples.map((s) => [minutes(s), s.sent / options['sample-seconds']]),
        },
      ],
    }),
  };
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(dir, name), svg);
  writeFileSync(
    join(dir, 'report.json'),
    `${JSON.stringify({ options, summary, samples, warmupSeconds: warmupMs / 1000 }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'report.md'), markdown(options, summary, warmupMs));
}

function markdown(options, s, warmupMs) {
  const m = s.memory;
  const l = s.loop;
  const verdict = (ok) => (ok ? 'pass' : '**fail**');
  const integrityErrors = INTEGRITY_COUNTS.reduce((a, k) => a + s[k], 0);
  const leftHandles = s.failures.some((f) => f.startsWith('handles') || f.includes('peers left'));
  return `# Soak report

Generated by \`node scripts/soak.mjs ${process.argv.slice(2).join(' ')}\` on
${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (Node ${process.version},
${s.machine.cpus} CPUs, load average at the end ${s.machine.loadavg.join(' / ')}).

**Verdict: ${s.ok ? 'all checks passed' : `FAILED: ${s.failures.join('; ')}`}.**

| Check | Bound | Measured | Result |
| --- | --- | --- | --- |
| Integrity errors (loss, duplicate, reorder, corruption, unexpected close, failed connect) | 0 | ${integrityErrors} | ${verdict(integrityErrors === 0)} |
| RSS slope after warm-up (least squares over ${l.intervals} samples, ${m.windowMinutes} min) | ≤ ${m.maxSlopeMiBPerMin} MiB/min | ${m.rssSlopeMiBPerMin} MiB/min | ${verdict(m.rssSlopeMiBPerMin <= m.maxSlopeMiBPerMin)} |
| RSS growth fitted over that window | ≤ ${m.maxGrowthMiB} MiB | ${m.rssFittedGrowthMiB} MiB | ${verdict(m.rssFittedGrowthMiB <= m.maxGrowthMiB)} |
| Event-loop delay p99, whole run after warm-up | < ${l.boundP99Ms} ms | ${l.p99} ms | ${verdict(l.p99 < l.boundP99Ms)} |
| Peers and handles after every client left | 0 peers, handles ≤ baseline | ${s.after.peers} peers, ${Object.values(s.after.handles).reduce((a, b) => a + b, 0)} handles (baseline ${Object.values(s.after.baselineHandles).reduce((a, b) => a + b, 0)}) | ${verdict(!leftHandles)} |

## Load

${s.clients} clients for ${s.durationSeconds / 60} minutes against one server process; warm-up
${warmupMs / 1000} s. Shares of the clients (exact counts, chosen at random): ${options['deflate-share']}
offer permessage-deflate; ${options['subscribe-share']} subscribe to the fan-out topic
(published every ${options['fanout-ms']} ms); ${options['large-share']} send large binary
messages (${options['large-min-kib']} KiB to ${options['large-max-kib']} KiB, log-uniform, one at a
time); ${options['slow-share']} are slow readers (queue a 512 KiB burst, stop reading 2 to 6 s,
resume); ${options['reconnect-share']} leave cleanly and come back and ${options['reset-share']}
reset their TCP connection (RST) and come back, each about every ${options['churn-period-s']} s.
The others send a small echo (16 to 2,016 characters, about half over the 1 KiB deflate
threshold) every ${options['interval-ms']} ms.

| | Count |
| --- | --- |
| Echoes sent / received back | ${s.echoSent} / ${s.echoReceived} |
| Large messages sent / received back (bytes sent) | ${s.largeSent} / ${s.largeReceived} (${(s.largeBytes / MiB).toFixed(1)} MiB) |
| Publications received by subscribers | ${s.fanoutReceived} |
| Sessions (connections opened) | ${s.sessions} |
| Clean leaves / TCP resets | ${s.cleanLeaves} / ${s.resets} |
| Slow-reader pauses | ${s.slowPauses} |
| Messages in flight on connections the client reset (not expected back, not counted lost) | ${s.inFlightAtReset} |
| Lost / duplicated / out of order / corrupted echoes | ${s.lost} / ${s.duplicated} / ${s.outOfOrder} / ${s.corrupted} |
| Lost / duplicated / corrupted publications | ${s.fanoutLost} / ${s.fanoutDuplicated} / ${s.fanoutCorrupted} |
| Unexpected closes / failed connects | ${s.unexpectedCloses} / ${s.connectFailures} |
| Close codes seen by the server | ${Object.entries(s.serverCloseCodes)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')} |
| Largest send queue the server held for one peer (after an echo) | ${(s.serverMaxQueuedBytes / 1024).toFixed(0)} KiB |
| Errors reported by the server's error hook | ${
    Object.entries(s.serverErrors)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || 'none'
  } |

## Memory

Server RSS: ${m.baselineRssMiB} MiB before the first client, ${m.warmRssMiB} MiB at the end of the
warm-up, ${m.endRssMiB} MiB at the last sample under load (peak ${m.peakRssMiB} MiB),
${m.afterLeaveRssMiB} MiB after every client left (after a forced GC; heap used
${m.afterLeaveHeapMiB} MiB). Slope after warm-up: ${m.rssSlopeMiBPerMin} MiB/min for RSS,
${m.heapSlopeMiBPerMin} MiB/min for the heap used (samples taken without forcing GC, so the heap
saw-tooths). The bound held: at most ${m.maxSlopeMiBPerMin} MiB/min and at most
${m.maxGrowthMiB} MiB fitted over the window.

![Server memory](memory.svg)

## Event-loop delay

Measured in the server with \`monitorEventLoopDelay\` (resolution ${RESOLUTION_MS} ms; the delay is
the time past the resolution). Whole run after warm-up: p50 ${l.p50} ms, p99 ${l.p99} ms, max
${l.max} ms. Per ${options['sample-seconds']} s interval: worst p99 ${l.worstIntervalP99} ms;
${l.intervalsOverBound} of ${l.intervals} intervals had a p99 at or over ${l.boundP99Ms} ms. The
clients' process (same machine), for context: worst interval p99 ${l.driverWorstIntervalP99} ms.

![Event-loop delay](event-loop.svg)

## Connections

![Connections and messages](clients.svg)

## After every client left

Server peers: ${s.after.peers}. Active handles by type (before the first client → after every
client left): ${Object.keys({ ...s.after.baselineHandles, ...s.after.handles })
    .map((k) => `${k} ${s.after.baselineHandles[k] ?? 0} → ${s.after.handles[k] ?? 0}`)
    .join(', ')}.
`;
}

if (process.argv[2] === '--server') await runServer();
else await runDriver();
