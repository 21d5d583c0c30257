// A/B of the core's receive and send path for the large echoes, in one process and without a
// socket: what our code costs per message, apart from the kernel, which on this shared machine
// makes the end-to-end CPU per message swing by more than the change being measured.
//
//   node core-ab.mjs A.js B.js [...]   each a bundle of @wskit/core (its src/index.ts through
//                                      esbuild, or its dist/index.js)
//
// Each build gets a server Connection configured as @wskit/node configures it (Node's isUtf8,
// Buffer.allocUnsafe for reassembly), fed the same stream of masked binary frames cut into the
// 64 KiB chunks a socket read hands over, and echoes every message (sendBinary + takeOutput,
// the output only counted). Builds take turns in rounds, order alternating; the median round
// is printed. Binary payloads only: unmasking a replayed chunk twice costs the same as once.
import { isUtf8 } from 'node:buffer';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { maskedFrame } from './load.mjs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node core-ab.mjs CORE_A.js CORE_B.js ...');
  process.exit(2);
}
const builds = await Promise.all(
  files.map(async (file) => ({ file, core: await import(pathToFileURL(resolve(file)).href) })),
);

const CHUNK = 64 * 1024;
const ROUNDS = 9;
const ROUND_MS = 400;

function stream(size, count) {
  const payload = Buffer.alloc(size, 7);
  const frame = maskedFrame(2, payload);
  const bytes = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks = [];
  for (let start = 0; start < bytes.length; start += CHUNK) {
    // Each chunk in its own memory, as socket reads are.
    chunks.push(Buffer.from(bytes.subarray(start, start + CHUNK)));
  }
  return chunks;
}

function echoServer(core, expectedSize) {
  let messages = 0;
  let written = 0;
  const connection = new core.Connection({
    role: 'server',
    maxMessageSize: 64 * 1024 * 1024,
    isUtf8,
    allocate: (size) => Buffer.allocUnsafe(size),
    handler: {
      onMessage(data) {
        if (data.length !== expectedSize) throw new Error(`got ${data.length} bytes`);
        messages++;
        connection.sendBinary(data);
        for (const chunk of connection.takeOutput()) written += chunk.length;
      },
      onError(error) {
        throw error;
      },
    },
  });
  return {
    feed(chunks) {
      for (const chunk of chunks) connection.receiveData(chunk);
    },
    get messages() {
      return messages;
    },
    get written() {
      return written;
    },
  };
}

function measure(core, chunks, size) {
  const server = echoServer(core, size);
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    server.feed(chunks);
    elapsed = performance.now() - start;
  }
  if (server.written < server.messages * size) throw new Error('echoes missing');
  return (elapsed * 1000) / server.messages;
}

for (const [label, size, count] of [
  ['16 KiB', 16 * 1024, 256],
  ['1 MiB', 1024 * 1024, 8],
]) {
  const chunks = stream(size, count);
  const times = builds.map(() => []);
  for (const build of builds) measure(build.core, chunks, size); // warmup
  for (let round = 0; round < ROUNDS; round++) {
    const order = builds.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) times[index].push(measure(builds[index].core, chunks, size));
  }
  const medians = times.map((list) => list.sort((a, b) => a - b)[list.length >> 1]);
  console.log(
    `${label} echo, µs per message (median of ${ROUNDS}): ` +
      builds
        .map(({ file }, index) => `${file.split('/').at(-1)} ${medians[index].toFixed(2)}`)
        .join(', ') +
      (builds.length === 2 ? `; ratio ${(medians[1] / medians[0]).toFixed(2)}` : ''),
  );
}
