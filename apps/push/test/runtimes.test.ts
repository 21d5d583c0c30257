// The same app on Bun and Deno (server/bun.ts, server/deno.ts through @wskit/deno-bun), started
// by the launcher as `start --runtime bun|deno` does, from the built dist/server.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild } from '@wskit/app-shared/test-processes';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { buildServer } from '../scripts/build.mjs';
import { Client, notify, readEvents, TOKEN, tempDir } from './helpers.js';
import { freePort } from './redis.js';

const launcher = fileURLToPath(new URL('../scripts/start.mjs', import.meta.url));
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

beforeAll(async () => {
  await buildServer();
});

async function launch(runtime: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const dataDir = tempDir('push-runtime-');
  const child: ChildProcess = spawn(process.execPath, [launcher, '--runtime', runtime], {
    env: { ...process.env, PORT: String(port), PUSH_DATA_DIR: dataDir, PUSH_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanup.push(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${runtime} did not start: ${output}`)),
      15_000,
    );
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${runtime} exited with ${code}: ${output}`)));
  });
  expect(output).toContain(`http://127.0.0.1:${port}`);
  return { url: `http://127.0.0.1:${port}`, child };
}

describe.each(['bun', 'deno'])('%s', (runtime) => {
  test('serves the page, accepts a notification and delivers it over the WebSocket', async () => {
    const { url, child } = await launch(runtime);
    expect((await fetch(`${url}/`)).status).toBe(200);
    const client = await Client.connect(`${url.replace('http', 'ws')}/ws`);
    cleanup.push(() => client.close());
    client.send({ v: 1, type: 'subscribe', topics: [{ topic: 'rt' }] });
    await client.waitFor(() => client.of('subscribed').length === 1);
    expect((await notify(url, { topic: 'rt', title: runtime })).status).toBe(202);
    expect((await notify(url, { topic: 'rt', title: 'x' }, 'bad')).status).toBe(401);
    client.send('garbage');
    await client.waitFor(
      () => client.of('notification').length === 1 && client.of('error').length === 1,
    );
    expect(client.of('notification')[0]).toMatchObject({ topic: 'rt', seq: 1, title: runtime });
    expect(client.of('error')[0]?.code).toBe('bad_json');

    // The HTTP side through the same fetch handler: history and the SSE fallback.
    expect((await notify(url, { topic: 'rt', title: 'second' })).status).toBe(202);
    const history = await (await fetch(`${url}/api/topics/rt/notifications?after=0`)).json();
    expect(history.notifications.map((entry: { seq: number }) => entry.seq)).toEqual([1, 2]);
    const events = await readEvents(`${url}/api/topics/rt/events`, 2, { 'last-event-id': '1' });
    expect(events.map((event) => [event.event, event.id])).toEqual([
      ['subscribed', '1'],
      ['notification', '2'],
    ]);

    // SIGTERM: the peer is told 1012 "service restart" (reconnect now) and the process exits 0.
    const closed = once(client.socket, 'close');
    expect(await stopChild(child)).toEqual({ code: 0, signal: null });
    expect((await closed).map(String)).toEqual(['1012', 'service restart']);
  });
});
