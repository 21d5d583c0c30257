// Interop with Python's `websockets` (Debian's python3-websockets 10.x, run by /usr/bin/python3)
// for every wskit server: the same echo hooks (test/servers/echo-hooks.ts) on Node in process,
// and on Bun and Deno through @wskit/deno-bun under the real binaries. One Python script
// (interop/python_client.py) checks each echo itself: 0 B to 4 MiB, fragments, a ping, close
// codes, 50 concurrent clients. The server side reports what it saw, and both sides must agree.
// A missing Python or package fails the suite: CI installs them.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from '@wskit/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEchoProcess } from './runtime-servers.js';
import { echoHooks, type ServerEvent } from './servers/echo-hooks.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../interop/python_client.py', import.meta.url));
const MIB = 1024 * 1024;
const utf8Length = (text: string) => Buffer.byteLength(text);

/** What the scripted connection sends, in order, as [isBinary, bytes] (see python_client.py). */
const SCRIPTED_MESSAGES: ReadonlyArray<readonly [boolean, number]> = [
  [false, 17],
  [false, utf8Length('héllo wörld · ✓ 日本語 · 𝄞 🎉')],
  [false, 0],
  [true, 256],
  [true, 0],
  [true, 125],
  [true, 126],
  [true, 65_535],
  [true, 65_536],
  [true, MIB],
  [true, Math.floor(MIB / 14) * 14],
  [false, Math.floor(MIB / 5) * 5],
  [true, 4 * MIB],
  [false, Math.floor((4 * MIB) / 5) * 5],
  [false, utf8Length('fragménted ✓')],
  [true, 110_000],
  [true, 0],
];
const CHECKED = [
  'ascii text',
  'unicode text',
  'empty text',
  'bytes 0..255',
  'empty bytes',
  'bytes 125',
  'bytes 126',
  'bytes 65535',
  'bytes 65536',
  'random bytes 1 MiB',
  'compressible bytes 1 MiB',
  'unicode text 1 MiB',
  'random bytes 4 MiB',
  'unicode text 4 MiB',
  'fragmented text',
  'fragmented bytes',
  'empty fragments',
  'ping',
];
const CLOSE_CODES = [1000, 1001, 1003, 1008, 1011, 3000, 4999];
const CLIENTS = 50;
const MESSAGES_PER_CLIENT = 20;

interface RunningEcho {
  url: string;
  events: ServerEvent[];
  stop(): Promise<void>;
}

async function startNode(deflate: boolean): Promise<RunningEcho> {
  const events: ServerEvent[] = [];
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: deflate,
    hooks: echoHooks((event) => events.push(event)),
  });
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${server.port}`,
    events,
    stop: () => server.close({ timeout: 1_000 }),
  };
}

async function startRuntime(runtime: 'bun' | 'deno', deflate: boolean): Promise<RunningEcho> {
  const server = await startEchoProcess(runtime, 'wskit-echo.ts', [
    '--report',
    ...(deflate ? ['--deflate'] : []),
  ]);
  return {
    url: server.url.replace(/\/$/, ''),
    events: server.lines as unknown as ServerEvent[],
    stop: () => server.stop(),
  };
}

/**
 * Every target, with and without the client offering permessage-deflate. Deno's native
 * WebSocket has no permessage-deflate: its server runs without it, declines the offer
 * (RFC 7692 §5: allowed), and must still echo everything.
 */
const TARGETS = [
  { target: 'Node', offer: false, start: () => startNode(false), negotiated: [] },
  { target: 'Node', offer: true, start: () => startNode(true), negotiated: ['permessage-deflate'] },
  { target: 'Bun', offer: false, start: () => startRuntime('bun', false), negotiated: [] },
  {
    target: 'Bun',
    offer: true,
    start: () => startRuntime('bun', true),
    negotiated: ['permessage-deflate'],
  },
  { target: 'Deno', offer: false, start: () => startRuntime('deno', false), negotiated: [] },
  { target: 'Deno', offer: true, start: () => startRuntime('deno', false), negotiated: [] },
];

function runPython(url: string, mode: string) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(PYTHON, [SCRIPT, url, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`python_client.py timed out after 60 s; stderr:\n${stderr}`));
      }, 60_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    },
  );
}

beforeAll(() => {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `interop: ${PYTHON} is missing; CI must install python3 and python3-websockets`,
    );
  }
  const probe = spawnSync(PYTHON, ['-c', 'import websockets'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `interop: ${PYTHON} cannot import websockets (apt-get install python3-websockets): ${probe.stderr.trim()}`,
    );
  }
});

describe.each(TARGETS)(
  'wskit echo server on $target ↔ Python websockets client, deflate offered: $offer',
  ({ offer, start, negotiated }) => {
    let server: RunningEcho | undefined;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await server?.stop();
    });

    // Python gives each echo 20 s; the whole run takes a few seconds on an idle machine.
    test('0 B to 4 MiB, fragments, ping, close codes (RFC 6455 §7.4) and 50 concurrent clients echo exactly', {
      timeout: 90_000,
    }, async () => {
      if (!server) throw new Error('the echo server did not start');
      const mode = offer ? 'deflate' : 'plain';
      const outcome = await runPython(server.url, mode);
      expect(outcome.stderr).toBe('');
      expect(outcome.status, outcome.stdout).toBe(0);
      const result = JSON.parse(outcome.stdout.trim().split('\n').at(-1) as string);
      expect(result).toEqual({
        ok: true,
        mode,
        extensions: negotiated,
        checked: CHECKED,
        failures: [],
        // The server's close frame echoes the client's code and reason (RFC 6455 §5.5.1).
        scripted_close: { code: 4001, reason: 'python says bye ✓' },
        closes: CLOSE_CODES.map((code) => ({
          sent: code,
          code,
          reason: `closing with ${code} ✓`,
          expected: `closing with ${code} ✓`,
        })),
        concurrent: { clients: CLIENTS, close_codes: [1000] },
      });

      // The server side saw the same messages and the same close codes and reasons.
      const events = server.events;
      const closes = () => events.filter((event) => event.event === 'close');
      await expect
        .poll(() => closes().length, { timeout: 5_000 })
        .toBe(1 + CLOSE_CODES.length + CLIENTS);
      const messagesOn = (path: string) =>
        events
          .filter((event) => event.event === 'message' && event.path === path)
          .map((event) => (event.event === 'message' ? [event.isBinary, event.bytes] : []));
      expect(messagesOn('/scripted')).toEqual(SCRIPTED_MESSAGES);
      const closeOn = (path: string) =>
        closes()
          .filter((event) => event.path === path)
          .map((event) => (event.event === 'close' ? [event.code, event.reason] : []));
      expect(closeOn('/scripted')).toEqual([[4001, 'python says bye ✓']]);
      for (const code of CLOSE_CODES) {
        expect(closeOn(`/close-${code}`)).toEqual([[code, `closing with ${code} ✓`]]);
      }
      for (let index = 0; index < CLIENTS; index++) {
        expect(messagesOn(`/concurrent-${index}`)).toHaveLength(MESSAGES_PER_CLIENT);
        expect(closeOn(`/concurrent-${index}`)).toEqual([[1000, '']]);
      }
    });
  },
);
