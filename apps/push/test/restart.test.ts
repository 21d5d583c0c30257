// Issue 15, "restarts without loss": the rolling-restart scenario of scripts/restart.mjs, small
// (redis-server, two push processes, nginx, Node subscribers and one Chromium page on the real
// page, a publisher at 10/s; A then B get SIGTERM and are started again).
//
// The counters compare each subscriber's receipts with the topic's log read back from Redis,
// so they are real: the control below runs the same scenario with clients that resubscribe
// without their `after` cursor, and the same counters then report the notifications published
// while those clients were reconnecting as lost.
import { describe, expect, test } from 'vitest';
import { runPushRestart } from '../scripts/restart-scenario.mjs';

describe('push: rolling restart behind nginx', () => {
  test('every subscriber gets every notification once and in order; 1012, never back to the closing process', async () => {
    const result = await runPushRestart({ nodeClients: 12, browserPages: 1, rate: 10 });
    expect(result.restarts.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(result.published.count).toBeGreaterThan(30);
    expect(result.published.acceptedMissingFromLog).toBe(0);
    expect(result.published.publisherDuplicates).toBe(0);
    expect(result.totals).toMatchObject({
      subscribers: 13,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      unexpected: 0,
      stayedAfter1012: 0,
    });
    expect(result.totals.received).toBe(13 * result.published.count);
    for (const client of result.clients) {
      // Everyone was on A or B, and both restarted: at least one 1012, and each reconnect
      // after a 1012 went to the process that was not shutting down.
      expect(client.closes1012, client.id).toBeGreaterThanOrEqual(1);
      expect(client.movedAfter1012, client.id).toBe(client.closes1012);
    }
    const page = result.clients.find((client) => client.kind === 'chromium');
    expect(page?.shown).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  }, 120_000);

  test('control: without resume by sequence number, the same counters report losses', async () => {
    const result = await runPushRestart({
      nodeClients: 4,
      browserPages: 0,
      rate: 20,
      steadyMs: 1_500,
      resume: false,
    });
    expect(result.totals.closes1012).toBeGreaterThanOrEqual(4);
    expect(result.totals.lost).toBeGreaterThan(0);
  }, 120_000);
});
