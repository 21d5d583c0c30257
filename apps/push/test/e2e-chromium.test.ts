// The page in headless Chromium (the system binary through playwright-core, a fresh profile):
// served by the Node server through a proxy the test can cut, so "the client goes offline"
// is real loss of connectivity rather than a simulated event. Each test saves a screenshot
// into .output/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { buildWeb } from '../scripts/build.mjs';
import { FileStore } from '../server/file-store.js';
import { type NodePushServer, startPushServer } from '../server/node.js';
import { RedisStore } from '../server/redis-store.js';
import type { NotificationStore } from '../server/store.js';
import { notify, TOKEN, tempDir } from './helpers.js';
import { startNginx } from './nginx-process.js';
import { CuttableProxy } from './proxy.js';
import { freePort, type RedisInstance, startRedis } from './redis.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const outputDir = fileURLToPath(new URL('../.output/', import.meta.url));

let context: BrowserContext;
let profileDir: string;
let webDir: string;
let redis: RedisInstance;

beforeAll(async () => {
  webDir = tempDir('push-web-');
  profileDir = mkdtempSync(join(tmpdir(), 'push-chromium-'));
  mkdirSync(outputDir, { recursive: true });
  [redis, context] = await Promise.all([
    startRedis(),
    buildWeb(webDir).then(() =>
      chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        timeout: 20_000,
        viewport: { width: 1000, height: 640 },
      }),
    ),
  ]);
});

afterAll(async () => {
  await context?.close();
  await redis?.stop();
  rmSync(profileDir, { recursive: true, force: true });
  rmSync(webDir, { recursive: true, force: true });
});

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function temporaryFileStore(): () => Promise<NotificationStore> {
  const dir = tempDir();
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return () => FileStore.open({ dir });
}

/** A server that can be restarted on the same port with the same data. */
async function serverFixture(openStore: () => Promise<NotificationStore>) {
  const port = await freePort();
  let server: NodePushServer | undefined;
  const fixture = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    async start() {
      server = await startPushServer({ store: await openStore(), token: TOKEN, webDir, port });
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
  };
  await fixture.start();
  cleanup.push(() => fixture.stop());
  const proxy = new CuttableProxy(port);
  await proxy.listen();
  cleanup.push(() => proxy.close());
  return { server: fixture, proxy };
}

async function openInbox(proxy: CuttableProxy, topic: string): Promise<Page> {
  const page = await context.newPage();
  cleanup.push(() => page.close());
  await page.goto(`http://127.0.0.1:${proxy.port}/?topics=${topic}&retryMs=100&maxRetryMs=300`);
  await waitForState(page, 'live');
  // Subscribed: the page has learned the topic's head.
  await page.waitForFunction(
    (name) =>
      (window as unknown as { push: { cursors(): Record<string, number | null> } }).push.cursors()[
        name
      ] !== null,
    topic,
  );
  return page;
}

const waitForState = (page: Page, state: string) =>
  page.waitForSelector(`#status[data-state="${state}"]`, { timeout: 10_000 });

async function feedItems(page: Page, topic: string, count: number) {
  await page.waitForFunction(
    ([name, n]) =>
      document.querySelectorAll(`#feed li[data-topic="${name}"]`).length >= (n as number),
    [topic, count] as const,
    { timeout: 10_000 },
  );
  // The feed shows the newest first; return oldest first.
  return (
    await page.$$eval(`#feed li[data-topic="${topic}"]`, (items) =>
      items.map((item) => ({
        seq: Number((item as HTMLElement).dataset.seq),
        title: item.querySelector('.title')?.textContent ?? '',
      })),
    )
  ).reverse();
}

async function push(url: string, topic: string, title: string, body = '') {
  const answer = await notify(url, { topic, title, body });
  expect(answer.status).toBe(202);
  return answer.json;
}

test('a push sent over HTTP appears on the page, escaped, as a toast and in the feed', async () => {
  const { server, proxy } = await serverFixture(temporaryFileStore());
  const page = await openInbox(proxy, 'e2e-live');
  const title = '<img src=x onerror="window.pwned=1"> Deploy finished';
  await push(server.url, 'e2e-live', title, 'Build #42 is live on <b>production</b>.');
  expect(await feedItems(page, 'e2e-live', 1)).toEqual([{ seq: 1, title }]);
  await page.waitForSelector('.toast');
  expect(await page.locator('#feed img, #feed b, .toast img').count()).toBe(0);
  expect(
    await page.evaluate(() => (window as unknown as { pwned?: number }).pwned),
  ).toBeUndefined();
  await page.screenshot({ path: join(outputDir, 'push-live.png') });
});

