// The runnable scripts the README and external checks call: `echo-server` and
// `autobahn-client`, run as real child processes against real peers.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

const scripts = fileURLToPath(new URL('../scripts/', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function run(script: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [`${scripts}${script}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('echo-server script', () => {
  test('prints "listening on <port>", echoes text as text and binary as binary with deflate, stops on SIGTERM', async () => {
    const { child, output } = run('echo-server.mjs', ['--port', '0']);
    await waitFor(() => /listening on \d+/.test(output()), 'the listening line');
    const port = Number(/listening on (\d+)/.exec(output())?.[1]);
    expect(port).toBeGreaterThan(0);

    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    await once(client, 'open');
    expect(client.extensions).toContain('permessage-deflate');
    const received: Array<[string, boolean]> = [];
    client.on('message', (data, isBinary) =>
      received.push([(data as Buffer).toString('hex'), isBinary]),
    );
    client.send('héllo');
    client.send(Buffer.from([0, 1, 2, 255]));
    client.send('x'.repeat(100_000));
    await waitFor(() => received.length === 3, 'three echoes');
    expect(received[0]).toEqual([Buffer.from('héllo').toString('hex'), false]);
    expect(received[1]).toEqual(['000102ff', true]);
    expect(received[2]).toEqual([Buffer.from('x'.repeat(100_000)).toString('hex'), false]);

    const closed = once(client, 'close');
    child.kill('SIGTERM');
    const [code] = await closed;
    expect(code).toBe(1001);
    const [exitCode] = await once(child, 'exit');
    expect(exitCode).toBe(0);
  });
});

describe('autobahn-client script', () => {
  test('speaks the fuzzingserver protocol: getCaseCount, runCase echoing every message, updateReports', async () => {
    // A stand-in fuzzingserver: two cases, each sending text and binary and expecting echoes.
    const requests: string[] = [];
    const echoes: Array<[string, string, boolean]> = [];
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    server.on('connection', (socket, request) => {
      const url = request.url ?? '';
      requests.push(url);
      if (url.startsWith('/getCaseCount')) {
        socket.send('2');
        socket.close(1000);
      } else if (url.startsWith('/runCase')) {
        socket.on('message', (data, isBinary) => {
          echoes.push([url, (data as Buffer).toString('hex'), isBinary]);
          if (echoes.filter(([u]) => u === url).length === 2) socket.close(1000);
        });
        socket.send('case text ✓');
        socket.send(Buffer.from([9, 8, 7]));
      } else {
        socket.close(1000);
      }
    });
    const port = (server.address() as AddressInfo).port;
    const { child, output } = run('autobahn-client.mjs', [
      '--url',
      `ws://127.0.0.1:${port}`,
      '--agent',
      'wskit-test',
    ]);
    const [exitCode] = await once(child, 'exit');
    server.close();
    expect(output()).toContain('2 cases');
    expect(exitCode).toBe(0);
    expect(requests).toEqual([
      '/getCaseCount',
      '/runCase?case=1&agent=wskit-test',
      '/runCase?case=2&agent=wskit-test',
      '/updateReports?agent=wskit-test',
    ]);
    for (const caseUrl of [
      '/runCase?case=1&agent=wskit-test',
      '/runCase?case=2&agent=wskit-test',
    ]) {
      expect(
        echoes.filter(([url]) => url === caseUrl).map(([, hex, isBinary]) => [hex, isBinary]),
      ).toEqual([
        [Buffer.from('case text ✓').toString('hex'), false],
        ['090807', true],
      ]);
    }
  });
});
