// Real redis-server, nginx and chat processes for the tests: free loopback ports, temp dirs,
// stopped by pid at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  captureOutput,
  freePort,
  startRedisServer,
  stopChild,
  waitForPort,
} from '@wskit/app-shared/test-processes';

export { freePort };

export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface Running {
  readonly port: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Running> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wskit-chat-redis-'));
  const { child, output } = await startRedisServer(port, dir, { persist: false });
  return {
    port,
    output,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The built Node entry (dist/server/node.js) as its own process. */
export async function startChatProcess(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(APP_DIR, 'dist', 'server', 'node.js')], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  await waitForPort(port, child, output);
  return {
    port,
    output,
    stop: async () => {
      await stopChild(child);
    },
  };
}

/** nginx with apps/chat/nginx.conf, its listen port and upstream rewritten. */
export async function startNginx(upstreamPort: number): Promise<Running> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wskit-chat-nginx-'));
  const config = readFileSync(join(APP_DIR, 'nginx.conf'), 'utf8')
    .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`)
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${upstreamPort};`)
    .replace(
      'http {',
      `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;`,
    );
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  const child = spawn(
    'nginx',
    ['-p', dir, '-e', 'stderr', '-c', configPath, '-g', `daemon off; pid ${dir}/nginx.pid;`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = captureOutput(child);
  await waitForPort(port, child, output);
  return {
    port,
    output,
    async stop() {
      await stopChild(child, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
