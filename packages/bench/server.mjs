// One benchmark server process: `node --expose-gc server.mjs --impl wskit|ws|floor [--deflate]
// [--broadcast]`. Listens on 127.0.0.1 port 0 and speaks line-delimited JSON on stdin/stdout
// with run.mjs: the first line it prints is `{ ready, port, impl, bufferutil }`; then each
// command line gets one reply line. It exits when stdin ends (so `--cpu-prof` can write).
//
// Behaviour is the same for both implementations: echo text as text and binary as binary, or
// with --broadcast send every received message to all connections (ours: `server.publish` to a
// topic every peer subscribed to on the `subscribe` command; ws: a loop of `client.send`). The
// `burst` command makes each received message go out that many times, one publish (or loop of
// sends) after the other, as a server relaying a batch of updates does.
//
// Run plain ws with WS_NO_BUFFER_UTIL=1 in the environment: ws then skips bufferutil.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { GCProfiler, getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { optionValue } from './options.mjs';

const args = process.argv.slice(2);
const impl = optionValue('--impl');
const deflate = args.includes('--deflate');
const broadcast = args.includes('--broadcast');
const TOPIC = 'bench';

/** Server-side time spent in each broadcast call, in ms. */
const broadcastTimes = [];
/**
 * Records a broadcast's time once the callback's queued work is done: @wskit/node hands the
 * messages sent in a callback to the kernel in a `nextTick` (write batching), and a `nextTick`
 * queued after it runs after it. For ws and the floor, whose writes are synchronous, this adds
 * nothing.
 */
function recordBroadcast(start) {
  process.nextTick(() => broadcastTimes.push(performance.now() - start));
}
/** How many times each received message is broadcast (the `burst` command). */
let burst = 1;

let subscribeAll = (_count) => {};
let clientCount = () => 0;
let port;
let bufferutilLoaded = false;
let copyBytes = 0;

