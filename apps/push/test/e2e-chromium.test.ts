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
import { buildWeb } from '../scripts/build.mjs';
import { FileStore } from '../server/file-store.js';
import { type NodePushServer, startPushServer } from '../server/node.js';
import { RedisStore } from '../server/redis-store.js';
import type { NotificationStore } from '../server/store.js';
import { notify, TOKEN, tempDir } from './helpers.js';
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
