// The load generator of the fan-out benchmark (run by fanout.mjs, never on its own): holds
// every subscriber connection in one process, on raw `net` sockets, so a delivery costs the
// same few steps whichever server sent it: parse a frame header, read the payload as text,
// take the sequence number and publish time out of it with one regular expression.
//
// Two client protocols on the same code:
//   wskit     a plain WebSocket (RFC 6455) to `/`; the server subscribes it on open.
//   socketio  socket.io's own protocol (Engine.IO 4) over a plain WebSocket, as
//             socket.io-client with `transports: ['websocket']` speaks it: GET
//             /socket.io/?EIO=4&transport=websocket, the server's open packet `0{...}`, our
//             namespace connect `40`, its `40{"sid"}`; pings `2` are answered `3`. Events arrive
//             as `42["m",{...}]`.
//
// JSON lines with fanout.mjs on stdin/stdout, one reply per command:
//   {"command": "open", "ports", "count", "protocol"}  -> {"opened", "ms"}
//   {"command": "expect", "first", "count"}            -> {"ok"}   (starts a measurement)
//   {"command": "collect", "timeoutMs"}                 -> the measurement's figures, once every
//        connection has every expected message or the time is up (then losses are counted).
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { createInterface } from 'node:readline';

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 §1.3

const now = () => performance.timeOrigin + performance.now();
const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

/** A masked client frame (RFC 6455 §5.2-5.3); client frames must be masked. Small payloads. */
function maskedFrame(opcode, payload) {
  const bytes = Buffer.from(payload);
  if (bytes.length > 125) throw new Error('control replies and packets here are short');
  const mask = randomBytes(4);
  const frame = Buffer.allocUnsafe(6 + bytes.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | bytes.length;
  mask.copy(frame, 2);
  for (let i = 0; i < bytes.length; i++) frame[6 + i] = bytes[i] ^ mask[i & 3];
  return frame;
}

const CONNECT_PACKET = maskedFrame(OPCODE_TEXT, '40'); // Socket.IO CONNECT to namespace "/"
const PONG_PACKET = maskedFrame(OPCODE_TEXT, '3'); // Engine.IO pong

// ---------------------------------------------------------------------------------------
// The measurement in progress

const PUBLISHED = /"seq":(\d+),"t":([\d.]+)/;

let measure = {
  first: 0,
  count: 0,
  latencies: new Float32Array(0),
  filled: 0,
  received: new Int32Array(0),
  lastSeq: new Int32Array(0),
  duplicates: 0,
  reordered: 0,
  stray: 0,
  firstPublishedAt: Number.POSITIVE_INFINITY,
  lastReceivedAt: 0,
  onProgress: () => {},
};

function onPublished(connection, text) {
  const match = PUBLISHED.exec(text);
  if (match === null) {
    measure.stray++;
    return;
  }
  const at = now();
  const seq = Number(match[1]);
  const sentAt = Number(match[2]);
  const m = measure;
  const offset = seq - m.first;
  if (offset < 0 || offset >= m.count) {
    m.stray++; // a straggler of an earlier measurement
    return;
  }
  const index = connection.index;
  if (seq <= m.lastSeq[index]) {
    if (seq === m.lastSeq[index]) m.duplicates++;
    else m.reordered++;
  }
  m.lastSeq[index] = Math.max(m.lastSeq[index], seq);
  m.received[index]++;
  m.latencies[m.filled++] = at - sentAt;
  if (sentAt < m.firstPublishedAt) m.firstPublishedAt = sentAt;
  m.lastReceivedAt = at;
  if (m.filled === m.latencies.length) m.onProgress();
}

// ---------------------------------------------------------------------------------------
// Connections

const connections = [];
let closedUnexpectedly = 0;

class Connection {
  index;
  socket;
  protocol;
  /** Bytes of a frame not complete yet. */
  pending = null;
  /** 'http' until the 101, then 'engine' (socket.io: until `40{...}`), then 'open'. */
  state = 'http';
  ready;
  #key = randomBytes(16).toString('base64');

  constructor(index, port, protocol) {
    this.index = index;
    this.protocol = protocol;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    const path = protocol === 'socketio' ? '/socket.io/?EIO=4&transport=websocket' : '/';
    this.socket = net.connect({ port, host: '127.0.0.1' }, () => {
      this.socket.setNoDelay(true);
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('data', (chunk) => this.#onData(chunk));
    this.socket.on('error', (error) => this.rejectReady(error));
    this.socket.on('close', () => {
      if (this.state === 'open') closedUnexpectedly++;
      this.state = 'closed';
      this.rejectReady(new Error(`connection ${index} closed before it was ready`));
    });
  }

  #onData(chunk) {
    let bytes = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    if (this.state === 'http') {
      const end = bytes.indexOf('\r\n\r\n');
      if (end === -1) {
        this.pending = bytes;
        return;
      }
      const head = bytes.toString('latin1', 0, end);
      const accept = createHash('sha1')
        .update(this.#key + GUID)
        .digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) {
        this.rejectReady(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
        this.socket.destroy();
        return;
      }
      bytes = bytes.subarray(end + 4);
      if (this.protocol === 'socketio') this.state = 'engine';
      else {
        this.state = 'open';
        this.resolveReady();
      }
    }
    this.#frames(bytes);
  }

  /** Reads whole frames; keeps a partial one for the next chunk (RFC 6455 §5.2). */
  #frames(bytes) {
    let position = 0;
    while (bytes.length - position >= 2) {
      const first = bytes[position];
      const code = bytes[position + 1] & 0x7f;
      const headerSize = code === 126 ? 4 : code === 127 ? 10 : 2;
      if (bytes.length - position < headerSize) break;
      const length =
        code === 126
          ? bytes.readUInt16BE(position + 2)
          : code === 127
            ? Number(bytes.readBigUInt64BE(position + 2))
            : code;
      const start = position + headerSize;
      if (bytes.length - start < length) break;
      this.#frame(first & 0x0f, (first & 0x80) !== 0, bytes, start, start + length);
      position = start + length;
    }
    if (position < bytes.length) this.pending = Buffer.from(bytes.subarray(position));
  }

  #frame(opcode, fin, bytes, start, end) {
    if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      // Neither server fragments messages this small: a fragment is counted as a stray
      // message (reported), never parsed as half a delivery.
      if (!fin) {
        measure.stray++;
        return;
      }
      const text = bytes.toString('latin1', start, end);
      if (this.protocol === 'wskit') onPublished(this, text);
      else this.#engineIo(text);
    } else if (opcode === OPCODE_PING) {
      this.socket.write(maskedFrame(OPCODE_PONG, bytes.subarray(start, end)));
    } else if (opcode === OPCODE_CLOSE) {
      this.socket.end(maskedFrame(OPCODE_CLOSE, bytes.subarray(start, Math.min(end, start + 2))));
    }
  }

  /** Engine.IO / Socket.IO packets: 0 open, 2 ping, 40 connected, 42 event. */
  #engineIo(text) {
    if (text.startsWith('42')) onPublished(this, text);
    else if (text === '2') this.socket.write(PONG_PACKET);
    else if (text.startsWith('0')) this.socket.write(CONNECT_PACKET);
    else if (text.startsWith('40')) {
      this.state = 'open';
      this.resolveReady();
    } else if (text.startsWith('44')) {
      this.rejectReady(new Error(`namespace connect refused: ${text}`));
    }
  }
}

