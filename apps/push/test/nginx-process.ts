// nginx with apps/push/nginx.conf (ports and pid/temp paths rewritten) as a child process.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureOutput, freePort, stopChild, waitForPort } from '@wskit/app-shared/test-processes';
import { tempDir } from './helpers.js';

export interface NginxProcess {
  readonly port: number;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /**
   * Answer the WebSocket path with 403 instead of proxying the upgrade: the corporate proxy
   * that made long polling necessary, and that the page's SSE fallback is for.
   */
  refuseWebSocket?: boolean;
}

export async function startNginx(
  upstreamPort: number,
  options: NginxOptions = {},
): Promise<NginxProcess> {
  const dir = tempDir('push-nginx-');
  const port = await freePort();
  let config = readFileSync(new URL('../nginx.conf', import.meta.url), 'utf8')
    .replace('server 127.0.0.1:3001;', `server 127.0.0.1:${upstreamPort};`)
    .replace('listen 8080;', `listen 127.0.0.1:${port};`)
    .replaceAll('/tmp/push-nginx', join(dir, 'nginx'));
  if (!config.includes(`listen 127.0.0.1:${port};`)) throw new Error('nginx.conf changed shape');
  if (options.refuseWebSocket) {
    if (!config.includes('location /ws {')) throw new Error('nginx.conf has no location /ws');
    config = config.replace(
      'location /ws {',
      'location = /ws { return 403; }\n    location /ws-unused {',
    );
  }
  writeFileSync(join(dir, 'nginx.conf'), config);
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.once('error', () => undefined);
  const output = captureOutput(child);
  await waitForPort(port, child, () => `nginx (is it installed?): ${output()}`);
  return {
    port,
    async stop() {
      await stopChild(child, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