test('a client offline during three pushes receives all three, in order, after reconnecting', async () => {
  const { server, proxy } = await serverFixture(temporaryFileStore());
  const page = await openInbox(proxy, 'e2e-offline');
  await push(server.url, 'e2e-offline', 'before');
  await feedItems(page, 'e2e-offline', 1);

  proxy.block();
  await waitForState(page, 'reconnecting');
  for (const title of ['missed 1', 'missed 2', 'missed 3'])
    await push(server.url, 'e2e-offline', title);
  await page.screenshot({ path: join(outputDir, 'push-offline-reconnecting.png') });
  proxy.unblock();

  await waitForState(page, 'live');
  expect(await feedItems(page, 'e2e-offline', 4)).toEqual([
    { seq: 1, title: 'before' },
    { seq: 2, title: 'missed 1' },
    { seq: 3, title: 'missed 2' },
    { seq: 4, title: 'missed 3' },
  ]);
  await page.screenshot({ path: join(outputDir, 'push-offline-replayed.png') });
});

describe.each([
  ['file', temporaryFileStore],
  [
    'redis',
    () => {
      const prefix = `e2e${Date.now()}:`;
      return () => RedisStore.open({ url: redis.url, prefix });
    },
  ],
] as const)('%s store', (kind, makeOpener) => {
  test('a server restart: the client comes back and replays what was accepted meanwhile', async () => {
    const { server, proxy } = await serverFixture(makeOpener());
    const topic = `e2e-restart-${kind}`;
    const page = await openInbox(proxy, topic);
    await push(server.url, topic, 'first');
    await feedItems(page, topic, 1);

    // Accepted while the client cannot hear, then the server goes down and comes back: only
    // the store (disk or Redis) still has them.
    proxy.block();
    await waitForState(page, 'reconnecting');
    await push(server.url, topic, 'while away 1');
    await push(server.url, topic, 'while away 2');
    await server.stop();
    await server.start();
    proxy.unblock();

    await waitForState(page, 'live');
    await push(server.url, topic, 'after restart');
    expect(await feedItems(page, topic, 4)).toEqual([
      { seq: 1, title: 'first' },
      { seq: 2, title: 'while away 1' },
      { seq: 3, title: 'while away 2' },
      { seq: 4, title: 'after restart' },
    ]);
    await page.screenshot({ path: join(outputDir, `push-restart-${kind}.png`) });
  });
});

test('the feed survives a reload: stored feed, history of what arrived while closed, then live', async () => {
  const { server, proxy } = await serverFixture(temporaryFileStore());
  let page = await openInbox(proxy, 'e2e-reload');
  await push(server.url, 'e2e-reload', 'one');
  await push(server.url, 'e2e-reload', 'two');
  await feedItems(page, 'e2e-reload', 2);
  await page.click('#mark-read');
  await page.waitForFunction(() => document.title === 'Push · wskit');

  await page.reload();
  await waitForState(page, 'live');
  expect(await feedItems(page, 'e2e-reload', 2)).toEqual([
    { seq: 1, title: 'one' },
    { seq: 2, title: 'two' },
  ]);

  // The tab is closed while two more are published; a new tab restores them from the server.
  await page.close();
  await push(server.url, 'e2e-reload', 'three');
  await push(server.url, 'e2e-reload', 'four');
  page = await context.newPage();
  cleanup.push(() => page.close());
  await page.goto(`http://127.0.0.1:${proxy.port}/`);
  expect(await feedItems(page, 'e2e-reload', 4)).toEqual([
    { seq: 1, title: 'one' },
    { seq: 2, title: 'two' },
    { seq: 3, title: 'three' },
    { seq: 4, title: 'four' },
  ]);
  await waitForState(page, 'live');
  // They came from the history endpoint (shown quietly), not as live toasts.
  expect(await page.locator('.toast').count()).toBe(0);
  // Unread: the two that arrived while away, on the chip and in the title.
  await page.waitForFunction(() => document.title === '(2) Push · wskit');
  expect(await page.textContent('#topics li[data-topic="e2e-reload"] .badge')).toBe('2');
  expect(await page.$$eval('#feed li.unread', (items) => items.length)).toBe(2);

  await push(server.url, 'e2e-reload', 'five');
  expect((await feedItems(page, 'e2e-reload', 5)).at(-1)).toEqual({ seq: 5, title: 'five' });
  await page.waitForFunction(() => document.title === '(3) Push · wskit');
  await page.screenshot({ path: join(outputDir, 'push-reload-unread.png') });
  await page.click('#topics li[data-topic="e2e-reload"] .chip-name');
  await page.waitForFunction(() => document.title === 'Push · wskit');
  // Exactly once each: nothing was rendered twice by the overlap of history and replay.
  expect(await page.$$eval('#feed li', (items) => items.length)).toBe(5);
});

