// Issue 15, "restarts without loss": the rolling-restart scenario of scripts/restart.mjs, small
// (redis-server, two chat processes, nginx, Node members and one Chromium page on the real
// page, all writing to the lobby; A then B get SIGTERM and are started again).
//
// Every message written must end acknowledged and received by every member once, or shown as
// failed to its sender; `unresolved` and `lostAtMembers` are the silent losses. The counters
// are real: the control runs the same scenario with members that neither resend nor rejoin
// with `lastSeen`, and the counters then report what was written or broadcast during the
// outages as lost.
import { describe, expect, test } from 'vitest';
import { runChatRestart } from '../scripts/restart-scenario.mjs';

describe('chat: rolling restart behind nginx', () => {
  test('every message is delivered once to every member or shown as failed; 1012, never back to the closing process', async () => {
    const result = await runChatRestart({
      nodeClients: 8,
      browserPages: 1,
      messagesPerSecondPerClient: 1,
    });
    expect(result.restarts.map((r) => r.exitCode)).toEqual([0, 0]);
    const { totals } = result;
    expect(totals.written).toBeGreaterThan(40);
    expect(totals.acked + totals.failed).toBe(totals.written);
    expect(totals).toMatchObject({
      members: 9,
      unresolved: 0,
      lostAtMembers: 0,
      storedTwice: 0,
      duplicatedReceipts: 0,
      shownTwice: 0,
      failedButDelivered: 0,
      stayedAfter1012: 0,
    });
    for (const client of result.clients) {
      expect(client.closes1012, client.id).toBeGreaterThanOrEqual(1);
      expect(client.movedAfter1012, client.id).toBe(client.closes1012);
    }
  }, 120_000);

  test('control: without resend and replay, the same counters report losses', async () => {
    const result = await runChatRestart({
      nodeClients: 4,
      browserPages: 0,
      messagesPerSecondPerClient: 4,
      steadyMs: 1_500,
      resume: false,
    });
    expect(result.totals.closes1012).toBeGreaterThanOrEqual(4);
    expect(result.totals.unresolved + result.totals.lostAtMembers).toBeGreaterThan(0);
  }, 120_000);
});
