/**
 * The processes of the restart scenarios (apps/push/scripts/restart-scenario.mjs,
 * apps/chat/scripts/restart-scenario.mjs): a throwaway redis-server, app processes that can be
 * stopped with SIGTERM and started again on the same port, and nginx in front of them with
 * every app process in one upstream. Plain .mjs without dependencies, so the scripts run with
 * `node` and the apps' vitest tests import the same code. The Redis benchmarks
 * (packages/redis/bench) start their redis-server with `startRedis` too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function capture(child) {
  let text = '';
  const add = (chunk) => {
    text = (text + chunk).slice(-20_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

/** Resolves once `port` accepts TCP connections; rejects if `child` exits first. */
export async function waitForPort(port, child, output, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited before listening on ${port}: ${output()}`);
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
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`port ${port} did not open: ${output()}`);
}

/** Sends `signal`, waits for the exit (SIGKILL after `killAfterMs`); the exit code or signal. */
export async function stopChild(child, signal = 'SIGTERM', killAfterMs = 15_000) {
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

/**
 * A throwaway redis-server on a free loopback port, nothing kept on disk; with `cpu`, pinned to
 * that CPU (`taskset`), for benchmarks that keep the load generator on another one.
 */
export async function startRedis({ cpu } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wskit-redis-'));
  const port = await freePort();
  // No persistence: each run starts empty and leaves nothing behind.
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  // taskset execs redis-server: the child's pid is redis-server's.
  const child =
    cpu === undefined
      ? spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(cpu), 'redis-server', ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  child.once('error', () => undefined);
  const output = capture(child);
  await waitForPort(port, child, () => `redis-server (is it installed?): ${output()}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One app process (`node <entry>`) on a fixed port, restartable: `stop()` sends SIGTERM and
 * reports how it exited; `start()` spawns it again on the same port and waits until it listens.
 */
export function appProcess(name, entry, port, env) {
  let child;
  let output = () => '';
  return {
    name,
    port,
    output: () => output(),
    async start() {
      child = spawn(process.execPath, [entry], {
        env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      output = capture(child);
      await waitForPort(port, child, output);
    },
    async stop(signal = 'SIGTERM') {
      if (child === undefined) return { code: null, signal: null };
      return stopChild(child, signal);
    },
  };
}

/**
 * Upstream server parameters for rolling restarts. nginx's defaults (max_fails=1,
 * fail_timeout=10s) take a process that refused one connection out of rotation, and only a
 * request that *ends* well brings it back: a WebSocket to it ends when the socket closes, so a
 * process restarted a minute ago and serving WebSockets is still "failed", tried once per
 * fail_timeout. Restarting the other process then leaves nginx with "no live upstreams" (502)
 * for most reconnects (seen in the first runs: with the defaults, and with fail_timeout=1s for
 * the chat, whose traffic is all WebSockets). Without failure accounting a refused connection
 * (the process shutting down has stopped listening) is simply retried on the next server
 * (proxy_next_upstream error), at the cost of one refused connect.
 */
export const NGINX_ROLLING_RESTART = 'max_fails=0';

/**
 * nginx with the app's own nginx.conf, rewritten for the test: its listen port, temp paths,
 * every app process in the upstream, and an `X-Upstream` response header on the WebSocket
 * location naming the process that took the connection (nginx sends it on the 101 too, with
 * `always`), so each client knows where it landed.
 */
export async function startNginx({
  configPath,
  upstream,
  listen,
  upstreamPorts,
  wsLocation,
  serverParameters = NGINX_ROLLING_RESTART,
}) {
  const dir = mkdtempSync(join(tmpdir(), 'wskit-restart-nginx-'));
  const port = await freePort();
  let config = readFileSync(configPath, 'utf8');
  const must = (text) => {
    if (!config.includes(text)) throw new Error(`${configPath} has no "${text}"`);
  };
  must(upstream);
  must(listen);
  must(wsLocation);
  config = config
    .replace(
      upstream,
      upstreamPorts.map((p) => `server 127.0.0.1:${p} ${serverParameters};`).join('\n    '),
    )
    .replace(listen, `listen 127.0.0.1:${port};`)
    .replace(wsLocation, `${wsLocation}\n      add_header X-Upstream $upstream_addr always;`)
    .replace(/^pid .*$/m, '')
    .replace(/^error_log .*$/m, '')
    .replace(/client_body_temp_path [^;]*;|proxy_temp_path [^;]*;|access_log [^;]*;/g, '')
    .replace(
      'http {',
      `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;`,
    );
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const child = spawn(
    'nginx',
    ['-p', dir, '-e', 'stderr', '-c', file, '-g', `daemon off; pid ${dir}/nginx.pid;`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.once('error', () => undefined);
  const output = capture(child);
  await waitForPort(port, child, () => `nginx (is it installed?): ${output()}`);
  return {
    port,
    output,
    async stop() {
      await stopChild(child, 'SIGQUIT', 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `GET url` until it answers 200. */
export async function waitHealthy(url, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${url} did not become healthy`);
}

/** The app process a connection landed on, from nginx's `X-Upstream` (the last address tried). */
export function upstreamName(header, processes) {
  const last = String(header ?? '')
    .split(',')
    .at(-1)
    ?.trim();
  return processes.find((p) => last === `127.0.0.1:${p.port}`)?.name ?? 'unknown';
}
