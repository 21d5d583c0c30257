// Interop over HTTP/2 (RFC 8441) with a peer that is not Node: Python's hyper-h2 (Debian's
// python3-h2, run by /usr/bin/python3) opens a WebSocket as an extended CONNECT stream on our
// standalone `http2: true` server (test/interop/python_h2_client.py), exchanges messages,
// closes with 1000 and ends the stream. curl 7.88 speaks HTTP/2 but cannot send the
// `:protocol` pseudo-header, so it cannot be this peer. A missing python3-h2 fails the suite.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { type NodeUpgradeRequest, WebSocketServer } from '../src/index.js';
import { TLS_CERT, TLS_KEY } from './helpers/server.js';
import { fixture, PYTHON } from './interop/helpers.js';

function requirePythonH2(): void {
  if (!existsSync(PYTHON))
    throw new Error(`interop: ${PYTHON} is missing; CI must install python3`);
  const probe = spawnSync(PYTHON, ['-c', 'import h2'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `interop: ${PYTHON} cannot import h2 (apt-get install python3-h2): ${probe.stderr.trim()}`,
    );
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runPython(port: number, path: string, messages: string[]) {
  const child = spawn(PYTHON, [fixture('python_h2_client.py'), String(port), path, ...messages], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number];
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('hyper-h2 opens a WebSocket on our server as an RFC 8441 stream: subprotocol, echoes, close', async () => {
  requirePythonH2();
  const seen: NodeUpgradeRequest[] = [];
  const serverCloses: number[] = [];
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    http2: true,
    tls: { key: TLS_KEY, cert: TLS_CERT },
    hooks: {
      upgrade: (request) => (request.protocols.includes('chat') ? { protocol: 'chat' } : undefined),
      open: (peer) => void seen.push(peer.request as NodeUpgradeRequest),
      message: (peer, message) => peer.send(`echo: ${message.text()}`),
      close: (_peer, details) => void serverCloses.push(details.code),
    },
  });
  cleanups.push(() => server.close({ timeout: 200 }));
  await once(server, 'listening');
  const events = await runPython(server.port, '/py?x=1', ['one', 'twö ✓']);
  expect(events).toEqual([
    { event: 'alpn', protocol: 'h2' },
    { event: 'settings', enableConnectProtocol: true },
    { event: 'response', status: '200', protocol: 'chat' },
    { event: 'message', text: 'echo: one' },
    { event: 'message', text: 'echo: twö ✓' },
    { event: 'close', code: 1000, reason: 'done' },
    { event: 'stream-ended' },
  ]);
  expect(seen.map((request) => [request.httpVersion, request.url])).toEqual([
    ['2.0', `wss://127.0.0.1:${server.port}/py?x=1`],
  ]);
  await expect.poll(() => serverCloses).toEqual([1000]);
});

test("hyper-h2 refused by the upgrade hook gets the hook's status", async () => {
  requirePythonH2();
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    http2: true,
    tls: { key: TLS_KEY, cert: TLS_CERT },
    hooks: { upgrade: () => ({ status: 429 }) },
  });
  cleanups.push(() => server.close({ timeout: 200 }));
  await once(server, 'listening');
  const events = await runPython(server.port, '/', ['never sent']);
  expect(events.slice(0, 3)).toEqual([
    { event: 'alpn', protocol: 'h2' },
    { event: 'settings', enableConnectProtocol: true },
    { event: 'response', status: '429', protocol: null },
  ]);
});