if (impl === 'wskit') {
  // WSKIT_MODULE: an alternative build to compare (run.mjs --candidate PATH).
  // WSKIT_API: which face answers: 'events' (ws-style events on @wskit/node, the default),
  // 'hooks' (the shared hooks API) or 'ws' (the ws-shaped surface, @wskit/node/ws).
  const modulePath = process.env.WSKIT_MODULE;
  const api = process.env.WSKIT_API ?? 'events';
  const moduleUrl = modulePath !== undefined ? pathToFileURL(modulePath).href : '@wskit/node';
  const { WebSocketServer } = await import(
    modulePath === undefined && api === 'ws' ? '@wskit/node/ws' : moduleUrl
  );
  const hooks =
    api !== 'hooks'
      ? undefined
      : broadcast
        ? {
            message(_peer, message) {
              const start = performance.now();
              const data = message.isBinary ? message.bytes() : message.text();
              for (let i = 0; i < burst; i++) server.publish(TOPIC, data);
              recordBroadcast(start);
            },
          }
        : {
            message(peer, message) {
              peer.send(message.isBinary ? message.bytes() : message.text());
            },
          };
  // WSKIT_MODE: 'standalone' (the default: { port }, our own accept path), 'server' (attached
  // to an http.Server: { server }) or 'noServer' (handleUpgrade from the http 'upgrade' event).
  const mode = process.env.WSKIT_MODE ?? 'standalone';
  const common = {
    perMessageDeflate: deflate && deflateOptions(await import(moduleUrl)),
    ...(hooks === undefined ? {} : { hooks }),
  };
  let server;
  if (mode === 'standalone') {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...common });
    await new Promise((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    port = server.port;
  } else {
    const { createServer } = await import('node:http');
    const httpServer = createServer();
    if (mode === 'server') {
      server = new WebSocketServer({ server: httpServer, ...common });
    } else {
      server = new WebSocketServer({ noServer: true, ...common });
      httpServer.on('upgrade', (request, socket, head) => {
        server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws, request));
      });
    }
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    port = httpServer.address().port;
  }
  if (hooks === undefined) {
    server.on('connection', (socket) => {
      socket.on('error', () => {});
      if (broadcast) {
        socket.on('message', (data, isBinary) => {
          const start = performance.now();
          const message = isBinary ? data : data.toString();
          for (let i = 0; i < burst; i++) server.publish(TOPIC, message);
          recordBroadcast(start);
        });
      } else {
        socket.on(
          'message',
          api === 'ws'
            ? // A ws program, unchanged: the same line as the ws server below.
              (data, isBinary) => socket.send(data, { binary: isBinary }, noop)
            : (data, isBinary) => socket.send(isBinary ? data : data.toString(), noop),
        );
      }
    });
  }
  subscribeAll = (count) => {
    let left = count;
    for (const socket of server.clients) {
      if (left-- <= 0) break;
      socket.subscribe(TOPIC);
    }
  };
  clientCount = () => server.clients.size;
} else if (impl === 'ws') {
  const require = createRequire(import.meta.url);
  const { WebSocketServer } = require('ws');
  bufferutilLoaded = Object.keys(require.cache).some((path) =>
    path.includes(`${'/node_modules/'}bufferutil/`),
  );
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: deflate,
  });
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  port = server.address().port;
  // ws has no topics: the usual loop of sends over a set of subscribed sockets.
  const subscribers = new Set();
  subscribeAll = (count) => {
    let left = count;
    for (const socket of server.clients) {
      if (left-- <= 0) break;
      subscribers.add(socket);
    }
  };
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('close', () => subscribers.delete(socket));
    if (broadcast) {
      socket.on('message', (data, isBinary) => {
        const start = performance.now();
        for (let i = 0; i < burst; i++) {
          for (const client of subscribers) {
            if (client.readyState === 1) client.send(data, { binary: isBinary });
          }
        }
        recordBroadcast(start);
      });
    } else {
      socket.on('message', (data, isBinary) => {
        socket.send(data, { binary: isBinary }, noop);
      });
    }
  });
  clientCount = () => server.clients.size;
} else if (impl === 'floor') {
  // Not a WebSocket server: the least any Node server holding a net.Socket per connection can
  // do. It accepts on a net.Server and answers the first chunk (the upgrade request) with a
  // fixed 101 without parsing it. After that a whole close frame is answered with a close frame
  // and the socket closed (the handshake loops); with --broadcast every other chunk counts as
  // one message, answered by writing one prebuilt 64-byte text frame to each subscribed socket
  // (no framing, one `write` per socket, as any Node server must); otherwise every chunk is
  // written back as it came (the client's masked frames, unparsed: the floor of the echo tests,
  // what reading and writing the same bytes costs; load.mjs counts masked frames too).
  // FLOOR_COPY_BYTES=N (the size of the test's frames): instead of writing each chunk back,
  // gather N bytes into a fresh buffer and write that once, what any server delivering whole
  // messages must at least do (one allocation and copy per message, one large write).
  copyBytes = Number(process.env.FLOOR_COPY_BYTES ?? 0);
  const { createServer } = await import('node:net');
  const sockets = new Set();
  const subscribers = new Set();
  const switching = Buffer.from(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
  );
  const closeFrame = Buffer.from([0x88, 0x02, 0x03, 0xe8]); // RFC 6455 §5.5.1, code 1000
  const frame = Buffer.alloc(66, 'x');
  frame[0] = 0x81; // FIN + text (RFC 6455 §5.2)
  frame[1] = 64; // unmasked, 64-byte payload
  const echo = copyBytes === 0 ? echoBack : echoCopied;
  // Shared listeners (`this` is the socket): no closure per connection.
  function onFrames(chunk) {
    // Exactly one masked close frame: FIN + opcode 8, then the mask bit and a length that
    // accounts for the whole chunk (RFC 6455 §5.2); a chunk of an echoed message never is.
    if (chunk[0] === 0x88 && chunk.length === 6 + (chunk[1] & 0x7f) && chunk[1] & 0x80) {
      this.end(closeFrame);
    } else if (broadcast) {
      const start = performance.now();
      // A burst goes out as one write of its frames: no server can do with fewer.
      const frames = burst === 1 ? frame : Buffer.concat(Array(burst).fill(frame));
      for (const subscriber of subscribers) subscriber.write(frames);
      recordBroadcast(start);
    } else {
      echo.call(this, chunk);
    }
  }
  // FLOOR_GARBAGE=N: about N bytes of short-lived arrays made per handshake (allocated, not
  // kept): what the young generation's garbage alone costs in idle RSS (idle-breakdown.mjs).
  const garbage = Number(process.env.FLOOR_GARBAGE ?? 0);
  function onUpgrade() {
    for (let made = 0; made < garbage; made += 64) globalThis.floorGarbage = new Array(6);
    this.write(switching);
    this.on('data', onFrames);
  }
  function onClose() {
    sockets.delete(this);
    subscribers.delete(this);
  }
  const server = createServer({ noDelay: true }, (socket) => {
    socket.once('data', onUpgrade);
    socket.on('error', noop);
    socket.on('close', onClose);
    sockets.add(socket);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  subscribeAll = (count) => {
    let left = count;
    for (const socket of sockets) {
      if (left-- <= 0) break;
      subscribers.add(socket);
    }
  };
  clientCount = () => sockets.size;
} else {
  console.error(`server.mjs: unknown --impl ${String(impl)} (expected wskit, ws or floor)`);
  process.exit(2);
}

function noop() {}

/**
 * WSKIT_DEFLATE (experiments, e.g. `deflate-steps.mjs --server-env WSKIT_DEFLATE=...`): JSON
 * of `perMessageDeflate` options for @wskit/node instead of `true`; `"streamPool": [capacity,
 * idleMs]` becomes a `LiveStreamPool` of the build under test.
 */
function deflateOptions({ LiveStreamPool }) {
  const json = process.env.WSKIT_DEFLATE;
  if (json === undefined) return true;
  const options = JSON.parse(json);
  if (Array.isArray(options.streamPool))
    options.streamPool = new LiveStreamPool(...options.streamPool);
  return options;
}

/** The floor's 'data' listener, shared (no closure per socket): `this` is the socket. */
function echoBack(chunk) {
  this.write(chunk);
}

/** Gathered bytes per socket for FLOOR_COPY_BYTES. */
const gathering = new WeakMap();

/** The floor with FLOOR_COPY_BYTES: copies into a fresh buffer per N bytes, writes it whole. */
function echoCopied(chunk) {
  let offset = 0;
  while (offset < chunk.length) {
    let state = gathering.get(this);
    if (state === undefined) {
      state = { buffer: Buffer.allocUnsafe(copyBytes), filled: 0 };
      gathering.set(this, state);
    }
    const take = Math.min(copyBytes - state.filled, chunk.length - offset);
    chunk.copy(state.buffer, state.filled, offset, offset + take);
    state.filled += take;
    offset += take;
    if (state.filled === copyBytes) {
      gathering.delete(this);
      this.write(state.buffer);
    }
  }
}

async function collectGarbage() {
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await sleep(20);
  }
}

/**
 * Bytes allocated on the V8 heap since the start, estimated from the GCs a GCProfiler saw:
 * what each GC found in use beyond what the previous one left, plus the growth since the last.
 */
let allocated = 0;
let usedAfterLast = getHeapStatistics().used_heap_size;
let profiler = new GCProfiler();
profiler.start();
function allocatedSoFar() {
  for (const { beforeGC, afterGC } of profiler.stop().statistics) {
    allocated += beforeGC.heapStatistics.usedHeapSize - usedAfterLast;
    usedAfterLast = afterGC.heapStatistics.usedHeapSize;
  }
  const used = getHeapStatistics().used_heap_size;
  allocated += used - usedAfterLast;
  usedAfterLast = used;
  profiler = new GCProfiler();
  profiler.start();
  return allocated;
}

const commands = {
  async memory() {
    const allocatedBefore = allocatedSoFar();
    await collectGarbage();
    return {
      ...process.memoryUsage(),
      allocated: allocatedBefore,
      // Committed, used and resident bytes of each V8 space (idle-breakdown.mjs).
      spaces: Object.fromEntries(
        getHeapSpaceStatistics().map((space) => [
          space.space_name,
          {
            size: space.space_size,
            used: space.space_used_size,
            physical: space.physical_space_size,
          },
        ]),
      ),
      clients: clientCount(),
      gc: typeof global.gc === 'function',
    };
  },
  /** Subscribes the first `count` connections (all by default) to the broadcast topic. */
  subscribe({ count = Number.POSITIVE_INFINITY }) {
    subscribeAll(count);
    return { clients: clientCount() };
  },
  stats() {
    return { broadcastTimes: broadcastTimes.splice(0) };
  },
  /** Each received message is broadcast `messages` times from now on. */
  burst({ messages }) {
    burst = messages;
    return { burst };
  },
};

reply({ ready: true, port, impl, bufferutil: bufferutilLoaded, deflate, broadcast });

const input = createInterface({ input: process.stdin });
input.on('line', async (line) => {
  const { command, ...options } = JSON.parse(line);
  const run = commands[command];
  reply(run === undefined ? { error: `unknown command ${command}` } : await run(options));
});
input.on('close', () => process.exit(0));

function reply(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