test('behind an nginx that refuses the WebSocket upgrade the page falls back to SSE and replays', async () => {
  const { server } = await serverFixture(temporaryFileStore());
  const nginx = await startNginx(Number(new URL(server.url).port), { refuseWebSocket: true });
  cleanup.push(() => nginx.stop());
  // The browser reaches nginx through a proxy the test can cut, to make it miss notifications.
  const proxy = new CuttableProxy(nginx.port);
  await proxy.listen();
  cleanup.push(() => proxy.close());
  // The upgrade really is refused by nginx (the app would accept it).
  const upgradeStatus = await new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${nginx.port}/ws`);
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.close();
    });
    socket.on('error', reject);
  });
  expect(upgradeStatus).toBe(403);

  const page = await openInbox(proxy, 'e2e-sse');
  await page.waitForSelector('#status[data-state="live"][data-transport="sse"]');
  expect(await page.textContent('#status .label')).toBe('Live · SSE');
  expect(
    await page.evaluate(() =>
      (window as unknown as { push: { transport(): string } }).push.transport(),
    ),
  ).toBe('sse');
  await push(server.url, 'e2e-sse', 'over SSE');
  expect(await feedItems(page, 'e2e-sse', 1)).toEqual([{ seq: 1, title: 'over SSE' }]);
  await page.screenshot({ path: join(outputDir, 'push-sse-live.png') });

  proxy.block();
  await waitForState(page, 'reconnecting');
  for (const title of ['missed 1', 'missed 2', 'missed 3'])
    await push(server.url, 'e2e-sse', title);
  proxy.unblock();
  await page.waitForSelector('#status[data-state="live"][data-transport="sse"]', {
    timeout: 15_000,
  });
  expect(await feedItems(page, 'e2e-sse', 4)).toEqual([
    { seq: 1, title: 'over SSE' },
    { seq: 2, title: 'missed 1' },
    { seq: 3, title: 'missed 2' },
    { seq: 4, title: 'missed 3' },
  ]);
  await push(server.url, 'e2e-sse', 'live again');
  expect((await feedItems(page, 'e2e-sse', 5)).at(-1)).toEqual({ seq: 5, title: 'live again' });
  await page.screenshot({ path: join(outputDir, 'push-sse-replayed.png') });
}, 40_000);

test('on a 390 × 844 phone screen nothing overflows and the Subscribe button is on screen', async () => {
  const { server, proxy } = await serverFixture(temporaryFileStore());
  const page = await context.newPage();
  cleanup.push(() => page.close());
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`http://127.0.0.1:${proxy.port}/?topics=general,deploys,alerts-production`);
  await waitForState(page, 'live');
  await push(server.url, 'deploys', 'Deploy finished', 'Build #42 is live on production.');
  await push(server.url, 'alerts-production', 'Disk 91% full', 'db-1: /var is at 91%.');
  await feedItems(page, 'deploys', 1);
  await feedItems(page, 'alerts-production', 1);
  const layout = await page.evaluate(() => {
    const button = document.querySelector('#topic-form button') as HTMLElement;
    return {
      scrollWidth: document.documentElement.scrollWidth,
      buttonRight: button.getBoundingClientRect().right,
    };
  });
  expect(layout.scrollWidth).toBeLessThanOrEqual(390);
  expect(layout.buttonRight).toBeLessThanOrEqual(390);
  await page.screenshot({ path: join(outputDir, 'push-mobile-390.png') });
});
