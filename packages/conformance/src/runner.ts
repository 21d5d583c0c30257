// Plays a case from either side: against a server through the raw client, against a client
// through the raw server. Same script, same checks; only masking and the handshake differ.

import { delay, describeBytes, diffBytes } from './bytes.js';
import type { CaseScript, Step } from './cases/dsl.js';
import { type CaseGroup, type ConformanceCase, caseGroups } from './cases/index.js';
import type { RawConnection } from './connection.js';
import {
  checkExpectation,
  describeObservation,
  type Expectation,
  type Expected,
  type ExpectedEnd,
  NO_STATUS,
  observe,
} from './expect.js';
import { fragmentMessage, Opcode } from './frame.js';
import { connectRaw } from './raw-client.js';
import type { RawServer } from './raw-server.js';

export interface CaseReport {
  id: string;
  description: string;
  passed: boolean;
  /** Why the case failed; empty when it passed. */
  failures: string[];
  /** Things worth knowing that are not failures (a declined offer, a limited negotiation). */
  notes: string[];
  /** What the peer sent, summarised in order. */
  received: string[];
  durationMs: number;
}

/** The echo client a client suite drives: connect to `url`, echo every message until closed. */
export type EchoClient = (url: string) => Promise<{ closeCode?: number }>;

export type Side = 'server' | 'client';

export interface CaseSelection {
  /** Include the cases that negotiate permessage-deflate (groups 12 and 13). */
  deflate?: boolean;
  /** Keep only the cases this accepts (for example `(c) => c.id.startsWith('9.')`). */
  filter?: (testCase: ConformanceCase) => boolean;
}

/** The case groups that apply to one side, filtered; empty groups are dropped. */
export function selectCases(side: Side, selection: CaseSelection = {}): CaseGroup[] {
  return caseGroups
    .map((group) => ({
      ...group,
      cases: group.cases.filter(
        (testCase) =>
          (testCase.side === undefined || testCase.side === side) &&
          (selection.deflate === true || testCase.deflate === undefined) &&
          (selection.filter?.(testCase) ?? true),
      ),
    }))
    .filter((group) => group.cases.length > 0);
}

/** Ids of every case that exists for a side, to catch typos in expected-failure lists. */
export function allCaseIds(side: Side): Set<string> {
  return new Set(
    selectCases(side, { deflate: true }).flatMap((group) =>
      group.cases.map((testCase) => testCase.id),
    ),
  );
}

/** A failing peer should fail at once; an echo with a clean close may take a moment longer. */
function endTimeout(testCase: ConformanceCase, script: CaseScript): number {
  return testCase.endTimeoutMs ?? (script.expect.end.kind === 'fail' ? 1500 : 3000);
}

function isPeerClosing(connection: RawConnection): boolean {
  return connection.closeReceived !== undefined || connection.peerGone;
}

/** Runs the steps of a script; a step's unmet requirement becomes a failure, and play goes on. */
export async function playSteps(
  connection: RawConnection,
  steps: readonly Step[],
  failures: string[],
): Promise<void> {
  const peer = connection.role === 'client' ? 'server' : 'client';
  for (const step of steps) {
    // Once the peer is closing or gone, the outcome is decided: sending more proves nothing.
    if (isPeerClosing(connection) && (step.kind === 'send' || step.kind === 'message')) return;
    switch (step.kind) {
      case 'send':
        await connection.sendFrames(step.frames, {
          ...(step.chop ? { chop: step.chop } : {}),
          ...(step.frameDelayMs !== undefined ? { frameDelayMs: step.frameDelayMs } : {}),
        });
        break;
      case 'message': {
        const deflate = step.compress ? connection.deflate : undefined;
        const compressed = deflate !== undefined;
        const payload = deflate ? await deflate.compress(step.data) : step.data;
        const opcode = step.type === 'text' ? Opcode.text : Opcode.binary;
        const frames = fragmentMessage(
          opcode,
          payload,
          Math.max(1, step.fragmentSize ?? payload.length),
          { rsv1: compressed },
        );
        await connection.sendFrames(frames, step.chop ? { chop: step.chop } : {});
        break;
      }
      case 'wait':
        await delay(step.ms);
        break;
      case 'quiet':
        if (await connection.waitFor(() => isPeerClosing(connection), step.ms)) {
          failures.push(`the ${peer} closed the connection although ${step.because}`);
        }
        break;
      case 'awaitPong': {
        const answered = () =>
          connection.frames.some(
            (frame) =>
              frame.opcode === Opcode.pong && diffBytes(frame.payload, step.payload) === undefined,
          );
        if (
          !(await connection.waitFor(() => answered() || connection.peerGone, step.timeoutMs)) ||
          !answered()
        ) {
          failures.push(
            `no pong ${describeBytes(step.payload, 12)} within ${step.timeoutMs} ms: ${step.because}`,
          );
        }
        break;
      }
      case 'awaitClose':
        if (!(await connection.waitFor(() => isPeerClosing(connection), step.timeoutMs))) {
          failures.push(`the ${peer} did not close within ${step.timeoutMs} ms: ${step.because}`);
        }
        break;
    }
  }
}

