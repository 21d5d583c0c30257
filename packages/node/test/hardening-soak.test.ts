/**
 * Hardening: a CI-sized run of the root soak script (scripts/soak.mjs): 200 clients for 20 s,
 * some reconnecting, against an echo server in a child process. The script itself checks
 * every message (lost, duplicated, out of order, corrupted) and the server's memory growth;
 * this test asserts its exit code and JSON summary. Needs the built dist.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const script = fileURLToPath(new URL('../../../scripts/soak.mjs', import.meta.url));

describe('hardening: soak (CI size)', () => {
  test('200 clients for 20 s: no lost, duplicated or corrupted message; memory within bound', async () => {
    const child = spawn(
      process.execPath,
      [
        script,
        '--clients',
        '200',
        '--seconds',
        '20',
        '--interval-ms',
        '500',
        '--reconnect-share',
        '0.2',
        '--max-growth-mib',
        '64',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect({ code, failures: summary.failures, stderr: code === 0 ? '' : stderr }).toEqual({
      code: 0,
      failures: [],
      stderr: '',
    });
    expect(summary).toMatchObject({
      ok: true,
      clients: 200,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      corrupted: 0,
      connectFailures: 0,
      unexpectedCloses: 0,
    });
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.received).toBe(summary.sent);
    expect(summary.reconnects).toBeGreaterThan(0);
    expect(summary.memory.clientsAtEnd).toBe(200);
    expect(summary.memory.growthMiB).toBeLessThanOrEqual(64);
  }, 120_000);
});
