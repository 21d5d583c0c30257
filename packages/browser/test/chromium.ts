// Headless Chromium for the browser-side tests, as packages/node/test/interop-chromium.test.ts
// runs it: the system binary through playwright-core, a fresh profile (user data dir) per
// launch, pages served from http://127.0.0.1 (a data: page cannot reach loopback). A missing
// binary fails the suite.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

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
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium (${CHROMIUM}) is missing: run 'npm test' as root (it installs the system peers) or 'apt-get install -y chromium'`,
    );
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'wskit-browser-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 20_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
