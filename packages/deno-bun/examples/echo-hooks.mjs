// @ts-check
// The echo handler, written once against the shared server API. Plain JavaScript so that
// Node 20 can import it as is; the JSDoc type makes editors and tsc check it like a .ts file.
// Run by examples/echo.ts (Bun and Deno) and examples/echo-node.mjs (Node).

/** @type {import('@wskit/core').Hooks<{ joinedAt: number }>} */
export const echoHooks = {
  upgrade() {
    return { data: { joinedAt: Date.now() } };
  },
  message(peer, message) {
    // Text stays text, binary stays binary.
    peer.send(message.isBinary ? message.bytes() : message.text());
  },
};

/**
 * `--port N` from the command line; 0 (any free port) when absent.
 * @param {readonly string[]} args
 */
export function portFrom(args) {
  const index = args.indexOf('--port');
  const value = index === -1 ? '0' : args[index + 1];
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port expects a number from 0 to 65535, got ${value}`);
  }
  return port;
}
