// Two chat processes (the built Node entry) share rooms through a real redis-server.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { RedisBroker } from '../server/redis-broker.js';
import { type Browser, enterChat, launchUser, messageTexts, screenshot } from './chromium.js';
import { ChatClient } from './clients.js';
import { type Running, startChatProcess, startRedis } from './processes.js';

let redis: Running;
let first: Running;
let second: Running;
const clients: ChatClient[] = [];

async function connect(server: Running): Promise<ChatClient> {
  const client = await ChatClient.connect(`ws://127.0.0.1:${server.port}/ws`);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: `redis://127.0.0.1:${redis.port}` };
  [first, second] = await Promise.all([startChatProcess(env), startChatProcess(env)]);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  await redis?.stop();
});

describe('cross-process delivery through Redis', () => {
  test('the broker itself: ids, history, nicknames and events through @wskit/redis on a real redis-server', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const [a, b] = await Promise.all([
      RedisBroker.connect({ url, prefix: 'unit' }),
      RedisBroker.connect({ url, prefix: 'unit' }),
    ]);
    try {
      const heard = new Promise((resolve) => b.onEvent(resolve));
      const own: unknown[] = [];
      a.onEvent((event) => own.push(event));
      expect(await a.createRoom('r')).toBe(true);
      expect(await b.createRoom('r')).toBe(false);
      expect([await a.nextMessageId('r'), await b.nextMessageId('r')]).toEqual([1, 2]);
      for (const id of [1, 2, 3]) {
        await a.appendHistory(
          { id, room: 'r', userId: 'u', nick: 'n', text: `t${id}`, ref: `c${id}`, ts: 0 },
          2,
        );
      }
      expect((await b.history('r', 2)).map((message) => message.id)).toEqual([2, 3]);
      expect(await a.addConnection('r', { userId: 'u1', nick: 'ada' })).toBe('first');
      expect(await b.addConnection('r', { userId: 'u1', nick: 'ada' })).toBe('again');
      expect(await b.addConnection('r', { userId: 'u2', nick: 'ada' })).toBe('taken');
      expect(await a.removeConnection('r', { userId: 'u1', nick: 'ada' })).toBe(false);
      expect(await b.removeConnection('r', { userId: 'u1', nick: 'ada' })).toBe(true);
      await a.publish({
        kind: 'typing',
        room: 'r',
        member: { userId: 'u', nick: 'n' },
        typing: true,
      });
      expect(await heard).toMatchObject({ kind: 'typing', room: 'r' });
      // The publisher hears its own event once (locally; the broker sends no echo).
      expect(own).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('users on two processes see each other, their messages and the shared history', async () => {
    const ada = await connect(first);
    const joined = await ada.join('lobby', 'ada', 'u-ada');
    expect(joined.members).toEqual([{ userId: 'u-ada', nick: 'ada' }]);
    ada.send({ v: 1, type: 'say', room: 'lobby', id: 'a1', text: 'from process one' });
    await ada.next('ack');

    const bob = await connect(second);
    const bobJoined = await bob.join('lobby', 'bob', 'u-bob');
    expect(bobJoined.history.map((message) => message.text)).toEqual(['from process one']);
    expect(bobJoined.members.map((member) => member.nick)).toEqual(['ada', 'bob']);
    expect(await ada.next('presence')).toMatchObject({ event: 'join', member: { nick: 'bob' } });

    bob.send({ v: 1, type: 'say', room: 'lobby', id: 'b1', text: 'from process two' });
    expect(
      (await ada.next('message', (message) => message.message.nick === 'bob')).message.text,
    ).toBe('from process two');

    // Nicknames are unique across processes.
    const impostor = await connect(first);
    impostor.send({ v: 1, type: 'join', room: 'lobby', nick: 'bob', userId: 'u-impostor' });
    expect(await impostor.next('error')).toMatchObject({ code: 'nick-taken' });

    // A room created on one process is joinable on the other.
    ada.send({ v: 1, type: 'create', room: 'shared' });
    await ada.next('created');
    await bob.join('shared', 'bob', 'u-bob');

    await bob.close();
    expect(await ada.next('presence', (presence) => presence.event === 'leave')).toMatchObject({
      room: 'lobby',
      member: { nick: 'bob' },
    });
  });

  test('a page on process two shows a message written on process one', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchUser();
      await enterChat(browser.page, `http://127.0.0.1:${second.port}/`, 'carol');
      const ada = await connect(first);
      await ada.join('lobby', 'ada', 'u-ada');
      ada.send({ v: 1, type: 'say', room: 'lobby', id: 'a2', text: 'hello carol, via redis' });
      await browser.page.waitForFunction(() =>
        document.querySelector('#messages')?.textContent?.includes('hello carol, via redis'),
      );
      expect(await messageTexts(browser.page)).toContain('hello carol, via redis');
      await browser.page.waitForFunction(() =>
        document.querySelector('#members')?.textContent?.includes('ada'),
      );
      await screenshot(browser.page, 'e2e-redis');
    } finally {
      await browser?.close();
    }
  });
});
