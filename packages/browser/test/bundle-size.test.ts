// The size budget of ReconnectingWebSocket, measured as `pnpm size` measures it (the shared
// scripts/bundle-size.mjs): `import { ReconnectingWebSocket } from '@wskit/browser'` bundled
// from the built browser entry with esbuild, minified, gzipped by zlib at level 9.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { BROWSER_ENTRY, bundleSize } from '../scripts/bundle-size.mjs';

/**
 * Bytes min+gzip: the 4 KiB that issue 16 asks for, with every feature. Measured 4068 B when
 * this budget was set (down from 4277 B), so a change that adds more than ~28 B needs to win
 * them back elsewhere.
 */
const RECONNECTING_WEBSOCKET_BUDGET = 4096;

beforeAll(() => {
  if (!existsSync(BROWSER_ENTRY)) {
    throw new Error('@wskit/browser is not built: run its build first (turbo does: test → build)');
  }
});

describe('bundle size', () => {
  test(`ReconnectingWebSocket stays within ${RECONNECTING_WEBSOCKET_BUDGET} B min+gzip`, async () => {
    const { gzipped } = await bundleSize('ReconnectingWebSocket');
    expect(gzipped).toBeLessThanOrEqual(RECONNECTING_WEBSOCKET_BUDGET);
  });
});
