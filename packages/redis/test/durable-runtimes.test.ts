// Durable topics on Node, Bun and Deno: each runtime in turn replays what the ones before it
// published (text and bytes, in order), publishes its own, and gets those live.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { command, type Runtime } from './processes.js';
import { type RunningRedis, startRedis, stopChild } from './redis-server.js';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, 'fixtures', 'durable.mjs');
let dir: string;
let redis: RunningRedis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wskit-durable-runtimes-'));
  redis = await startRedis(dir);
});

afterAll(async () => {
  await stopChild(redis?.child);
  rmSync(dir, { recursive: true, force: true });
});

describe('durable topics on every runtime', () => {
  test('Node, then Bun, then Deno: each replays the others, then gets its own live', async () => {
    const runtimes: Runtime[] = ['node', 'bun', 'deno'];
    const expected: Array<[number, string]> = [];
    for (const [index, runtime] of runtimes.entries()) {
      const [binary, args] = command(runtime, script);
      const { stdout } = await run(binary, [...args, redis.url], { timeout: 30_000 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
      expect(result.runtime).toBe(runtime);
      expect(result.published).toEqual([index * 2 + 1, index * 2 + 2]);
      expected.push(
        [index * 2 + 1, `text from ${runtime} ✓`],
        [index * 2 + 2, `bin:00ff0${runtime.length}`],
      );
      expect(result.received, runtime).toEqual(expected);
    }
  });
});
