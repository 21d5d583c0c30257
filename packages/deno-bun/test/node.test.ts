// The behavioural suite on Node: the same handler module (suite/handler.ts) under
// @wskit/node's WebSocketServer, in this process. The baseline the adapters match.
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@wskit/node';
import { afterAll, beforeAll } from 'vitest';
import { MOUNTED_OPTIONS } from './fixtures/common.ts';
import {
  BARE_OPTIONS,
  createBareHooks,
  createSuiteHooks,
  type SuiteData,
} from './suite/handler.js';
import { runOptionParity } from './suite/option-parity.js';
import { defineSuite, type Target } from './suite/scenarios.js';

const HOST = '127.0.0.1';
let target: Target;
let cleanup: () => Promise<void>;
let restoreConsole: (() => void) | undefined;

async function listen(server: http.Server): Promise<number> {
  server.listen(0, HOST);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  // Main: the suite's options, plus the HTTP routes the Bun and Deno fixtures serve via fetch.
  const main = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    if (url.pathname === '/health') return response.end('ok node');
    if (url.pathname === '/publish') {
      const count = wss.publish(
        url.searchParams.get('topic') ?? '',
        url.searchParams.get('message') ?? '',
      );
      response.setHeader('content-type', 'application/json');
      return response.end(JSON.stringify({ count }));
    }
    response.statusCode = 404;
    response.end('not found');
  });
  const wss: WebSocketServer<SuiteData> = new WebSocketServer<SuiteData>({
    server: main,
    heartbeat: { interval: 300, timeout: 300 },
    maxMessageSize: 1024 * 1024,
    perMessageDeflate: true,
    allowedOrigins: (origin) => origin !== 'https://evil.example',
    hooks: createSuiteHooks({ publish: (topic, data) => wss.publish(topic, data) }),
  });
  const mountedServer = http.createServer((_request, response) => response.end('another route'));
  const mounted = new WebSocketServer({
    server: mountedServer,
    path: '/ws',
    ...MOUNTED_OPTIONS,
    hooks: createSuiteHooks({ publish: () => 0 }),
  });
  const idle = new WebSocketServer({
    port: 0,
    host: HOST,
    idleTimeout: 300,
    heartbeat: false,
    hooks: createSuiteHooks({ publish: () => 0 }),
  });
  const bare = new WebSocketServer({
    port: 0,
    host: HOST,
    ...BARE_OPTIONS,
    hooks: createBareHooks(),
  });
  const [mainPort, mountedPort] = await Promise.all([
    listen(main),
    listen(mountedServer),
    once(idle, 'listening'),
    once(bare, 'listening'),
  ]);
  // What this process prints with console.error, as the fixtures' stderr is for Bun and Deno.
  let logged = '';
  const print = console.error;
  console.error = (...parts: unknown[]) => {
    logged += `${parts.map((part) => (part instanceof Error ? part.stack : String(part))).join(' ')}\n`;
  };
  restoreConsole = () => {
    console.error = print;
  };
  const refused: string[] = [];
  target = {
    url: `ws://${HOST}:${mainPort}/`,
    http: `http://${HOST}:${mainPort}/`,
    mounted: `ws://${HOST}:${mountedPort}/`,
    idle: `ws://${HOST}:${idle.port}/`,
    bare: `ws://${HOST}:${bare.port}/`,
    log: () => logged,
    refused,
    // Node's standalone mode, the counterpart of serve({ port: 0 }) on Bun and Deno.
    optionParity: runOptionParity((options) => {
      const server = new WebSocketServer({ port: 0, host: HOST, ...options });
      void server.close({ timeout: 0 });
    }),
    async shutdown() {
      await wss.close({ timeout: 2_000 });
      main.closeAllConnections();
      await new Promise((resolve) => main.close(resolve));
    },
  };
  cleanup = async () => {
    await Promise.all([
      mounted.close({ timeout: 500 }),
      idle.close({ timeout: 500 }),
      bare.close({ timeout: 500 }),
    ]);
    mountedServer.closeAllConnections();
    mountedServer.close();
  };
});

afterAll(async () => {
  restoreConsole?.();
  await cleanup?.();
});

defineSuite(() => target, {
  runtime: 'node',
  deflate: true,
  ping: true,
  idleTimeout: true,
  deadPeerCode: 1006,
  refusals: [],
});
