// The load generator: one process, the same for every server. Raw `net` sockets and frames
// built once before the clock starts (masked with a fixed key, compressed up front when
// permessage-deflate is on), so a message costs it a header parse and a `write` of bytes it
// already has, whichever server is on the other side.
//
// Speaks line-delimited JSON on stdin/stdout with run.mjs: one command in, one reply out.
// Connections opened by `open` stay open across commands until `closeAll` or stdin ends.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { constants, deflateRawSync } from 'node:zlib';

const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;
const OPCODE_CLOSE = 8;
const OPCODE_PING = 9;
const OPCODE_PONG = 10;
const HEADER_END = Buffer.from('\r\n\r\n');
const SWITCHING = Buffer.from('HTTP/1.1 101 ');

// ---------------------------------------------------------------------------------------
// Frames

/** A masked client frame (RFC 6455 §5.2), built once and written many times. */
export function maskedFrame(opcode, payload, rsv1 = false) {
  const length = payload.length;
  const lengthBytes = length <= 125 ? 0 : length <= 0xffff ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + 4 + length);
  frame[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  let position = 2;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
    position = 4;
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
    position = 10;
  }
  const mask = randomBytes(4);
  mask.copy(frame, position);
  position += 4;
  for (let i = 0; i < length; i++) frame[position + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/** RFC 7692 §7.2.1: raw DEFLATE ending in a sync flush, its 00 00 ff ff trailer removed. */
function compressMessage(payload, windowBits) {
  const compressed = deflateRawSync(payload, {
    finishFlush: constants.Z_SYNC_FLUSH,
    windowBits: Math.max(9, windowBits),
  });
  return compressed.subarray(0, compressed.length - 4);
}

/** Deterministic, JSON-like ASCII text: compresses about as well as real chat traffic. */
export function makePayload(size, binary, variant = 0) {
  let seed = 0x2545f491 + variant;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = ['alice', 'bob', 'carol', 'hello', 'world', 'message', 'room', 'typing', 'ok'];
  let text = '';
  while (text.length < size) {
    const word = words[Math.floor(random() * words.length)];
    text += `{"id":${Math.floor(random() * 100000)},"user":"${word}","n":${Math.floor(random() * 1000)}},`;
  }
  const bytes = Buffer.from(text.slice(0, size), 'latin1');
  if (binary) for (let i = 0; i < bytes.length; i += 7) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/**
 * Counts whole data messages in the server's frames without copying payloads (unmasked; the
 * floor server's echoed client frames are masked, the key is skipped with the header).
 * Partial headers are carried over; payload bytes are skipped.
 */
class FrameCounter {
  remaining = 0;
  /** @type {Buffer | null} */
  pendingHeader = null;
  countable = false;
  closed = false;
  /** @type {Buffer[] | null} the pieces of the ping being read; null outside a ping */
  ping = null;

  /**
   * @param {(payload: Buffer) => void} onPing called with each complete ping's payload: the
   * generator answers like any client (RFC 6455 §5.5.2), or a server with a heartbeat (as
   * @wskit/node has by default: 30 s, then 10 s for the pong) drops connections kept open
   * longer than that, such as the idle ones.
   */
  constructor(onPing) {
    this.onPing = onPing;
  }

  /** Feeds one chunk; returns how many messages it completed. */
  feed(chunk) {
    let position = 0;
    let completed = 0;
    const length = chunk.length;
    if (this.pendingHeader !== null) {
      const joined = Buffer.concat([this.pendingHeader, chunk.subarray(0, 14)]);
      if (!this.#header(joined, 0)) {
        this.pendingHeader = joined;
        return 0;
      }
      position = headerSize - this.pendingHeader.length;
      this.pendingHeader = null;
      if (this.remaining === 0) completed += this.#end();
    }
    while (position < length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, length - position);
        if (this.ping !== null)
          this.ping.push(Buffer.from(chunk.subarray(position, position + take)));
        position += take;
        this.remaining -= take;
        if (this.remaining === 0) completed += this.#end();
        continue;
      }
      if (!this.#header(chunk, position)) {
        this.pendingHeader = Buffer.from(chunk.subarray(position));
        break;
      }
      position += headerSize;
      if (this.remaining === 0) completed += this.#end();
    }
    return completed;
  }

  #header(bytes, offset) {
    const available = bytes.length - offset;
    if (available < 2) return false;
    const first = bytes[offset];
    const code = bytes[offset + 1] & 0x7f;
    // Masked frames come back only from the floor server, which echoes the client's bytes.
    const maskSize = (bytes[offset + 1] & 0x80) !== 0 ? 4 : 0;
    const size = (code === 126 ? 4 : code === 127 ? 10 : 2) + maskSize;
    if (available < size) return false;
    const opcode = first & 0x0f;
    this.countable = (first & 0x80) !== 0 && opcode <= OPCODE_BINARY;
    if (opcode === OPCODE_CLOSE) this.closed = true;
    this.ping = opcode === OPCODE_PING ? [] : null;
    this.remaining =
      code === 126
        ? bytes.readUInt16BE(offset + 2)
        : code === 127
          ? Number(bytes.readBigUInt64BE(offset + 2))
          : code;
    headerSize = size;
    return true;
  }

  #end() {
    if (this.ping !== null) {
      this.onPing(Buffer.concat(this.ping));
      this.ping = null;
    }
    return this.countable ? 1 : 0;
  }
}
let headerSize = 0;

