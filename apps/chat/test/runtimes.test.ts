// The launcher on every runtime: `scripts/start.mjs --runtime node|bun|deno` serves the page
// and the same chat hooks (built entries in dist/server); without Redis, history is journaled
// to CHAT_DATA_DIR and survives a restart.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from '@wskit/app-shared/test-processes';
import { describe, expect, test } from 'vitest';
import { ChatClient } from './clients.js';
import { APP_DIR, freePort } from './processes.js';

async function launch(
  runtime: string,
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(APP_DIR, 'scripts', 'start.mjs'), '--runtime', runtime],
    {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: '',
        CHAT_DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line: ${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /ready: open (http:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe.each(['node', 'bun', 'deno'])('start --runtime %s', (runtime) => {
  test('prints the URL, serves the page and /healthz, runs the chat, keeps history across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `wskit-chat-data-${runtime}-`));
    let { child, url } = await launch(runtime, dataDir);
    try {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>wskit chat</title>');
      expect(await (await fetch(`${url}healthz`)).json()).toEqual({ ok: true });
      expect((await fetch(`${url}favicon.svg`)).status).toBe(200);
      const client = await ChatClient.connect(`${url.replace('http', 'ws')}ws`);
      try {
        const joined = await client.join('lobby', 'ada', 'u-ada');
        expect(joined.members).toEqual([{ userId: 'u-ada', nick: 'ada' }]);
        client.sendRaw('not json');
        expect(await client.next('error')).toMatchObject({ code: 'bad-json' });
        client.send({ v: 1, type: 'say', room: 'lobby', id: 'c1', text: `hello from ${runtime}` });
        expect(await client.next('ack')).toMatchObject({ id: 'c1', messageId: 1 });
        expect((await client.next('message')).message.text).toBe(`hello from ${runtime}`);
      } finally {
        await client.close();
      }

      // SIGTERM: a connected page is told 1012 "service restart" (reconnect now) and the
      // process exits 0. A restart without Redis: the acknowledged message is still in the
      // lobby's history.
      const watcher = await ChatClient.connect(`${url.replace('http', 'ws')}ws`);
      const closed = once(watcher.socket, 'close');
      expect(await stopChild(child)).toEqual({ code: 0, signal: null });
      expect((await closed).map(String)).toEqual(['1012', 'service restart']);
      ({ child, url } = await launch(runtime, dataDir));
      const again = await ChatClient.connect(`${url.replace('http', 'ws')}ws`);
      try {
        const rejoined = await again.join('lobby', 'bob', 'u-bob');
        expect(rejoined.history.map((message) => [message.id, message.text])).toEqual([
          [1, `hello from ${runtime}`],
        ]);
        again.send({ v: 1, type: 'say', room: 'lobby', id: 'c2', text: 'after the restart' });
        expect(await again.next('ack')).toMatchObject({ id: 'c2', messageId: 2 });
      } finally {
        await again.close();
      }
    } finally {
      await stop(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
