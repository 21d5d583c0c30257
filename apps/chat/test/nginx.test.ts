// The chat behind a real nginx running apps/chat/nginx.conf (ports rewritten).
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { HEARTBEAT, type NodeChat, startNodeChat } from '../server/node-server.js';
import { defaultWebDir } from '../server/static.js';
import { type Browser, enterChat, launchUser, say, screenshot } from './chromium.js';
import { ChatClient } from './clients.js';
import { APP_DIR, type Running, startNginx } from './processes.js';

let chat: NodeChat;
let nginx: Running;
let browser: Browser | undefined;

beforeAll(async () => {
  chat = await startNodeChat({
    port: 0,
    webDir: defaultWebDir(new URL('../server/node.ts', import.meta.url).href),
  });
  nginx = await startNginx(chat.port);
});

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await chat?.close();
});

describe('behind nginx', () => {
  test('nginx.conf forwards the upgrade and outlasts the heartbeat', () => {
    const config = readFileSync(join(APP_DIR, 'nginx.conf'), 'utf8');
    expect(config).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(config).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    const timeout = Number(/proxy_read_timeout (\d+)s;/.exec(config)?.[1]);
    expect(timeout * 1000).toBeGreaterThan(HEARTBEAT.interval + HEARTBEAT.timeout);
  });

  test('a page served through nginx chats over the proxied WebSocket', async () => {
    const proxied = `http://127.0.0.1:${nginx.port}/`;
    browser = await launchUser();
    await enterChat(browser.page, proxied, 'dana');
    const eve = await ChatClient.connect(`ws://127.0.0.1:${nginx.port}/ws`, {
      origin: `http://127.0.0.1:${nginx.port}`,
    });
    try {
      await eve.join('lobby', 'eve', 'u-eve');
      await say(browser.page, 'through the proxy');
      expect((await eve.next('message')).message).toMatchObject({
        nick: 'dana',
        text: 'through the proxy',
      });
      eve.send({ v: 1, type: 'say', room: 'lobby', id: 'e1', text: 'and back' });
      await browser.page.waitForFunction(() =>
        document.querySelector('#messages')?.textContent?.includes('and back'),
      );
      await browser.page.waitForSelector('#messages li.own .delivery');
      await screenshot(browser.page, 'e2e-nginx');
    } finally {
      await eve.close();
    }
  });

  test('the origin check still holds through the proxy', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${nginx.port}/ws`, {
      origin: 'https://evil.example',
    });
    const status = await new Promise<number>((resolve, reject) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => reject(new Error('opened')));
      socket.once('error', () => {});
    });
    expect(status).toBe(403);
  });

  describe('hostile clients through the shipped config', () => {
    /** Sends `head` to nginx and resolves with the status line's code, or 0 if it closed first. */
    function statusOf(head: string): Promise<number> {
      return new Promise((resolve) => {
        const socket = connect(nginx.port, '127.0.0.1', () => socket.write(head));
        let answer = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => {
          answer += chunk;
          if (answer.includes('\r\n')) {
            resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0));
            socket.destroy();
          }
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(0));
      });
    }

    function upgradeHead(extra = ''): string {
      return (
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${nginx.port}\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        `Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${nginx.port}\r\n${extra}\r\n`
      );
    }

    /** A chat client through nginx joins and hears itself: the proxy and the app still serve. */
    async function assertStillChatting(name: string): Promise<void> {
      const client = await ChatClient.connect(`ws://127.0.0.1:${nginx.port}/ws`, {
        origin: `http://127.0.0.1:${nginx.port}`,
      });
      try {
        await client.join('lobby', name, `u-${name}`);
      } finally {
        await client.close();
      }
    }

    test('header floods are refused by nginx with 400 and never reach the app', async () => {
      const lines = Array.from({ length: 2000 }, (_, i) => `X-Flood-${i}: ${i}\r\n`).join('');
      expect(await statusOf(upgradeHead(lines))).toBe(400);
      expect(await statusOf(upgradeHead(`X-Huge: ${'a'.repeat(65_536)}\r\n`))).toBe(400);
      await assertStillChatting('after-flood');
    });

    test('slowloris: a trickled upgrade head is cut off by client_header_timeout', async () => {
      const config = readFileSync(join(APP_DIR, 'nginx.conf'), 'utf8');
      const timeout = Number(/client_header_timeout (\d+)s;/.exec(config)?.[1]);
      expect(timeout).toBeLessThanOrEqual(10);
      const head = upgradeHead();
      const socket = connect(nginx.port, '127.0.0.1');
      socket.on('error', () => {});
      let closed = false;
      const closedAt = new Promise<void>((resolve) =>
        socket.once('close', () => {
          closed = true;
          resolve();
        }),
      );
      let sent = 0;
      // One byte every 200 ms: the whole head would take ~40 s, four times the timeout.
      while (!closed && sent < head.length) {
        socket.write(head[sent] as string);
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await closedAt;
      expect(sent).toBeLessThan(head.length);
      await assertStillChatting('after-slowloris');
    }, 40_000);

    test('300 half-open connections to nginx do not starve a chatting client', async () => {
      const chatting = await ChatClient.connect(`ws://127.0.0.1:${nginx.port}/ws`, {
        origin: `http://127.0.0.1:${nginx.port}`,
      });
      const listening = await ChatClient.connect(`ws://127.0.0.1:${nginx.port}/ws`, {
        origin: `http://127.0.0.1:${nginx.port}`,
      });
      const idle: Socket[] = [];
      try {
        await chatting.join('lobby', 'steady', 'u-steady');
        for (let i = 0; i < 300; i++) {
          const socket = connect(nginx.port, '127.0.0.1');
          socket.on('error', () => {});
          idle.push(socket);
        }
        await listening.join('lobby', 'listener', 'u-listener');
        // Ten lines (below the chat's rate limit): each acknowledged, each heard, in order.
        for (let i = 0; i < 10; i++) {
          chatting.send({ v: 1, type: 'say', room: 'lobby', id: `s${i}`, text: `line ${i}` });
          await chatting.next('ack', (ack) => ack.id === `s${i}`);
          expect((await listening.next('message')).message).toMatchObject({ text: `line ${i}` });
        }
        await assertStillChatting('during-flood');
      } finally {
        for (const socket of idle) socket.destroy();
        await chatting.close();
        await listening.close();
      }
    }, 40_000);
  });
});