// ---------------------------------------------------------------------------------------
// Connections

function upgradeRequest(port, deflate) {
  return Buffer.from(
    'GET / HTTP/1.1\r\n' +
      `Host: 127.0.0.1:${port}\r\n` +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Version: 13\r\n' +
      // What browsers offer.
      (deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' : '') +
      '\r\n',
  );
}

/** Opens one WebSocket over a raw socket; resolves once the 101 is in. */
function openConnection(port, request, deflate, localAddress) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress, noDelay: true });
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf(HEADER_END);
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      const text = head.subarray(0, end).toString('latin1');
      if (!text.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`handshake refused: ${text.split('\r\n')[0]}`));
        return;
      }
      const extensions = /^sec-websocket-extensions:(.*)$/im.exec(text)?.[1] ?? '';
      if (deflate && !extensions.includes('permessage-deflate')) {
        socket.destroy();
        reject(new Error('the server did not accept permessage-deflate'));
        return;
      }
      const windowBits = Number(/client_max_window_bits=(\d+)/.exec(extensions)?.[1] ?? 15);
      socket.on('error', () => {});
      const counter = new FrameCounter((payload) =>
        socket.write(maskedFrame(OPCODE_PONG, payload)),
      );
      // Between commands the connection still reads, to answer pings; a command that reads
      // its messages swaps this listener for its own (`readWith`), which feeds the same counter.
      const idle = (chunk) => counter.feed(chunk);
      const connection = { socket, counter, windowBits, idle };
      socket.on('data', idle);
      const rest = head.subarray(end + 4);
      if (rest.length > 0) counter.feed(rest);
      resolve(connection);
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.once('connect', () => socket.write(request));
  });
}

/**
 * Connections from one loopback source address to the server's one address and port: each needs
 * an ephemeral port of its own, so one source runs out after the local port range
 * (/proc/sys/net/ipv4/ip_local_port_range, 28,232 by default), less a margin for ports still in
 * TIME_WAIT from earlier scenarios.
 */
const PER_SOURCE = perSourceAddress();

function perSourceAddress() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1')
      .trim()
      .split(/\s+/)
      .map(Number);
    return Math.max(1000, high - low + 1 - 4000);
  } catch {
    return 20_000;
  }
}

/**
 * The source address of the `index`th connection opened by `open`: 127.0.0.1 for the first
 * `perSource`, then 127.0.0.2 and so on (Linux routes all of 127.0.0.0/8 to the loopback
 * interface), so that idle-memory runs can go past one address's ports (`run.mjs --idle`).
 * `undefined` (the system's choice, 127.0.0.1) for the first block.
 */
function sourceAddress(index, perSource) {
  const block = Math.floor(index / perSource);
  if (block === 0) return undefined;
  if (block > 253) throw new Error(`${index} connections need more than 254 source addresses`);
  return `127.0.0.${block + 1}`;
}

/**
 * Opens `count` connections, `concurrency` handshakes at a time; `first` is how many `open`
 * already holds, so that source addresses follow on (see `sourceAddress`).
 */
