// Chromium against a Node chat server: a phone-sized screen (390 × 844: the conversation gets
// the screen, rooms in a drawer, unread counts per room) and the rate limit seen from the page
// (refused messages are shown as failed with a Retry that delivers them, once each).
import { afterEach, expect, test } from 'vitest';
import { InProcessBroker } from '../server/broker.js';
import { type NodeChat, startNodeChat } from '../server/node-server.js';
import { defaultWebDir } from '../server/static.js';
import { type Browser, enterChat, launchUser, messageTexts, say, screenshot } from './chromium.js';

const webDir = defaultWebDir(new URL('../server/node.ts', import.meta.url).href);
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(options: Partial<Parameters<typeof startNodeChat>[0]> = {}) {
  const chat: NodeChat = await startNodeChat({
    port: 0,
    webDir,
    broker: new InProcessBroker(['lobby']),
    ...options,
  });
  cleanup.push(() => chat.close());
  return chat;
}

async function user(): Promise<Browser> {
  const browser = await launchUser();
  cleanup.push(() => browser.close());
  const errors: string[] = [];
  browser.page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  browser.page.on('pageerror', (error) => errors.push(error.message));
  // No console errors (a missing favicon used to be one) by the end of the test.
  cleanup.push(async () => expect(errors).toEqual([]));
  return browser;
}

test('on a 390 × 844 phone: drawer for rooms, full-width conversation, unread per room', async () => {
  const chat = await start();
  const [alice, bob] = await Promise.all([user(), user()]);
  const phone = alice.page;
  await phone.setViewportSize({ width: 390, height: 844 });

  // First visit: the drawer is open on the nickname.
  await phone.goto(chat.url);
  await phone.waitForSelector('#status[data-state="live"]');
  expect(await phone.evaluate(() => document.body.classList.contains('drawer-open'))).toBe(true);
  await phone.fill('#nick', 'alice');
  await phone.press('#nick', 'Enter');
  await phone.waitForFunction(() =>
    document.querySelector('#room-title')?.textContent?.includes('# lobby'),
  );
  // Joined: the drawer closes and the conversation has the screen.
  await phone.waitForFunction(() => !document.body.classList.contains('drawer-open'));
  await phone.waitForFunction(
    () => (document.querySelector('#sidebar') as HTMLElement).getBoundingClientRect().right <= 0,
  );
  const layout = await phone.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    messagesWidth: (document.querySelector('#messages') as HTMLElement).getBoundingClientRect()
      .width,
    composerBottom: (document.querySelector('#composer') as HTMLElement).getBoundingClientRect()
      .bottom,
  }));
  expect(layout.scrollWidth).toBeLessThanOrEqual(390);
  expect(layout.messagesWidth).toBeGreaterThan(340);
  expect(layout.composerBottom).toBeLessThanOrEqual(844);

  // Alice creates #ops from the drawer, then goes back to the lobby.
  await phone.click('#rooms-toggle');
  await phone.fill('#new-room', 'ops');
  await phone.press('#new-room', 'Enter');
  await phone.waitForFunction(() =>
    document.querySelector('#room-title')?.textContent?.includes('# ops'),
  );
  await phone.click('#rooms-toggle');
  await phone.click('#rooms button[data-room="lobby"]');
  await phone.waitForFunction(() =>
    document.querySelector('#room-title')?.textContent?.includes('# lobby'),
  );
  await say(phone, 'morning all, anything on fire?');

  // Bob writes in #ops: Alice, in the lobby, sees an unread count on the toggle and the title.
  await enterChat(bob.page, chat.url, 'bob');
  await bob.page.click('#rooms button[data-room="ops"]');
  await bob.page.waitForFunction(() =>
    document.querySelector('#room-title')?.textContent?.includes('# ops'),
  );
  await say(bob.page, 'deploy 42 is rolling out');
  await say(bob.page, 'all green');
  await phone.waitForFunction(() => document.title === '(2) wskit chat');
  expect(await phone.textContent('#rooms-toggle-badge')).toBe('2');
  await screenshot(phone, 'chat-mobile-390');

  await phone.click('#rooms-toggle');
  // The drawer slides in (0.2 s): wait until it is fully on screen before looking.
  await phone.waitForFunction(
    () => (document.querySelector('#sidebar') as HTMLElement).getBoundingClientRect().left === 0,
  );
  expect(await phone.textContent('#rooms button[data-room="ops"] .badge')).toBe('2');
  await screenshot(phone, 'chat-mobile-390-drawer');
  await phone.click('#rooms button[data-room="ops"]');
  await phone.waitForFunction(() => document.title === 'wskit chat');
  expect(await messageTexts(phone)).toEqual(['deploy 42 is rolling out', 'all green']);
  expect(await phone.evaluate(() => document.body.classList.contains('drawer-open'))).toBe(false);
}, 45_000);

test('messages refused by the rate limit are shown failed, and Retry delivers each once', async () => {
  // A small bucket: joining uses three tokens, each message one or two (say + typing).
  const chat = await start({ rateLimit: { burst: 8, perSecond: 1 } });
  const alice = await user();
  const page = alice.page;
  await enterChat(page, chat.url, 'alice');
  const texts = Array.from({ length: 8 }, (_, index) => `burst ${index + 1}`);
  for (const text of texts) await say(page, text);

  await page.waitForSelector('#messages li.failed .retry');
  // Every message ends shown delivered or failed, none left pending. The first failure can
  // show while later messages still wait for the server's answer, so wait for the last one.
  await page.waitForFunction(
    () => document.querySelectorAll('#messages li.pending:not(.failed)').length === 0,
    undefined,
    { timeout: 10_000 },
  );
  const failed = await page.$$eval('#messages li.failed', (items) => items.length);
  expect(failed).toBeGreaterThan(0);
  expect(await page.textContent('#messages li.failed .delivery')).toBe('not sent');
  await screenshot(page, 'chat-rate-limited');

  // Retry each failed message until it is delivered (a retry too early is refused again). The
  // page renders once per frame, so the loop runs in the page and judges only what it shows:
  // a click goes to a button on screen, and the end is every own message shown delivered.
  await page.waitForFunction(
    (count) => {
      const retry = document.querySelector<HTMLButtonElement>('#messages li.failed .retry');
      if (retry !== null) {
        retry.click();
        return false;
      }
      const marks = [...document.querySelectorAll('#messages li.own .delivery')];
      return marks.length === count && marks.every((mark) => mark.textContent === '✓ delivered');
    },
    texts.length,
    { polling: 200, timeout: 45_000 },
  );
  expect((await messageTexts(page)).sort()).toEqual([...texts].sort());
  expect(
    await page.$$eval('#messages li.own .delivery', (nodes) => nodes.map((n) => n.textContent)),
  ).toEqual(texts.map(() => '✓ delivered'));
  await screenshot(page, 'chat-rate-limited-retried');
}, 60_000);
