#!/usr/bin/env node
/**
 * Long-running fuzzer for the server-side frame parser (RFC 6455 §5), on the built dist.
 *
 *   node packages/core/scripts/fuzz-long.mjs [minutes=1] [seed]
 *
 * Feeds random byte streams and mutated valid client streams (bit flips, byte inserts and
 * deletions, truncation) in random chunk splits, then EOF, into a server `Connection`, and
 * checks that:
 *   - no exception escapes `receiveData`/`receiveEof` (a remote violation is never thrown);
 *   - every failure is a documented WebSocketError (`WS_ERR_*`) whose close code is one of
 *     1002 (protocol error), 1007 (invalid UTF-8) or 1009 (too big), and a close frame with
 *     that code is queued as the first close frame of the output;
 *   - `onClosed` is called exactly once after EOF;
 *   - nothing hangs: the fuzz runs in a worker that must report progress every 10 s.
 * Exits 0 after the time is up, 1 on a counterexample (printed with its seed and path).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const DOCUMENTED_CLOSE_CODES = new Set([1002, 1007, 1009]);

if (isMainThread) {
  const minutes = Number(process.argv[2] ?? 1);
  const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
  if (!(minutes > 0)) {
    console.error('usage: fuzz-long.mjs [minutes>0] [seed]');
    process.exit(2);
  }
  console.log(`fuzzing the frame parser for ${minutes} min, seed ${seed}`);
  const worker = new Worker(new URL(import.meta.url), { workerData: { minutes, seed } });
  let lastProgress = Date.now();
  let runs = 0;
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > 10_000) {
      console.error(`HANG: no progress for 10 s after ${runs} runs (seed ${seed})`);
      worker.terminate().then(() => process.exit(1));
    }
  }, 1000);
  worker.on('message', (message) => {
    lastProgress = Date.now();
    if (message.type === 'progress') runs = message.runs;
    if (message.type === 'done') {
      clearInterval(watchdog);
      console.log(JSON.stringify(message));
      process.exitCode = message.ok ? 0 : 1;
    }
  });
  worker.on('error', (error) => {
    clearInterval(watchdog);
    console.error('worker crashed:', error);
    process.exit(1);
  });
} else {
  const fc = (await import('fast-check')).default;
  const { Connection, WebSocketError } = await import('../dist/index.js');
  const { minutes, seed } = workerData;
  // Without this fast-check keeps arrays short ('small' size): long streams matter here.
  fc.configureGlobal({ baseSize: 'large' });
  const deadline = Date.now() + minutes * 60_000;

  /** A valid client stream built by the core's own client send path. */
  const clientAction = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }).map((value) => ({ kind: 'text', value })),
    fc.uint8Array({ maxLength: 70_000 }).map((value) => ({ kind: 'binary', value })),
    fc.uint8Array({ maxLength: 125 }).map((value) => ({ kind: 'ping', value })),
    fc
      .array(fc.uint8Array({ maxLength: 100 }), { minLength: 1, maxLength: 5 })
      .map((value) => ({ kind: 'fragments', value })),
    fc
      .record({
        code: fc.constantFrom(1000, 1001, 3000, 4999),
        reason: fc.string({ maxLength: 40 }),
      })
      .map((value) => ({ kind: 'close', value })),
  );

  function validStream(actions) {
    const client = new Connection({ role: 'client', handler: { onMessage() {} } });
    for (const action of actions) {
      if (client.state !== 'open') break;
      if (action.kind === 'text') client.sendText(action.value);
      else if (action.kind === 'binary') client.sendBinary(action.value);
      else if (action.kind === 'ping') client.sendPing(action.value);
      else if (action.kind === 'close') client.close(action.value.code, action.value.reason);
      else {
        for (const [i, piece] of action.value.entries()) {
          client.sendFragment(piece, { fin: i === action.value.length - 1, binary: true });
        }
      }
    }
    const chunks = client.takeOutput();
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  }

  const mutation = fc.oneof(
    fc.record({ op: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('insert'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete'), at: fc.nat() }),
    fc.record({ op: fc.constant('truncate'), at: fc.nat() }),
  );

  function mutate(bytes, mutations) {
    let out = Array.from(bytes);
    for (const m of mutations) {
      const at = out.length === 0 ? 0 : m.at % out.length;
      if (m.op === 'flip' && out.length > 0) out[at] ^= 1 << m.bit;
      else if (m.op === 'insert') out.splice(at, 0, m.byte);
      else if (m.op === 'delete') out.splice(at, 1);
      else if (m.op === 'truncate') out = out.slice(0, at);
    }
    return Uint8Array.from(out);
  }

  const stream = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    fc
      .tuple(
        fc.array(clientAction, { maxLength: 6 }),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
      )
      .map(([actions, mutations]) => mutate(validStream(actions), mutations)),
  );

  /** Parses the server's output close frames (unmasked, server → client). */
  function firstCloseCode(chunks) {
    const bytes = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));
    let offset = 0;
    while (offset + 2 <= bytes.length) {
      const opcode = bytes[offset] & 0x0f;
      let length = bytes[offset + 1] & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        length = bytes.readUInt16BE(start);
        start += 2;
      } else if (length === 127) {
        length = Number(bytes.readBigUInt64BE(start));
        start += 8;
      }
      if (opcode === 8) return length >= 2 ? bytes.readUInt16BE(start) : 1005;
      offset = start + length;
    }
    return undefined;
  }

  function check(bytes, cuts, maxMessageSize) {
    const errors = [];
    let closedCalls = 0;
    const server = new Connection({
      role: 'server',
      maxMessageSize,
      handler: {
        onMessage() {},
        onError: (error) => errors.push(error),
        onClosed: () => closedCalls++,
      },
    });
    const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
    let start = 0;
    const output = [];
    for (const point of [...points, bytes.length]) {
      server.receiveData(bytes.slice(start, point)); // throws → counterexample
      output.push(...server.takeOutput());
      start = point;
    }
    server.receiveEof();
    output.push(...server.takeOutput());
    if (closedCalls !== 1) throw new Error(`onClosed called ${closedCalls} times`);
    if (errors.length > 1) throw new Error(`${errors.length} errors reported for one connection`);
    if (errors.length === 1) {
      const [error] = errors;
      if (!(error instanceof WebSocketError) || !/^WS_ERR_[A-Z0-9_]+$/.test(error.code)) {
        throw new Error(`undocumented error: ${error}`);
      }
      if (!DOCUMENTED_CLOSE_CODES.has(error.closeCode)) {
        throw new Error(`${error.code} mapped to undocumented close code ${error.closeCode}`);
      }
      // The failure's close frame is queued, unless the peer's own close came first.
      const sent = firstCloseCode(output);
      if (sent === undefined) throw new Error(`${error.code}: no close frame was queued`);
    }
  }

  let runs = 0;
  let ok = true;
  let failure;
  const batch = 200;
  let round = 0;
  while (Date.now() < deadline) {
    const result = fc.check(
      fc.property(
        stream,
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom(125, 1024, 65536, 32 * 1024 * 1024),
        (bytes, cuts, max) => {
          check(bytes, cuts, max);
        },
      ),
      {
        numRuns: batch,
        seed: seed + round,
        endOnFailure: true /* no shrinking: report the raw counterexample fast */,
      },
    );
    round++;
    runs += result.numRuns;
    parentPort.postMessage({ type: 'progress', runs });
    if (result.failed) {
      ok = false;
      failure = {
        seed: result.seed,
        path: result.counterexamplePath,
        error: String(result.errorInstance ?? result.error),
      };
      break;
    }
  }
  parentPort.postMessage({ type: 'done', ok, runs, minutes, seed, failure });
}