async function openMany(
  port,
  count,
  deflate,
  { concurrency = 200, first = 0, perSource = PER_SOURCE } = {},
) {
  const request = upgradeRequest(port, deflate);
  const connections = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const localAddress = sourceAddress(first + index, perSource);
      connections[index] = await openConnection(port, request, deflate, localAddress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return connections;
}

/**
 * Reads `connection` with `listener` (which must feed `connection.counter`) instead of the idle
 * reader; returns the function that puts the idle reader back.
 */
function readWith(connection, listener) {
  const { socket, idle } = connection;
  socket.off('data', idle);
  socket.on('data', listener);
  return () => {
    socket.off('data', listener);
    socket.on('data', idle);
  };
}

function frameFor(size, binary, deflate, windowBits, variant = 0) {
  const payload = makePayload(size, binary, variant);
  const opcode = binary ? OPCODE_BINARY : OPCODE_TEXT;
  return deflate
    ? maskedFrame(opcode, compressMessage(payload, windowBits), true)
    : maskedFrame(opcode, payload);
}

// ---------------------------------------------------------------------------------------
// Commands

let open = [];

/**
 * The measurement window: tells run.mjs when it opens and closes (so it can sample the
 * server's CPU time) and measures this process's own CPU share.
 */
function startWindow() {
  reply({ event: 'window-start' });
  const start = performance.now();
  const cpu = process.cpuUsage();
  return {
    end() {
      const elapsed = performance.now() - start;
      const used = process.cpuUsage(cpu);
      reply({ event: 'window-end' });
      return { seconds: elapsed / 1000, loadCpu: (used.user + used.system) / 1000 / elapsed };
    },
  };
}

const commands = {
  /**
   * Pipelined echo: every connection keeps `inflight` messages outstanding and sends one more
   * for each echo. Counts echoes over `duration` ms after `warmup` ms.
   */
  async echo({ port, connections, inflight, size, binary, deflate, distinct, warmup, duration }) {
    const sockets = await openMany(port, connections, deflate);
    const frame = frameFor(size, binary, deflate, sockets[0].windowBits);
    const batch = Buffer.concat(Array.from({ length: inflight }, () => frame));
    const slices = Array.from({ length: inflight + 1 }, (_, n) =>
      batch.subarray(0, n * frame.length),
    );
    // `distinct`: each connection cycles through that many different messages of the same
    // size instead of repeating one, so no message is a copy of one still in the
    // permessage-deflate window (real traffic rarely repeats a whole 16 KiB message).
    const cycle = distinct
      ? Array.from({ length: distinct }, (_, variant) =>
          frameFor(size, binary, deflate, sockets[0].windowBits, variant),
        )
      : undefined;
    const ring = cycle && Buffer.concat([...cycle, ...cycle]);
    const offsets = [0];
    for (const next of cycle ? [...cycle, ...cycle] : [])
      offsets.push(offsets.at(-1) + next.length);
    const framesFrom = (start, n) => ring.subarray(offsets[start], offsets[start + n]);
    let counting = false;
    let stopped = false;
    let count = 0;
    for (const connection of sockets) {
      const { socket, counter } = connection;
      let next = 0;
      const send = (n) => {
        if (cycle === undefined) return socket.write(slices[n]);
        socket.write(framesFrom(next, n));
        next = (next + n) % cycle.length;
      };
      readWith(connection, (chunk) => {
        const n = counter.feed(chunk);
        if (n === 0) return;
        if (counting) count += n;
        if (!stopped) send(Math.min(n, inflight));
      });
      send(inflight);
    }
    await sleep(warmup);
    count = 0;
    counting = true;
    const window = startWindow();
    await sleep(duration);
    const messages = count;
    const { seconds, loadCpu } = window.end();
    stopped = true;
    for (const { socket } of sockets) socket.destroy();
    await sleep(200);
    return { messages, seconds, loadCpu, frameBytes: frame.length };
  },

  /** `parallel` loops of connect, handshake, close (client close frame, server closes TCP). */
  async handshakes({ port, parallel, warmup, duration }) {
    const request = upgradeRequest(port, false);
    const closeFrame = maskedFrame(OPCODE_CLOSE, Buffer.from([0x03, 0xe8]));
    let counting = false;
    let stopped = false;
    let count = 0;
    let failures = 0;
    // Kept cheap so that the generator is not what limits the rate: the request is written
    // before 'connect' (net queues it), and the 101 is recognised from its first bytes
    // without building strings; a head split over chunks is joined only then.
    const once = () =>
      new Promise((resolve) => {
        const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
        let head;
        let upgraded = false;
        socket.write(request);
        socket.on('data', (chunk) => {
          if (upgraded) return;
          head = head === undefined ? chunk : Buffer.concat([head, chunk]);
          if (head.indexOf(HEADER_END) === -1) return;
          upgraded = head.compare(SWITCHING, 0, SWITCHING.length, 0, SWITCHING.length) === 0;
          if (upgraded) socket.write(closeFrame);
          else socket.destroy();
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(upgraded));
      });
    const loop = async () => {
      while (!stopped) {
        const ok = await once();
        if (!ok) failures++;
        else if (counting && !stopped) count++;
      }
    };
    const loops = Array.from({ length: parallel }, loop);
    await sleep(warmup);
    count = 0;
    counting = true;
    const window = startWindow();
    await sleep(duration);
    const handshakes = count;
    const { seconds, loadCpu } = window.end();
    stopped = true;
    await Promise.all(loops);
    return { handshakes, seconds, loadCpu, failures };
  },

  /** Opens `count` more idle connections and keeps them. */
  async open({ port, count, deflate, perSource }) {
    const start = performance.now();
    // Added to the connections already open (the memory test opens them in steps).
    open = open.concat(await openMany(port, count, deflate, { first: open.length, perSource }));
    return { opened: open.length, seconds: (performance.now() - start) / 1000 };
  },

  /** Every open connection sends `messages` messages and waits for their echoes. */
  async exchange({ messages, size, binary, deflate }) {
    const frame = frameFor(size, binary, deflate, open[0].windowBits);
    const batch = Buffer.concat(Array.from({ length: messages }, () => frame));
    await Promise.all(
      open.map(
        (connection) =>
          new Promise((resolve) => {
            let received = 0;
            const done = readWith(connection, (chunk) => {
              received += connection.counter.feed(chunk);
              if (received < messages) return;
              done();
              resolve();
            });
            connection.socket.write(batch);
          }),
      ),
    );
    return { connections: open.length, messages };
  },

  /**
   * Broadcast latency: connection 0 sends one message, the server sends it to its `receivers`
   * subscribers (default: every connection), `messages` times if its `burst` is set so; the
   * time runs until that many connections have received them all. `rounds` after one warmup.
   */
  async publish({ rounds, size, receivers = open.length, messages = 1 }) {
    const frame = maskedFrame(OPCODE_TEXT, makePayload(size, false));
    const times = [];
    let pending = 0;
    let finish = () => {};
    // Messages each connection still waits for in this round.
    const left = new Int32Array(open.length);
    const restore = open.map((connection, index) =>
      readWith(connection, (chunk) => {
        const count = connection.counter.feed(chunk);
        if (count === 0 || left[index] <= 0) return;
        left[index] -= count;
        if (left[index] <= 0 && --pending === 0) finish();
      }),
    );
    for (let round = 0; round <= rounds; round++) {
      left.fill(messages);
      pending = receivers;
      const done = new Promise((resolve) => {
        finish = resolve;
      });
      const start = performance.now();
      open[0].socket.write(frame);
      await done;
      if (round > 0) times.push(performance.now() - start);
      await sleep(50);
    }
    for (const idle of restore) idle();
    return { times, receivers };
  },

  async closeAll() {
    for (const { socket } of open) socket.destroy();
    open = [];
    await sleep(200);
    return { closed: true };
  },
};

// Run as a program (not when imported for its frame helpers).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const input = createInterface({ input: process.stdin });
  input.on('line', async (line) => {
    const { command, ...options } = JSON.parse(line);
    try {
      const run = commands[command];
      if (run === undefined) throw new Error(`unknown command ${command}`);
      reply(await run(options));
    } catch (error) {
      reply({ error: error.message });
    }
  });
  input.on('close', () => process.exit(0));
  reply({ ready: true });
}

function reply(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
