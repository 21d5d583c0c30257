// Where a server allocates while it accepts connections, garbage included: V8's sampling heap
// profiler (objects later collected by minor and major GCs kept in the profile) runs in this
// process around N handshakes from load.mjs (its own process, pinned to CPU 1). Prints bytes
// per handshake by allocating function; a platform builtin (`next`, `join`, `Map`...) is shown
// with the function that called it.
//
//   node handshake-garbage.mjs [--impl wskit|ws] [--count 3000] [--top 30]
import { Session } from 'node:inspector/promises';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLinesChild } from './child.mjs';
import { optionValue } from './options.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const impl = optionValue('--impl', 'wskit');
const count = Number(optionValue('--count', 3000));
const top = Number(optionValue('--top', 30));

const { WebSocketServer } = await import(impl === 'wskit' ? '@wskit/node' : 'ws');
const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise((resolve) => server.once('listening', resolve));
const port = impl === 'wskit' ? server.port : server.address().port;
// What bench/server.mjs does with each connection, for both.
server.on('connection', (socket) => {
  socket.on('error', () => {});
  socket.on('message', (data, isBinary) => socket.send(isBinary ? data : data.toString()));
});

const load = new JsonLinesChild(1, process.execPath, [resolvePath(here, 'load.mjs')], {
  cwd: here,
});
await load.next();
// Code paths warmed up (and optimised) before the profile.
await load.request('open', { port, count: 300 });
await load.request('closeAll');

const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 128,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
await load.request('open', { port, count });
const { profile } = await session.post('HeapProfiler.stopSampling');
await load.stop();

const bytesBy = new Map();
let total = 0;
const nameOf = ({ functionName, url, lineNumber }) =>
  `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
(function walk(node, caller) {
  const name = nameOf(node.callFrame);
  const isBuiltin = node.callFrame.url === '';
  if (node.selfSize > 0) {
    const key = isBuiltin && caller !== undefined ? `${name} (in ${caller})` : name;
    bytesBy.set(key, (bytesBy.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) walk(child, isBuiltin ? caller : name);
})(profile.head, undefined);

console.log(`${impl}: ${Math.round(total / count)} bytes allocated per handshake (${count})`);
for (const [name, bytes] of [...bytesBy].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(String(Math.round(bytes / count)).padStart(8), name);
}
process.exit(0);