/** Opens `count` connections spread evenly over `ports`, a bounded number at a time. */
async function open({ ports, count, protocol, concurrency = 100 }) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const connection = new Connection(index, ports[index % ports.length], protocol);
      connections.push(connection);
      await connection.ready;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opened: connections.length, ms: Math.round(performance.now() - started) };
}

function expect({ first, count }) {
  const n = connections.length;
  measure = {
    first,
    count,
    latencies: new Float32Array(n * count),
    filled: 0,
    received: new Int32Array(n),
    lastSeq: new Int32Array(n).fill(first - 1),
    duplicates: 0,
    reordered: 0,
    stray: 0,
    firstPublishedAt: Number.POSITIVE_INFINITY,
    lastReceivedAt: 0,
    onProgress: () => {},
  };
  return { ok: true };
}

const percentile = (sorted, p) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function collect({ timeoutMs }) {
  const m = measure;
  if (m.filled < m.latencies.length) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      m.onProgress = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  const sorted = m.latencies.slice(0, m.filled).sort();
  let subscribersMissing = 0;
  let subscribersShort = 0;
  for (const got of m.received) {
    if (got === 0) subscribersMissing++;
    else if (got < m.count) subscribersShort++;
  }
  const expected = m.latencies.length;
  const spanMs = m.lastReceivedAt - m.firstPublishedAt;
  return {
    expected,
    delivered: m.filled,
    lost: expected - m.filled,
    subscribersMissing,
    subscribersShort,
    duplicates: m.duplicates,
    reordered: m.reordered,
    stray: m.stray,
    closedUnexpectedly,
    spanMs,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
    // The latency distribution for the chart: every whole percentile.
    cdf: Array.from({ length: 101 }, (_, p) => percentile(sorted, p)),
  };
}

const commands = { open, expect, collect };
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const request = JSON.parse(line);
  try {
    const command = commands[request.command];
    if (command === undefined) throw new Error(`unknown command ${request.command}`);
    reply(await command(request));
  } catch (error) {
    reply({ error: String(error?.stack ?? error) });
  }
});
lines.on('close', () => {
  for (const connection of connections) connection.socket.destroy();
  process.exit(0);
});
