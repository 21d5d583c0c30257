// The chat behind a real nginx running apps/chat/nginx.conf (ports rewritten).
import { readFileSync } from 'node:fs';
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
});
