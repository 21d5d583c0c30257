// What each native call on Bun's upgrade path costs the first time it is made for a request:
// the steps @wskit/deno-bun takes before `server.upgrade` and raw Bun (raw-bun.mjs) does not.
//
//   bun runtimes/bun-upgrade-steps.mjs [--count 3000]
//
// Bun builds several things lazily, once per request: the `Headers` object, the URL string,
// the client's address. A loop over the same call would time the cached read after the first,
// so each step is timed once per handshake (Bun.nanoseconds() around the single call) and the
// median and the mean over `count` handshakes are printed (the mean carries the calls that
// a collection or the client's turn interrupted, as the server's CPU time does). Requests take turns at three orders of the steps,
// since the first native call for a request may pay for something the later ones share. One
// process: a Bun WebSocket client opens and closes the connections one after another, outside
// the timed calls. Read the figures as wall time of one call on a quiet core, not CPU shares.
import { optionValue } from '../options.mjs';

const count = Number(optionValue('--count', 3000));
if (!Number.isInteger(count) || count < 1) throw new Error('--count needs a positive integer');

const samples = new Map();
const record = (name, nanoseconds) => {
  const list = samples.get(name);
  if (list === undefined) samples.set(name, [nanoseconds]);
  else list.push(nanoseconds);
};
const timed = (name, read) => {
  const start = Bun.nanoseconds();
  const value = read();
  record(name, Bun.nanoseconds() - start);
  return value;
};

/** The adapter's reads, by what it needs them for (src/shared/upgrade.ts, src/bun.ts). */
const STEPS = {
  'request.headers (first read)': ({ request }) => request.headers,
  'server.requestIP(request)': ({ request, server }) => server.requestIP(request),
  'request.url (first read)': ({ request }) => request.url,
};
const ORDERS = [
  ['request.headers (first read)', 'server.requestIP(request)', 'request.url (first read)'],
  ['server.requestIP(request)', 'request.url (first read)', 'request.headers (first read)'],
  ['request.url (first read)', 'request.headers (first read)', 'server.requestIP(request)'],
];

let handled = 0;
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(request, server) {
    const context = { request, server };
    for (const step of ORDERS[handled++ % ORDERS.length]) timed(step, () => STEPS[step](context));
    const headers = request.headers;
    timed('headers.get (once read)', () => headers.get('origin'));
    timed('headers.forEach into an array', () => {
      const lines = [];
      headers.forEach((value, name) => {
        lines.push(name, value);
      });
      return lines;
    });
    const upgraded = timed('server.upgrade (after the above)', () => server.upgrade(request));
    return upgraded ? undefined : new Response('not a WebSocket request', { status: 400 });
  },
  websocket: {
    message() {},
  },
});

for (let i = 0; i < count; i++) {
  await new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/steps?n=${i}`, {
      headers: { origin: 'http://127.0.0.1' },
    });
    socket.onopen = () => socket.close(1000);
    socket.onclose = resolve;
    socket.onerror = () => reject(new Error(`handshake ${i} failed`));
  });
}
server.stop(true);

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const mean = (list) => list.reduce((sum, value) => sum + value, 0) / list.length;
const micros = (nanoseconds) => (nanoseconds / 1000).toFixed(2).padStart(7);
console.log(`Bun ${Bun.version}, ${count} handshakes, µs per call:   median     mean`);
for (const [name, list] of samples) {
  console.log(`  ${name.padEnd(36)} ${micros(median(list))}  ${micros(mean(list))}`);
}
