// Headless Chromium as packages/node/test/interop-chromium.test.ts runs it: the system binary
// through playwright-core, a fresh profile (user data dir) per launch. One launch = one user.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const OUTPUT_DIR = fileURLToPath(new URL('../.output/', import.meta.url));

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

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

export async function launchUser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'wskit-chat-browser-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 20_000,
    viewport: { width: 1100, height: 700 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });
}

/** Opens the chat, picks a nickname and waits until the lobby is joined. */
export async function enterChat(page: Page, url: string, nick: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#status[data-state="live"]');
  await page.fill('#nick', nick);
  await page.press('#nick', 'Enter');
  await page.locator('#nick').blur();
  await page.waitForFunction(() =>
    document.querySelector('#room-title')?.textContent?.includes('# lobby'),
  );
}

export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

export function messageTexts(page: Page): Promise<string[]> {
  return page.$$eval('#messages li:not(.notice) .body', (nodes) =>
    nodes.map((node) => node.textContent ?? ''),
  );
}
