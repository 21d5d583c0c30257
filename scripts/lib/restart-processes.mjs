/**
 * The processes of the restart scenarios (apps/push/scripts/restart-scenario.mjs,
 * apps/chat/scripts/restart-scenario.mjs): a throwaway redis-server, app processes that can be
 * stopped with SIGTERM and started again on the same port, and nginx in front of them with
 * every app process in one upstream. Plain .mjs on the apps' test helpers
 * (apps/shared/src/test-processes.mjs), so the scripts run with `node` and the apps' vitest
 * tests import the same code. The Redis benchmarks
 * (packages/redis/bench) start their redis-server with `startRedis` too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  captureOutput,
  freePort,
  startRedisServer,
  stopChild,
  waitForPort,
} from '../../apps/shared/src/test-processes.mjs';

export { freePort, stopChild };

/**
 * A throwaway redis-server on a free loopback port, nothing kept on disk; with `cpu`, pinned to
 * that CPU (`taskset`), for benchmarks that keep the load generator on another one.
 */
export async function startRedis({ cpu } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wskit-redis-'));
  const port = await freePort();
  const { child } = await startRedisServer(port, dir, { persist: false, cpu });
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
      output = captureOutput(child);
      // Under load an app can take a while to listen; its shutdown up to 9 s (hard exit).
      await waitForPort(port, child, output, 15_000);
    },
    async stop(signal = 'SIGTERM') {
      if (child === undefined) return { code: null, signal: null };
      return stopChild(child, signal, 15_000);
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
  const output = captureOutput(child);
  await waitForPort(port, child, () => `nginx (is it installed?): ${output()}`, 15_000);
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
