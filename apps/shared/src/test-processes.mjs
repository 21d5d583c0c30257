/**
 * Child-process helpers for the apps' fault tests and the repository's scenario scripts
 * (scripts/lib/restart-processes.mjs): real redis-server and app processes on loopback ports.
 * Test-only; nothing in the apps' servers imports this. Plain JavaScript with its types in
 * test-processes.d.mts, so that `node` scripts and the vitest tests use the same code.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  return port;
}

/** Collects a child's stdout and stderr (the last 20,000 characters); the function reads them. */
export function captureOutput(child) {
  let text = '';
  const add = (chunk) => {
    text = (text + chunk).slice(-20_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

/** Waits until `port` accepts TCP connections; fails early if `child` exits. */
export async function waitForPort(port, child, output, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited: ${output()}`);
    }
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} did not open: ${output()}`);
}

/**
 * A redis-server on `port` with its data in `dir`. With `persist`, append-only with fsync on
 * every write, so starting it again on the same port and dir (a Redis restart) keeps the data;
 * without, nothing is written to disk. With `cpu`, pinned to that CPU (`taskset`, which execs
 * redis-server: the child's pid is redis-server's).
 */
export async function startRedisServer(port, dir, { persist = true, cpu } = {}) {
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
    ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ];
  const stdio = ['ignore', 'pipe', 'pipe'];
  const child =
    cpu === undefined
      ? spawn('redis-server', args, { stdio })
      : spawn('taskset', ['-c', String(cpu), 'redis-server', ...args], { stdio });
  // A missing redis-server is reported by waitForPort with the output, not as an 'error' crash.
  child.once('error', () => undefined);
  const output = captureOutput(child);
  await waitForPort(port, child, () => `redis-server (is it installed?): ${output()}`);
  return { child, output };
}

/**
 * Sends `signal` and waits for the exit (SIGKILL after `killAfterMs`); resolves with how the
 * child ended, at once if it already had.
 */
export async function stopChild(child, signal = 'SIGTERM', killAfterMs = 5_000) {
  if (child === undefined) return { code: null, signal: null };
  if (child.exitCode !== null || child.signalCode !== null) {
    return { code: child.exitCode, signal: child.signalCode };
  }
  const exited = new Promise((resolve) =>
    child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })),
  );
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const result = await exited;
  clearTimeout(timer);
  return result;
}
