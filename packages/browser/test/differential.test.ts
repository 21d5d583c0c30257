// Differential test: every scenario of differential/scenarios.ts runs against our WebSocket
// class in Node and against Chromium's native WebSocket in a page, both talking to the same
// server (differential/server.ts, `ws`-based). Each run records the observable sequence of
// events and values as plain data; the two records must be equal. Chromium is the reference
// for what the standard leaves open (which failures fire 'error', when readyState changes,
// what bufferedAmount counts after close).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from '../src/node.js';
import { type Browser, launchChromium } from './chromium.js';
import { type Log, scenarios } from './differential/scenarios.js';
import { type DifferentialServer, startServer } from './differential/server.js';

let browser: Browser;
let server: DifferentialServer;
let page: Page;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startServer()]);
  page = await browser.context.newPage();
  await page.goto(server.page);
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
}, 30_000);

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await server?.close();
});

/** In the page: the same scenario with the native class. */
function inChromium(name: string): Promise<Log> {
  return page.evaluate(
    ([scenario, base]) =>
      (
        globalThis as unknown as {
          runScenario(scenario: string, base: string): Promise<Log>;
        }
      ).runScenario(scenario, base),
    [name, server.base] as const,
  );
}

/** The records of a few scenarios, spelled out: Chromium is the reference, not the oracle. */
const EXPECTED: Record<string, Log> = {
  'a rejected handshake (403): error, then close 1006': [
    ['created', 0],
    ['error', 3, 'Event'],
    ['close', 3, 'CloseEvent', 1006, '', false, 0],
  ],
  'the TCP connection drops without a close frame: 1006, no error': [
    ['open', 1, 'Event', '', expect.stringMatching(/^permessage-deflate/) as unknown as string],
    ['close', 3, 'CloseEvent', 1006, '', false, 0],
  ],
  'the server closes without a code: 1005': [
    ['open', 1, 'Event', '', expect.stringMatching(/^permessage-deflate/) as unknown as string],
    ['close', 3, 'CloseEvent', 1005, '', true, 0],
  ],
};

describe('our WebSocket on Node behaves as Chromium’s native WebSocket', () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    test(name, async () => {
      const ours = await scenario({ WebSocket, base: server.base });
      const chromium = await inChromium(name);
      if (process.env.WSKIT_PRINT_LOGS) console.log(name, JSON.stringify(ours));
      expect(ours).toEqual(chromium);
      const expected = EXPECTED[name];
      if (expected !== undefined) expect(ours).toEqual(expected);
    });
  }
});

describe('where the web-platform-tests and Chromium disagree, we follow the tests', () => {
  test('subprotocols repeated in another case: Chromium accepts them, we throw SyntaxError', async () => {
    const url = `${server.base}/hang`;
    const chromium = await page.evaluate((url) => {
      // The page's own class (a bare `WebSocket` here would name this module's import).
      const Native = (globalThis as unknown as { WebSocket: typeof WebSocket }).WebSocket;
      try {
        new Native(url, ['chat', 'Chat']).close();
        return 'accepted';
      } catch (error) {
        return (error as Error).name;
      }
    }, url);
    // Recorded, so that a Chromium that starts to follow the tests shows up here.
    expect(chromium).toBe('accepted');
    expect(() => new WebSocket(url, ['chat', 'Chat'])).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
  });
});
