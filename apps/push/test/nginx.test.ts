// apps/push/nginx.conf in front of the Node server: the WebSocket upgrade, the Origin check
// (Host passed through with its port) and the notify API, through a real nginx. The test only
// rewrites the ports and the pid/temp paths of the shipped file.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { FileStore } from '../server/file-store.js';
import { startPushServer } from '../server/node.js';
import { Client, notify, TOKEN, tempDir } from './helpers.js';
import { freePort } from './redis.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

test('a browser-like client subscribes and receives a push through nginx', async () => {
  const dir = tempDir('push-nginx-');
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startPushServer({
    store: await FileStore.open({ dir: join(dir, 'data') }),
    token: TOKEN,
  });
  cleanup.push(() => server.close());
  const port = await freePort();
  const config = readFileSync(new URL('../nginx.conf', import.meta.url), 'utf8')
    .replace('server 127.0.0.1:3001;', `server 127.0.0.1:${server.port};`)
    .replace('listen 8080;', `listen 127.0.0.1:${port};`)
    .replaceAll('/tmp/push-nginx', join(dir, 'nginx'));
  expect(config).toContain(`listen 127.0.0.1:${port};`);
  writeFileSync(join(dir, 'nginx.conf'), config);
  const nginx: ChildProcess = spawn(
    'nginx',
    ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'],
    {
      stdio: 'ignore',
    },
  );
  cleanup.push(async () => {
    if (nginx.exitCode !== null) return;
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGTERM');
    await exited;
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (
    (await fetch(`${base}/healthz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error('nginx did not come up');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const client = await Client.connect(`ws://127.0.0.1:${port}/ws`, { origin: base });
  cleanup.push(() => client.close());
  client.send({ v: 1, type: 'subscribe', topics: [{ topic: 'proxied' }] });
  await client.waitFor(() => client.of('subscribed').length === 1);
  expect((await notify(base, { topic: 'proxied', title: 'through nginx' })).status).toBe(202);
  await client.waitFor(() => client.of('notification').length === 1);
  expect(client.of('notification')[0]?.title).toBe('through nginx');
});