/**
 * Waits for the peer to finish the way `end` expects, then checks the TCP side of it: a server
 * closes TCP after the closing handshake (RFC 6455 §7.1.1), a client does not close it before
 * the server's close frame.
 */
export async function awaitEnd(
  connection: RawConnection,
  end: ExpectedEnd,
  timeoutMs: number,
  failures: string[],
): Promise<void> {
  if (connection.role === 'client') {
    // Against a server: its close frame (if any) precedes its TCP close, so wait for the latter.
    await connection.waitForPeerClose(timeoutMs);
    if (connection.closeReceived && !connection.peerGone) {
      failures.push(
        `the server sent its close frame but did not close TCP within ${timeoutMs} ms (RFC 6455 §7.1.1: the server closes first)`,
      );
    }
    return;
  }
  // Against a client: the raw server closes TCP itself once both close frames are exchanged.
  await connection.waitFor(() => isPeerClosing(connection), timeoutMs);
  // (A TCP close without any close frame is reported by the expectation check.)
  if (
    end.kind === 'close' &&
    connection.peerClosedAt !== undefined &&
    connection.closeReceived !== undefined &&
    (connection.closeSentAt === undefined || connection.peerClosedAt < connection.closeSentAt)
  ) {
    failures.push(
      "the client closed TCP before the server's close frame (RFC 6455 §7.1.1: the server closes first)",
    );
  }
  await connection.waitFor(() => connection.socketClosed, 1000);
}

async function finishReport(
  report: CaseReport,
  connection: RawConnection,
  expectation: Parameters<typeof checkExpectation>[1],
): Promise<void> {
  const observed = await observe(connection);
  report.failures.push(...(await checkExpectation(connection, expectation, observed)));
  const shown = observed.observations.slice(0, 12).map(describeObservation);
  if (observed.observations.length > shown.length)
    shown.push(`… ${observed.observations.length - shown.length} more`);
  report.received = shown;
}

function newReport(testCase: ConformanceCase): CaseReport {
  return {
    id: testCase.id,
    description: testCase.description,
    passed: false,
    failures: [],
    notes: [],
    received: [],
    durationMs: 0,
  };
}

/** Plays one case against the server at `url` (a fresh connection per case). */
export async function runServerCase(url: string, testCase: ConformanceCase): Promise<CaseReport> {
  const started = performance.now();
  const report = newReport(testCase);
  const script = testCase.script();
  let connection: RawConnection | undefined;
  try {
    try {
      const client = await connectRaw(url, testCase.deflate ? { deflate: testCase.deflate } : {});
      connection = client;
      if (testCase.deflate && !client.negotiatedDeflate) {
        if (testCase.deflateRequired)
          report.failures.push('the server declined the permessage-deflate offer');
        else
          report.notes.push(
            'the server declined the offer (allowed, RFC 7692 §5); only the uncompressed echo was checked',
          );
      }
    } catch (error) {
      report.failures.push(`opening handshake: ${(error as Error).message}`);
      return report;
    }
    await playSteps(connection, script.steps, report.failures);
    await awaitEnd(connection, script.expect.end, endTimeout(testCase, script), report.failures);
    await finishReport(report, connection, script.expect);
    return report;
  } finally {
    connection?.destroy();
    connection?.deflate?.close();
    report.passed = report.failures.length === 0;
    report.durationMs = performance.now() - started;
  }
}

/**
 * Plays one case against a client: `runEchoClient` is told to connect to a path named after the
 * case on `server`, which then plays the script from the server side.
 */
