/**
 * Hardening: transport faults. A TCP reset in the middle of a frame, and a peer that goes
 * silent (half-open) detected by the client's heartbeat (RFC 6455 §5.5.2, §7.1.5: 1006).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { type CloseDetails, connect, type WebSocket, type WebSocketError } from '../src/index.js';
import { Op, rawHandshake } from './helpers/raw-client.js';
import { deferred, nextEvent, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

describe('hardening: transport faults', () => {
  test('a TCP reset mid-frame: the server reports 1006, does not crash, and serves others', async () => {
    const closed = deferred<CloseDetails>();
    const server = await scope.server({
      hooks: { close: (_peer, details) => closed.resolve(details) },
    });
    server.on('connection', (socket: WebSocket) => {
      socket.on('error', () => {});
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const other = scope.track(await rawHandshake(server.port));
    const victim = scope.track(await rawHandshake(server.port));
    // Header and mask of a 1,000-byte binary frame, then 10 of its bytes, then RST.
    const head = Buffer.from([0x82, 0x80 | 126, 0x03, 0xe8, 1, 2, 3, 4]);
    victim.write(Buffer.concat([head, Buffer.alloc(10)]));
    victim.socket.resetAndDestroy();
    expect(await closed.promise).toMatchObject({ code: 1006, wasClean: false });
    other.sendFrame({ opcode: Op.TEXT, payload: 'after reset' });
    expect((await other.readFrameOf(Op.TEXT)).payload.toString()).toBe('after reset');
    expect(server.clients.size).toBe(1);
  });

  test('client heartbeat: a server that stops answering is dropped with 1006 and WS_ERR_PONG_TIMEOUT', async () => {
    // A raw server: completes the handshake (RFC 6455 §4.2.2), then never reads or answers.
    const sockets: net.Socket[] = [];
    const raw = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      let head = '';
      socket.on('data', (chunk) => {
        if (head.includes('\r\n\r\n')) return; // silent from now on: pings are ignored
        head += chunk.toString('latin1');
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1];
        if (!head.includes('\r\n\r\n') || key === undefined) return;
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
      });
    });
    scope.defer(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => raw.close(resolve));
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const port = (raw.address() as net.AddressInfo).port;

    const client = await connect(wsUrl(port), { heartbeat: { interval: 100, timeout: 200 } });
    scope.defer(() => client.terminate());
    const error = nextEvent<[WebSocketError]>(client, 'error');
    const close = nextEvent<[number, Buffer, boolean]>(client, 'close');
    expect((await error)[0].code).toBe('WS_ERR_PONG_TIMEOUT');
    const [code, , wasClean] = await close;
    expect(code).toBe(1006);
    expect(wasClean).toBe(false);
  });
});
