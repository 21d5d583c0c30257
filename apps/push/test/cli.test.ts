// bin/push.mjs as a user runs it: a child process against a running Node server.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FileStore } from '../server/file-store.js';
import { type NodePushServer, startPushServer } from '../server/node.js';
import { Client, TOKEN, tempDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../bin/push.mjs', import.meta.url));
let server: NodePushServer;
let dir: string;

beforeAll(async () => {
  dir = tempDir('push-cli-');
  server = await startPushServer({ store: await FileStore.open({ dir }), token: TOKEN });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(
  args: string[],
  env: Record<string, string> = { PUSH_TOKEN: TOKEN },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', PUSH_URL: server.url, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

test('notify publishes: a subscriber receives it and the reply names its seq', async () => {
  const client = await Client.connect(`${server.url.replace('http', 'ws')}/ws`);
  client.send({ v: 1, type: 'subscribe', topics: [{ topic: 'cli' }] });
  await client.waitFor(() => client.of('subscribed').length === 1);
  const result = await run([
    'notify',
    '--topic',
    'cli',
    '--title',
    'From the CLI',
    '--body',
    'hello',
    '--data',
    '{"url":"/"}',
  ]);
  expect(result).toMatchObject({ code: 0 });
  expect(JSON.parse(result.stdout)).toMatchObject({ topic: 'cli', seq: 1 });
  await client.waitFor(() => client.of('notification').length === 1);
  expect(client.of('notification')[0]).toMatchObject({
    title: 'From the CLI',
    body: 'hello',
    data: { url: '/' },
  });
  await client.close();

  const page = await run(['history', '--topic', 'cli', '--after', '0']);
  expect(page.code).toBe(0);
  expect(JSON.parse(page.stdout).notifications).toHaveLength(1);
});

test('a wrong token, an unknown option and a missing title fail with a clear message', async () => {
  const denied = await run(['notify', '--topic', 'cli', '--title', 'x'], { PUSH_TOKEN: 'nope' });
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain('HTTP 401');

  const unknown = await run(['notify', '--topic', 'cli', '--title', 'x', '--priority', 'high']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("'--priority'");

  const missing = await run(['notify', '--topic', 'cli']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('--title is required');

  const badData = await run(['notify', '--topic', 'cli', '--title', 'x', '--data', '{']);
  expect(badData.stderr).toContain('--data must be valid JSON');

  const noCommand = await run(['frobnicate']);
  expect(noCommand.code).toBe(2);
  expect(noCommand.stderr).toContain('unknown command "frobnicate"');
});
