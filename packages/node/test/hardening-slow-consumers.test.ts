/**
 * Hardening: slow consumers at CI size, through the root script scripts/slow-consumers.mjs.
 * 200 peers (a Python process, 4 KiB receive buffers) stop reading while the server publishes
 * 700 × 16 KiB to their topic: each must be dropped with WS_ERR_SEND_BUFFER_FULL under the
 * default cap, the 5 peers that read must get every message in order, and the server's memory
 * must stay within the script's bound. The full-size run (1,000 slow peers) and its figures are
 * in SECURITY.md. Needs the built dist and /usr/bin/python3.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULTS } from '../src/index.js';
import { rootScript, runScript } from './helpers/scripts.js';

const script = rootScript('slow-consumers.mjs');

/** The script's JSON summary, as far as these tests read it. */
interface Summary {
  ok: boolean;
  failures: string[];
  serverMiB: { growthWhilePublishing: number; bound: number };
  [field: string]: unknown;
}

function run(args: string[]) {
  return runScript<Summary>(script, args);
}

describe('hardening: slow consumers (CI size)', () => {
  test('200 peers that stop reading are dropped; the peers that read get everything', async () => {
    const { code, summary, stderr } = await run([
      '--slow',
      '200',
      '--fast',
      '5',
      '--messages',
      '700',
      '--size',
      '16384',
    ]);
    expect({ code, failures: summary?.failures, stderr: code === 0 ? '' : stderr }).toEqual({
      code: 0,
      failures: [],
      stderr: '',
    });
    expect(summary).toMatchObject({
      ok: true,
      maxBufferedAmount: DEFAULTS.maxBufferedAmount,
      slowDropped: 200,
      errorCodes: { WS_ERR_SEND_BUFFER_FULL: 200 },
      // Dropped at once, without a closing handshake the full buffer would hold up.
      slowCloseCodes: { 1006: 200 },
      fastReceived: 5 * 700,
    });
    expect(summary?.serverMiB.growthWhilePublishing).toBeLessThanOrEqual(
      summary?.serverMiB.bound ?? 0,
    );
  }, 120_000);

  test('the check can fail: with no cap the slow peers are kept and the script says so', async () => {
    // 1 TiB, i.e. no cap in practice: nothing is dropped, which the script reports as a failure.
    const { code, summary } = await run(
      ['--slow', '20', '--fast', '2', '--messages', '200', '--size', '16384'].concat([
        '--max-buffered',
        String(1024 * 1024 * 1024),
      ]),
    );
    expect(code).toBe(1);
    expect(summary?.failures).toContain('0 of 20 slow peers were dropped');
  }, 120_000);
});
