// The control channel every runtime benchmark server shares (run by Bun and Deno through
// their Node compatibility): the first line on stdout is `{ ready, pid, port, ... }`, then each
// JSON line on stdin gets one JSON line back. Never on the measured path: the load generator
// talks to the server over loopback, this channel only between measurements.
import process from 'node:process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** The arguments after the script: `--mode echo|broadcast`, `--module URL`. */
export function option(name) {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

/** The topic every connection of a broadcast server subscribes to on open. */
export const TOPIC = 'bench';

/**
 * A full collection where the runtime allows one from JavaScript: Bun.gc(true) on Bun, the
 * `gc` that `--v8-flags=--expose-gc` gives Deno. Returns whether it ran.
 */
async function collectGarbage() {
  const bun = globalThis.Bun;
  const gc = bun !== undefined ? () => bun.gc(true) : globalThis.gc;
  if (typeof gc !== 'function') return false;
  // Several passes with a turn of the event loop between them: finalizers and weak
  // callbacks of the first pass free more in the next.
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return true;
}

/**
 * Announces the server and answers the runner's commands until stdin ends, then exits.
 * `connections()` is how many WebSockets the server holds open.
 */
export function answerCommands(ready, { connections }) {
  reply({ ready: true, pid: process.pid, ...ready });
  const commands = {
    async memory() {
      const gc = await collectGarbage();
      // The JavaScript heap (and memory it holds outside it) from the runtime itself: RSS is
      // read by the runner from /proc.
      const { heapUsed, external } = process.memoryUsage();
      return { gc, connections: connections(), heapUsed, external };
    },
  };
  const input = createInterface({ input: process.stdin });
  input.on('line', async (line) => {
    const { command } = JSON.parse(line);
    const run = commands[command];
    reply(run === undefined ? { error: `unknown command ${command}` } : await run());
  });
  input.on('close', () => process.exit(0));
}

function reply(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
