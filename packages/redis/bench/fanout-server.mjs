// One server process of the fan-out benchmark (run by fanout.mjs, never on its own):
//
//   node fanout-server.mjs --impl wskit|socketio [--redis URL]
//
// Every client that connects is subscribed to one topic at once: `peer.subscribe` for wskit,
// `socket.join` for socket.io. With --redis, the process shares the topic with the other
// processes of the run: wskit through @wskit/redis (the BUILT package, ../dist), socket.io
// through @socket.io/redis-adapter; both on ioredis. Without it, delivery stays in the process.
//
// Speaks JSON lines with fanout.mjs: first {"ready", "port"}, then one reply per command:
//   {"command": "count"}                         -> {"subscribers"}  local members of the topic
//   {"command": "publish", "first", "count", "rate"}
//        publishes `count` messages, numbered from `first`, `rate` per second, each carrying
//        its publish time, then replies {"published", "lateMs"} (how far the timer fell
//        behind schedule at worst: a late publisher would flatter the latency figures) and
//        "callMs", the mean time one publish call took (local sockets are written in it).
// stdin closing ends the process.
import { createInterface } from 'node:readline';

const TOPIC = 'fanout';
const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const impl = option('--impl');
const redisUrl = option('--redis');

/** Milliseconds since the epoch with sub-millisecond precision: one clock for all processes. */
const now = () => performance.timeOrigin + performance.now();

/** The message text: sequence number and publish time, read back by fanout-clients.mjs. */
const message = (seq) => `{"seq":${seq},"t":${now()}}`;

let publish;
let subscribers;
let close;
let port;

if (impl === 'wskit') {
  const { WebSocketServer } = await import('@wskit/node');
  const broker =
    redisUrl === undefined
      ? undefined
      : (await import('../dist/index.js')).createRedisBroker({
          url: redisUrl,
          onError: (error) => console.error(`wskit broker: ${error.message}`),
        });
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    backlog: 2048,
    // No pings: a heartbeat round over thousands of peers mid-burst would be noise (socket.io's
    // ping interval is pushed out of the run for the same reason).
    heartbeat: false,
    ...(broker === undefined ? {} : { broker }),
    hooks: { open: (peer) => peer.subscribe(TOPIC) },
  });
  await new Promise((resolve) => server.on('listening', resolve));
  port = server.port;
  publish = (seq) => server.publish(TOPIC, message(seq));
  subscribers = () => server.subscriberCount(TOPIC);
  close = async () => {
    await server.close({ timeout: 500 });
    await broker?.close();
  };
} else if (impl === 'socketio') {
  const { createServer } = await import('node:http');
  const { Server } = await import('socket.io');
  const http = createServer();
  const io = new Server(http, {
    transports: ['websocket'],
    pingInterval: 600_000,
    pingTimeout: 600_000,
  });
  let redis = [];
  if (redisUrl !== undefined) {
    const { Redis } = await import('ioredis');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const pub = new Redis(redisUrl);
    const sub = pub.duplicate();
    redis = [pub, sub];
    io.adapter(createAdapter(pub, sub));
  }
  io.on('connection', (socket) => socket.join(TOPIC));
  await new Promise((resolve) =>
    http.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve),
  );
  port = http.address().port;
  // An object, as socket.io is used: it serializes it once into `42["m",{"seq":..,"t":..}]`,
  // the same fields as wskit's text.
  publish = (seq) => io.to(TOPIC).emit('m', { seq, t: now() });
  subscribers = () => io.sockets.adapter.rooms.get(TOPIC)?.size ?? 0;
  close = async () => {
    await new Promise((resolve) => io.close(resolve));
    for (const client of redis) client.disconnect();
  };
} else {
  throw new Error(`--impl must be wskit or socketio, not ${impl}`);
}

const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

/** Publishes on a fixed schedule (start + i / rate), not "rate after the last one". */
function publishBurst({ first, count, rate }) {
  return new Promise((resolve) => {
    const period = 1000 / rate;
    const start = performance.now();
    let index = 0;
    let lateMs = 0;
    let callMs = 0;
    const tick = () => {
      const due = start + index * period;
      const before = performance.now();
      lateMs = Math.max(lateMs, before - due);
      publish(first + index);
      callMs += performance.now() - before;
      index++;
      if (index === count) {
        resolve({ published: count, lateMs, callMs: callMs / count });
        return;
      }
      setTimeout(tick, Math.max(0, start + index * period - performance.now()));
    };
    tick();
  });
}

reply({ ready: true, port });
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const request = JSON.parse(line);
  try {
    if (request.command === 'count') reply({ subscribers: subscribers() });
    else if (request.command === 'publish') reply(await publishBurst(request));
    else reply({ error: `unknown command ${request.command}` });
  } catch (error) {
    reply({ error: String(error?.stack ?? error) });
  }
});
lines.on('close', async () => {
  await close();
  process.exit(0);
});
