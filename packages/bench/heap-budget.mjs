// What one idle connection holds on the server's heap, by constructor: heap snapshots of one
// server process at N and at 2N idle connections (opened by load.mjs in its own process), the
// difference divided by N. Also prints RSS, heap and external per connection over the same
// step. The budget in packages/node/README.md comes from here.
//
//   node --expose-gc heap-budget.mjs [--impl wskit|wskit-ws|ws|floor-net|floor-http]
//     [--count 2000] [--top 25] [--strings] [--module path/to/@wskit/node/dist/index.js]
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { optionValue } from './options.mjs';

const args = process.argv.slice(2);
const impl = optionValue('--impl', 'wskit');
const count = Number(optionValue('--count', 2000));
const top = Number(optionValue('--top', 25));
const showStrings = args.includes('--strings');
const here = fileURLToPath(new URL('.', import.meta.url));

if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

const RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
const noop = () => {};
let port;
if (impl === 'floor-http' || impl === 'floor-net') {
  // No WebSocket at all: a bare socket after an http upgrade, or straight from net.Server.
  const { createServer } = await import(impl === 'floor-http' ? 'node:http' : 'node:net');
  const server = createServer();
  const keep = (socket) => {
    socket.write(RESPONSE);
    socket.on('data', noop);
    socket.on('error', noop);
  };
  if (impl === 'floor-http') server.on('upgrade', (_request, socket) => keep(socket));
  else server.on('connection', (socket) => socket.once('data', () => keep(socket)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
} else if (impl === 'ws') {
  const { WebSocketServer } = createRequire(import.meta.url)('ws');
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
  port = server.address().port;
} else {
  // --module PATH: another build of @wskit/node (a dist/index.js), e.g. the main branch's.
  const modulePath = optionValue('--module', undefined);
  const { WebSocketServer } = await import(
    modulePath !== undefined
      ? pathToFileURL(modulePath).href
      : impl === 'wskit-ws'
        ? '@wskit/node/ws'
        : '@wskit/node'
  );
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    hooks: { message: (peer, message) => peer.send(message.text()) },
  });
  await new Promise((resolve) => server.once('listening', resolve));
  port = server.port;
}

// The load generator in its own process, so its sockets are not on this heap.
const load = spawn(process.execPath, [`${here}load.mjs`], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: load.stdout })[Symbol.asyncIterator]();
const next = async () => JSON.parse((await lines.next()).value);
await next(); // ready
async function open(n) {
  load.stdin.write(`${JSON.stringify({ command: 'open', port, count: n })}\n`);
  const reply = await next();
  if (reply.error) throw new Error(reply.error);
}

async function settle() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await sleep(50);
  }
}

/** Self size and count per "type:constructor" over the whole heap of a snapshot file. */
function summarise(file) {
  {
    const snapshot = JSON.parse(readFileSync(file, 'utf8'));
    rmSync(file);
    const meta = snapshot.snapshot.meta;
    const fields = meta.node_fields;
    const width = fields.length;
    const typeNames = meta.node_types[0];
    const at = (name) => fields.indexOf(name);
    const [typeAt, nameAt, sizeAt] = [at('type'), at('name'), at('self_size')];
    const totals = new Map();
    const nodes = snapshot.nodes;
    for (let i = 0; i < nodes.length; i += width) {
      const type = typeNames[nodes[i + typeAt]];
      let name = snapshot.strings[nodes[i + nameAt]];
      if (type === 'string' || type === 'concatenated string' || type === 'sliced string') {
        // --strings: strings by their first characters, to see which ones each connection adds.
        name = showStrings ? JSON.stringify(name.slice(0, 40)) : '(strings)';
      } else if (type === 'code' || type === 'hidden') {
        name = `(${type})`;
      } else if (name.length > 60) {
        name = `${name.slice(0, 57)}...`;
      }
      const key = `${type}: ${name}`;
      const entry = totals.get(key) ?? { size: 0, count: 0 };
      entry.size += nodes[i + sizeAt];
      entry.count += 1;
      totals.set(key, entry);
    }
    return totals;
  }
}

// Both snapshots are written to files before either is read, so that the summaries of the
// first are not on the heap of the second.
await open(count);
await settle();
const memoryBefore = process.memoryUsage();
const beforeFile = writeHeapSnapshot(join(tmpdir(), `heap-budget-${process.pid}-a.heapsnapshot`));
await open(count);
await settle();
const memoryAfter = process.memoryUsage();
const afterFile = writeHeapSnapshot(join(tmpdir(), `heap-budget-${process.pid}-b.heapsnapshot`));
const before = summarise(beforeFile);
const after = summarise(afterFile);

const rows = [];
let total = 0;
for (const [key, entry] of after) {
  const base = before.get(key) ?? { size: 0, count: 0 };
  const size = (entry.size - base.size) / count;
  const objects = (entry.count - base.count) / count;
  if (Math.abs(size) < 0.5) continue;
  total += size;
  rows.push({ key, size, objects });
}
rows.sort((a, b) => b.size - a.size);
const perConnection = (field) => ((memoryAfter[field] - memoryBefore[field]) / count).toFixed(0);
console.log(
  `${impl}: ${count} -> ${2 * count} idle connections, per connection: RSS ${perConnection('rss')} B, ` +
    `heapUsed ${perConnection('heapUsed')} B, external ${perConnection('external')} B, ` +
    `snapshot self sizes ${total.toFixed(0)} B`,
);
console.log('bytes/conn  objects/conn  what');
for (const { key, size, objects } of rows.slice(0, top)) {
  console.log(`${size.toFixed(0).padStart(10)}  ${objects.toFixed(2).padStart(12)}  ${key}`);
}
load.stdin.end();
process.exit(0);
