// The browser bundle carries no Node code: `import { WebSocket } from '@wskit/browser'` is
// bundled with esbuild as a browser app would be (and for the other non-Node conditions), the
// output is checked for Node imports and for @wskit/node, then the browser bundle runs in
// Chromium against a `ws` echo server and must hand out the native class.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { type Browser, launchChromium } from './chromium.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
/** Where @wskit/node and @wskit/core live (pnpm links them; esbuild reports real paths). */
const NODE_PACKAGES = ['node', 'core'].map((name) => `${resolve(packageDir, '..', name)}/`);

const APP = `
export { WebSocket, CloseEvent } from '@wskit/browser';
`;

async function bundle(platform: 'browser' | 'neutral' | 'node', conditions: string[] = []) {
  const result = await build({
    stdin: { contents: APP, resolveDir: packageDir, loader: 'js' },
    bundle: true,
    platform,
    conditions,
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return {
    code: result.outputFiles[0]?.text ?? '',
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** Anything a bundle could use to reach Node: `node:` specifiers, bare built-ins, @wskit/node. */
function nodeTraces(code: string, inputs: string[]): string[] {
  const traces: string[] = [];
  for (const match of code.matchAll(
    /(?:from\s*|import\s*\(?\s*|require\s*\(\s*)["']([^"']+)["']/g,
  )) {
    traces.push(`imports ${match[1]}`);
  }
  if (/\bnode:/.test(code)) traces.push('mentions node:');
  if (/@wskit\/node|@wskit\/core/.test(code)) traces.push('mentions @wskit/node or @wskit/core');
  for (const input of inputs) {
    // Metafile paths are relative to the working directory; symlinks are resolved.
    const absolute = resolve(input);
    if (
      NODE_PACKAGES.some((dir) => absolute.startsWith(dir)) ||
      /@wskit\/(node|core)/.test(input)
    ) {
      traces.push(`bundles ${absolute}`);
    }
  }
  return traces;
}

beforeAll(() => {
  if (!existsSync(new URL('../dist/native.js', import.meta.url))) {
    throw new Error('@wskit/browser is not built: run its build first (turbo does: test → build)');
  }
});

describe('bundled for non-Node targets, the entry has no Node code', () => {
  test('the check itself: the Node entry, bundled for Node, is caught', async () => {
    const { code, inputs } = await bundle('node');
    expect(nodeTraces(code, inputs)).toEqual(
      expect.arrayContaining(['imports net', expect.stringMatching(/^bundles .*packages\/node\//)]),
    );
  });

  test('esbuild platform browser', async () => {
    const { code, inputs } = await bundle('browser');
    expect(inputs.some((input) => input.endsWith('dist/native.js'))).toBe(true);
    expect(nodeTraces(code, inputs)).toEqual([]);
  });

  test.each(['worker', 'workerd', 'deno', 'bun'])(
    'esbuild platform neutral, condition %s',
    async (condition) => {
      const { code, inputs } = await bundle('neutral', [condition]);
      expect(inputs.some((input) => input.endsWith('dist/native.js'))).toBe(true);
      expect(nodeTraces(code, inputs)).toEqual([]);
    },
  );
});

describe('the browser bundle in Chromium', () => {
  let browser: Browser;
  let server: http.Server;
  let wss: WebSocketServer;
  let origin: string;

  beforeAll(async () => {
    const { code } = await bundle('browser');
    server = http.createServer((request, response) => {
      if (request.url === '/') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><meta charset="utf-8"><title>bundle</title>
<script type="module">import * as wskit from '/app.js'; globalThis.wskit = wskit;</script>`);
      } else if (request.url === '/app.js') {
        response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(code);
      } else {
        response.writeHead(404).end();
      }
    });
    wss = new WebSocketServer({ server });
    wss.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    for (const client of wss?.clients ?? []) client.terminate();
    await new Promise((resolve) => server?.close(resolve));
  });

  test('hands out the native class, which echoes; a third argument is rejected loudly', async () => {
    const page = await browser.context.newPage();
    await page.goto(`http://${origin}/`);
    await page.waitForFunction(() => 'wskit' in globalThis);
    const result = await page.evaluate(async (url) => {
      // Types of this callback: the page's globals, which Node's type definitions lack.
      type Module = { WebSocket: typeof WebSocket; CloseEvent: unknown };
      const page = globalThis as unknown as { wskit: Module; CloseEvent: unknown };
      const { WebSocket: Exported, CloseEvent: ExportedCloseEvent } = page.wskit;
      const ws = new Exported(url);
      const echoed = await new Promise<string>((resolve, reject) => {
        ws.onopen = () => ws.send('hello from the bundle');
        ws.onmessage = (event) => resolve(event.data as string);
        ws.onerror = () => reject(new Error('error event'));
      });
      ws.close();
      let thirdArgument = 'accepted';
      try {
        new (Exported as unknown as new (...args: unknown[]) => WebSocket)(url, [], {
          headers: {},
        });
      } catch (error) {
        thirdArgument = `${(error as Error).name}: ${(error as Error).message}`;
      }
      return {
        echoed,
        nativeInstance: ws instanceof globalThis.WebSocket,
        samePrototype: Object.getPrototypeOf(ws) === globalThis.WebSocket.prototype,
        name: Exported.name,
        open: Exported.OPEN,
        closeEvent: ExportedCloseEvent === page.CloseEvent,
        thirdArgument,
      };
    }, `ws://${origin}/`);
    await page.close();
    expect(result).toEqual({
      echoed: 'hello from the bundle',
      nativeInstance: true,
      samePrototype: true,
      name: 'WebSocket',
      open: 1,
      closeEvent: true,
      thirdArgument: expect.stringMatching(/^TypeError: @wskit\/browser: .*cannot honour a third/),
    });
  });
});
