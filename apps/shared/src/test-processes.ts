/**
 * Child-process helpers for the apps' fault tests: real redis-server and app processes on
 * loopback ports. Test-only; nothing in the apps' servers imports this.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Collects a child's stdout and stderr; the returned function reads what arrived so far. */
export function captureOutput(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    text += chunk;
  });
  return () => text;
}

/** Waits until `port` accepts TCP connections; fails early if `child` exits. */
export async function waitForPort(
  port: number,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
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
 * without, nothing is written to disk.
 */
export async function startRedisServer(
  port: number,
  dir: string,
  { persist = true }: { persist?: boolean } = {},
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
      ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = captureOutput(child);
  await waitForPort(port, child, output);
  return { child, output };
}

/**
 * Sends `signal` and waits for the exit (SIGKILL after 5 s); does nothing if the child is
 * already gone.
 */
export async function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
