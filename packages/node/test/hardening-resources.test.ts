/**
 * Hardening: resource exhaustion. Tiny fragments, fragments past maxMessageSize, idle
 * connections' memory, and a handshake flood next to an established connection. Counts and
 * memory bounds are generous and asserted as outcomes; nothing here measures time.
 * (Decompression bombs: server-deflate.test.ts; a peer that never reads: server-backpressure.)
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocket } from '../src/index.js';
import {
  encodeFrame,
  handshakeRequest,
  Op,
  type RawClient,
  rawHandshake,
} from './helpers/raw-client.js';
import { TestScope } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const MiB = 1024 * 1024;

async function closeCodeOf(client: RawClient): Promise<number> {
  const frame = await client.readFrameOf(Op.CLOSE);
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}

describe('hardening: resource exhaustion', () => {
  test('RFC 6455 §5.4: a message of 100,000 one-byte fragments is accepted, memory stays bounded', async () => {
    const server = await scope.server();
    server.on('connection', (socket: WebSocket) =>
      socket.on('message', (data) => socket.send(`length ${data.length}`)),
    );
    const client = scope.track(await rawHandshake(server.port));
    globalThis.gc?.();
    const before = process.memoryUsage();
    const count = 100_000;
    const frames: Buffer[] = [
      encodeFrame({ opcode: Op.BINARY, payload: Buffer.from([1]), fin: false }),
    ];
    for (let i = 1; i < count - 1; i++) {
      frames.push(encodeFrame({ opcode: Op.CONTINUATION, payload: Buffer.from([1]), fin: false }));
    }
    frames.push(encodeFrame({ opcode: Op.CONTINUATION, payload: Buffer.from([1]) }));
    // In batches, so the socket sees many small reads as well as large ones.
    for (let i = 0; i < frames.length; i += 5000)
      client.write(Buffer.concat(frames.slice(i, i + 5000)));
    frames.length = 0;
    const reply = await client.readFrameOf(Op.TEXT);
    expect(reply.payload.toString()).toBe(`length ${count}`);
    globalThis.gc?.();
    const after = process.memoryUsage();
    // 100,000 bytes of payload (~1 MB of frames): growth must stay far below a per-fragment
    // object cost. Generous bound (64 MiB) so a loaded CI machine cannot make it flaky.
    expect(after.rss - before.rss).toBeLessThan(64 * MiB);
    expect(
      after.external + after.arrayBuffers - before.external - before.arrayBuffers,
    ).toBeLessThan(64 * MiB);
  });

  test('fragments whose total passes maxMessageSize end in 1009 before the message ends', async () => {
    const server = await scope.server({ maxMessageSize: 1024 });
    const messages: number[] = [];
    server.on('connection', (socket: WebSocket) =>
      socket.on('message', (data) => messages.push(data.length)),
    );
    const client = scope.track(await rawHandshake(server.port));
    // 11 × 100 bytes = 1,100 > 1,024, and no final fragment: the server must not wait for one.
    client.sendFrame({ opcode: Op.BINARY, payload: Buffer.alloc(100), fin: false });
    for (let i = 0; i < 10; i++) {
      client.sendFrame({ opcode: Op.CONTINUATION, payload: Buffer.alloc(100), fin: false });
    }
    expect(await closeCodeOf(client)).toBe(1009);
    expect(messages).toEqual([]);
  });

  test('a standalone HTTP/1.1 server does not load node:http2 (it makes every net.Socket 40 bytes larger)', async () => {
    const distUrl = new URL('../dist/index.js', import.meta.url).href;
    const source = `
      import { WebSocketServer } from ${JSON.stringify(distUrl)};
      const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      const loaded = process.moduleLoadList.filter((name) => name.includes('http2'));
      process.stdout.write(JSON.stringify(loaded));
      server.close();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', (exitCode) => resolve(exitCode)),
    );
    expect(code).toBe(0);
    expect(JSON.parse(output)).toEqual([]);
  });

  test('10,000 idle connections stay within 16 KiB of server RSS each (child process, after gc)', async () => {
    const distUrl = new URL('../dist/index.js', import.meta.url).href;
    // The server runs alone in a child with --expose-gc, so the clients' memory is not counted.
    const source = `
      import { WebSocketServer } from ${JSON.stringify(distUrl)};
      const server = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeat: false });
      await new Promise((resolve) => server.once('listening', resolve));
      const measure = () => { gc(); gc(); return process.memoryUsage().rss; };
      process.stdin.setEncoding('utf8');
      let baseline = 0;
      process.stdin.on('data', (line) => {
        if (line.startsWith('baseline')) { baseline = measure(); process.stdout.write('ok\\n'); }
        if (line.startsWith('measure')) {
          const rss = measure();
          process.stdout.write(JSON.stringify({ clients: server.clients.size, growth: rss - baseline }) + '\\n');
        }
      });
      process.stdout.write(JSON.stringify({ port: server.port }) + '\\n');
    `;
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', source], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    scope.defer(() => child.kill());
    const lines: string[] = [];
    let wake: (() => void) | undefined;
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts);
      wake?.();
    });
    const nextLine = async (): Promise<string> => {
      while (lines.length === 0)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      return lines.shift() as string;
    };
    const { port } = JSON.parse(await nextLine()) as { port: number };
    child.stdin.write('baseline\n');
    expect(await nextLine()).toBe('ok');

    const count = 10_000;
    const sockets: net.Socket[] = [];
    scope.defer(() => {
      for (const socket of sockets) socket.destroy();
    });
    // Open in batches of 100 so the listen backlog never overflows on a slow machine.
    for (let start = 0; start < count; start += 100) {
      await Promise.all(
        Array.from(
          { length: Math.min(100, count - start) },
          () =>
            new Promise<void>((resolve, reject) => {
              const socket = net.connect(port, '127.0.0.1');
              sockets.push(socket);
              socket.once('error', reject);
              socket.once('connect', () => socket.write(handshakeRequest(port)));
              socket.once('data', (chunk) => {
                if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve();
                else
                  reject(new Error(`unexpected response ${chunk.toString('latin1').slice(0, 40)}`));
              });
            }),
        ),
      );
    }
    child.stdin.write('measure\n');
    const { clients, growth } = JSON.parse(await nextLine()) as { clients: number; growth: number };
    expect(clients).toBe(count);
    const perConnection = growth / count;
    console.log(`idle connections: ${(perConnection / 1024).toFixed(1)} KiB RSS each at ${count}`);
    expect(perConnection).toBeLessThan(16 * 1024);
  }, 60_000);

  test('a handshake flood (500 half-open sockets, 200 rapid handshakes) does not starve an established client', async () => {
    const server = await scope.server({ handshakeTimeout: 5_000 });
    server.on('connection', (socket: WebSocket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    const established = scope.track(await rawHandshake(server.port));
    const sockets: net.Socket[] = [];
    scope.defer(() => {
      for (const socket of sockets) socket.destroy();
    });
    const open = (): net.Socket => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      sockets.push(socket);
      return socket;
    };
    for (let i = 0; i < 500; i++) open(); // connect, then never send a byte
    const handshakes = Array.from(
      { length: 200 },
      () =>
        new Promise<boolean>((resolve) => {
          const socket = open();
          socket.once('connect', () => socket.write(handshakeRequest(server.port)));
          socket.once('data', (chunk) => {
            resolve(chunk.toString('latin1').startsWith('HTTP/1.1 101'));
            socket.destroy();
          });
          socket.once('close', () => resolve(false));
        }),
    );
    // Meanwhile the established client keeps talking: every echo must come back, in order.
    const echoes = 100;
    for (let i = 0; i < echoes; i++) {
      established.sendFrame({ opcode: Op.TEXT, payload: `echo ${i}` });
      const frame = await established.readFrameOf(Op.TEXT);
      expect(frame.payload.toString()).toBe(`echo ${i}`);
    }
    const results = await Promise.all(handshakes);
    expect(results.filter(Boolean).length).toBe(200);
  }, 60_000);
});
