// Two users in two Chromium profiles chat in the lobby of a Node server: presence, history on
// join, typing, delivery marks, escaping, and a reconnect after the server restarts.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { InProcessBroker } from '../server/broker.js';
import { type NodeChat, startNodeChat } from '../server/node-server.js';
import { defaultWebDir } from '../server/static.js';
import { type Browser, enterChat, launchUser, messageTexts, say, screenshot } from './chromium.js';

const webDir = defaultWebDir(new URL('../server/node.ts', import.meta.url).href);
const broker = new InProcessBroker(['lobby']);
let chat: NodeChat;
let alice: Browser;
let bob: Browser;

beforeAll(async () => {
  chat = await startNodeChat({ port: 0, webDir, broker });
  [alice, bob] = await Promise.all([launchUser(), launchUser()]);
});

afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  await chat?.close();
});

test('two users chat: presence, history on join, typing, delivery, escaping, restart', async () => {
  await enterChat(alice.page, chat.url, 'alice');
  await say(alice.page, 'hello <b>bob</b> & co');
  await alice.page.waitForSelector('#messages li.own:not(.pending) .delivery');
  expect(await alice.page.textContent('#messages li.own .delivery')).toBe('✓ delivered');

  // Bob arrives: Alice's message is in his history; each sees the other online.
  await enterChat(bob.page, chat.url, 'bob');
  expect(await messageTexts(bob.page)).toEqual(['hello <b>bob</b> & co']);
  expect(await bob.page.$$('#messages b')).toHaveLength(0);
  await bob.page.waitForFunction(() =>
    document.querySelector('#members')?.textContent?.includes('alice'),
  );
  await alice.page.waitForFunction(() =>
    document.querySelector('#members')?.textContent?.includes('bob'),
  );
  await alice.page.waitForFunction(() =>
    [...document.querySelectorAll('#messages li.notice')].some(
      (node) => node.textContent === 'bob joined',
    ),
  );

  // Typing indicator, then a reply.
  await bob.page.type('#text', 'hi ali');
  await alice.page.waitForFunction(
    () => document.querySelector('#typing')?.textContent === 'bob is typing…',
  );
  await bob.page.fill('#text', 'hi alice');
  await bob.page.press('#text', 'Enter');
  await alice.page.waitForFunction(() =>
    document.querySelector('#messages')?.textContent?.includes('hi alice'),
  );
  await screenshot(alice.page, 'e2e-two-users');

  // The server restarts on the same port: both pages show reconnecting, then live again; a
  // message written while down is delivered once after the reconnect.
  const port = chat.port;
  await chat.close();
  await Promise.all(
    [alice, bob].map((user) => user.page.waitForSelector('#status[data-state="reconnecting"]')),
  );
  await say(bob.page, 'written while offline');
  await bob.page.waitForSelector('#messages li.pending');
  await screenshot(bob.page, 'e2e-reconnecting');
  chat = await startNodeChat({ port, webDir, broker });
  await Promise.all(
    [alice, bob].map((user) =>
      user.page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 }),
    ),
  );
  await alice.page.waitForFunction(() =>
    document.querySelector('#messages')?.textContent?.includes('written while offline'),
  );
  await bob.page.waitForSelector('#messages li.pending', { state: 'detached' });
  expect(await messageTexts(alice.page)).toEqual([
    'hello <b>bob</b> & co',
    'hi alice',
    'written while offline',
  ]);
  expect(await messageTexts(bob.page)).toEqual([
    'hello <b>bob</b> & co',
    'hi alice',
    'written while offline',
  ]);
  await alice.page.waitForFunction(() =>
    document.querySelector('#members')?.textContent?.includes('bob'),
  );
  await screenshot(alice.page, 'e2e-after-restart');
}, 45_000);