export async function runClientCase(
  server: RawServer,
  testCase: ConformanceCase,
  runEchoClient: EchoClient,
): Promise<CaseReport> {
  const started = performance.now();
  const report = newReport(testCase);
  const script = testCase.script();
  const path = `/${testCase.id}`;
  const accepted = server.accept({
    path,
    ...(testCase.deflate?.[0] ? { deflate: testCase.deflate[0] } : {}),
  });
  let outcome: { result?: { closeCode?: number }; error?: Error } | undefined;
  const clientRun = Promise.resolve()
    .then(() => runEchoClient(server.url(path)))
    .then(
      (result) => (outcome = { result }),
      (error: unknown) =>
        (outcome = { error: error instanceof Error ? error : new Error(String(error)) }),
    );
  let connection: RawConnection | undefined;
  try {
    try {
      const serverConnection = await accepted;
      connection = serverConnection;
      report.notes.push(...serverConnection.notes);
      if (testCase.deflate && !serverConnection.negotiatedDeflate) {
        report.failures.push('the client did not offer permessage-deflate');
      }
    } catch (error) {
      report.failures.push(`opening handshake: ${(error as Error).message}`);
      await Promise.race([clientRun, delay(1000)]);
      return report;
    }
    await playSteps(connection, script.steps, report.failures);
    await awaitEnd(connection, script.expect.end, endTimeout(testCase, script), report.failures);
    await finishReport(report, connection, script.expect);
    connection.destroy();

    // The client must notice the close and report it.
    await Promise.race([clientRun, delay(3000)]);
    if (outcome === undefined) {
      report.failures.push(
        'the echo client did not finish within 3000 ms of the connection closing',
      );
    } else if (outcome.error) {
      if (script.expect.end.kind === 'close')
        report.failures.push(`the echo client failed: ${outcome.error.message}`);
      else report.notes.push(`the echo client rejected: ${outcome.error.message}`);
    } else {
      const reported = outcome.result?.closeCode;
      if (reported !== undefined) {
        // RFC 6455 §7.1.5: the code is the one in the first close frame the client received:
        // ours when the server closed first; when the client closed first, its own echoed back
        // (or 1006 if the close frame was lost with the TCP connection).
        const clientCode = closeCodeOf(connection) ?? NO_STATUS;
        const serverFirst =
          connection.closeSentAt !== undefined &&
          (connection.closeReceivedAt === undefined ||
            connection.closeSentAt <= connection.closeReceivedAt);
        const allowed =
          script.expect.end.kind === 'close' && serverFirst
            ? [connection.closeSentCode ?? NO_STATUS]
            : [...new Set([...script.expect.end.codes, clientCode, 1006])];
        if (!allowed.includes(reported)) {
          report.failures.push(
            `the echo client reported close code ${reported}, expected ${allowed.join(' or ')} (RFC 6455 §7.1.5)`,
          );
        }
      }
    }
    return report;
  } finally {
    connection?.destroy();
    connection?.deflate?.close();
    report.passed = report.failures.length === 0;
    report.durationMs = performance.now() - started;
  }
}

/** The status code in the close frame the peer sent, if any. */
function closeCodeOf(connection: RawConnection): number | undefined {
  const payload = connection.closeReceived?.payload;
  if (!payload || payload.length < 2) return undefined;
  return ((payload[0] as number) << 8) | (payload[1] as number);
}

/**
 * For hand-written cases: waits for the peer to finish, then throws unless it sent exactly
 * `receive` (messages and pongs, in order) and a close frame with one of `codes`, followed by the
 * TCP close.
 */
export async function assertEchoThenClose(
  connection: RawConnection,
  receive: Expected[],
  codes: number[] = [1000],
  timeoutMs = 3000,
): Promise<void> {
  await assertEnd(connection, { receive, end: { kind: 'close', codes } }, timeoutMs);
}

/**
 * For hand-written cases: waits for the peer to fail the connection and throws unless it did,
 * either with a close frame carrying one of `codes` and then the TCP close, or with the TCP close
 * alone (after sending exactly `receive` first).
 */
export async function assertConnectionFailed(
  connection: RawConnection,
  codes: number[],
  receive: Expected[] = [],
  timeoutMs = 2000,
): Promise<void> {
  await assertEnd(connection, { receive, end: { kind: 'fail', codes } }, timeoutMs);
}

async function assertEnd(
  connection: RawConnection,
  expectation: Expectation,
  timeoutMs: number,
): Promise<void> {
  const failures: string[] = [];
  await awaitEnd(connection, expectation.end, timeoutMs, failures);
  failures.push(...(await checkExpectation(connection, expectation)));
  if (failures.length > 0) throw new Error(failures.join('\n'));
}

/** A readable multi-line account of a report, for test failures. */
export function formatReport(report: CaseReport): string {
  const lines = [`${report.id} ${report.description}`];
  for (const failure of report.failures) lines.push(`  ✗ ${failure}`);
  for (const note of report.notes) lines.push(`  · ${note}`);
  if (report.received.length > 0) lines.push(`  received: ${report.received.join(', ')}`);
  return lines.join('\n');
}
