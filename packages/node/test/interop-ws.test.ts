// Interop with the `ws` npm package, both directions, with permessage-deflate off and on:
// our server ↔ a `ws` client, and our client ↔ a `ws` server. Every echo is compared byte for
// byte with its message type; close codes and reasons are checked on both ends.
import { EventEmitter, once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { connect, type WebSocket, WebSocketServer } from '../src/index.js';
import {
  BINARY_SIZES,
  compressiblePayload,
  DEFLATE_MODES,
  Inbox,
  MIB,
  randomPayload,
  TEXT_CASES,
  withTimeout,
} from './interop/helpers.js';

type MessageArgs = [data: Buffer, isBinary: boolean];
type CloseArgs = [code: number, reason: Buffer, wasClean?: boolean];

/** One end of a connection with every event it emits buffered for the test. */
interface Observed<Socket> {
  socket: Socket;
  messages: Inbox<MessageArgs>;
  pings: Inbox<[Buffer]>;
  pongs: Inbox<[Buffer]>;
  closes: Inbox<CloseArgs>;
}

function observe<Socket extends NodeJS.EventEmitter>(
  socket: Socket,
  label: string,
): Observed<Socket> {
  return {
    socket,
    messages: new Inbox(socket, 'message', `${label} message`),
    pings: new Inbox(socket, 'ping', `${label} ping`),
    pongs: new Inbox(socket, 'pong', `${label} pong`),
    closes: new Inbox(socket, 'close', `${label} close`),
  };
}

async function expectMessage(inbox: Inbox<MessageArgs>, expected: string | Buffer): Promise<void> {
  const [data, isBinary] = await inbox.next();
  if (typeof expected === 'string') {
    expect(isBinary, 'a text message').toBe(false);
    expect(data.toString('utf8')).toBe(expected);
  } else {
    expect(isBinary, 'a binary message').toBe(true);
    expect(data.length).toBe(expected.length);
    expect(Buffer.compare(data, expected), 'echoed bytes equal the sent bytes').toBe(0);
  }
}

async function expectClose(
  inbox: Inbox<CloseArgs>,
  code: number,
  reason: string,
  wasClean?: boolean,
): Promise<void> {
  const [actualCode, actualReason, actualWasClean] = await inbox.next();
  expect({ code: actualCode, reason: actualReason.toString('utf8') }).toEqual({ code, reason });
  if (wasClean !== undefined) expect(actualWasClean).toBe(wasClean);
}

/** Wire bytes moved on a TCP socket while `run` executes. */
async function wireBytes(
  socket: net.Socket,
  run: () => Promise<void>,
): Promise<{ written: number; read: number }> {
  const written = socket.bytesWritten;
  const read = socket.bytesRead;
  await run();
  return { written: socket.bytesWritten - written, read: socket.bytesRead - read };
}

function expectWireSize(bytes: number, deflate: boolean, payloadSize: number): void {
  // 1 MiB of a repeated phrase deflates to a few KiB; uncompressed it is the payload + header.
  if (deflate) expect(bytes).toBeLessThan(payloadSize / 50);
  else expect(bytes).toBeGreaterThan(payloadSize);
}

const LONGEST_REASON = 'r'.repeat(123); // RFC 6455 §5.5: a control payload is at most 125 bytes

describe.each(DEFLATE_MODES)('our server ↔ ws client, $name', ({ deflate }) => {
  let server: WebSocketServer;
  let peers: Inbox<[Observed<WebSocket>]>;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
    // Observed peers are relayed through a plain emitter: the server's events are typed.
    const relay = new EventEmitter();
    const connections = new Inbox<[Observed<WebSocket>]>(relay, 'observed', 'server connection');
    peers = connections;
    server.on('connection', (peer: WebSocket) => {
      // Listeners go on before the server starts reading this peer: nothing is missed.
      const observed = observe(peer, 'server');
      peer.on('message', (data: Buffer, isBinary: boolean) => {
        peer.send(isBinary ? data : data.toString('utf8'), () => {});
      });
      relay.emit('observed', observed);
    });
    await once(server, 'listening');
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.terminate();
  });

  afterAll(async () => {
    await server.close({ timeout: 1_000 });
  });

  async function open() {
    let tcp: net.Socket | undefined;
    const socket = new WsClient(`ws://127.0.0.1:${server.port}/interop`, {
      perMessageDeflate: deflate,
      // Keep the TCP socket to count wire bytes; ws calls this with one options object.
      createConnection: ((options: net.NetConnectOpts) => {
        tcp = net.connect(options);
        return tcp;
      }) as typeof net.createConnection,
    });
    clients.push(socket);
    const client = observe(socket, 'ws client');
    await withTimeout(once(socket, 'open'), 'ws client open');
    const [peer] = await peers.next();
    return { client, peer, tcp: tcp as net.Socket };
  }

  test('the handshake negotiates permessage-deflate only when enabled (RFC 7692 §5)', async () => {
    const { client, peer } = await open();
    expect(client.socket.extensions).toBe(deflate ? 'permessage-deflate' : '');
    if (deflate) expect(peer.socket.extensions).toMatch(/^permessage-deflate(;|$)/);
    else expect(peer.socket.extensions).toBe('');
    expect(peer.socket.protocol).toBe('');
  });

  test('text echoes exactly, as text: ASCII, multi-byte, empty (RFC 6455 §5.6)', async () => {
    const { client, peer } = await open();
    for (const [, text] of TEXT_CASES) {
      client.socket.send(text);
      await expectMessage(peer.messages, text);
      await expectMessage(client.messages, text);
    }
  });

  test('binary echoes exactly at 0, 125, 126, 65536 and 1 MiB (RFC 6455 §5.2 lengths)', async () => {
    const { client, peer } = await open();
    for (const size of BINARY_SIZES) {
      const payload = randomPayload(size);
      client.socket.send(payload);
      await expectMessage(peer.messages, payload);
      await expectMessage(client.messages, payload);
    }
  });

  test('1 MiB compressible text and binary: wire size matches the negotiation', async () => {
    const { client, peer, tcp } = await open();
    const binary = compressiblePayload(MIB);
    const text = 'ü'.repeat(MIB / 2); // 1 MiB of two-byte UTF-8
    for (const payload of [binary, text]) {
      const bytes = await wireBytes(tcp, async () => {
        client.socket.send(payload);
        await expectMessage(peer.messages, payload);
        await expectMessage(client.messages, payload);
      });
      expectWireSize(bytes.written, deflate, MIB);
      expectWireSize(bytes.read, deflate, MIB);
    }
  });

  test('fragmented sends from ws reassemble into one message (RFC 6455 §5.4)', async () => {
    const { client, peer } = await open();
    const ws = client.socket;
    // Small first fragment: below the deflate threshold, so never compressed.
    ws.send('frag', { fin: false });
    ws.send('mént', { fin: false });
    ws.send('ed ✓', { fin: true });
    await expectMessage(peer.messages, 'fragménted ✓');
    await expectMessage(client.messages, 'fragménted ✓');
    // Large fragments: with deflate on, one compressed message spread over frames (RFC 7692 §6).
    const first = randomPayload(40_000);
    const second = compressiblePayload(70_000);
    ws.send(first, { fin: false, binary: true });
    ws.send(second, { fin: false, binary: true });
    ws.send(Buffer.alloc(0), { fin: true, binary: true });
    const whole = Buffer.concat([first, second]);
    await expectMessage(peer.messages, whole);
    await expectMessage(client.messages, whole);
    // Text with an empty first fragment.
    ws.send('', { fin: false });
    ws.send('x'.repeat(5_000), { fin: true });
    await expectMessage(peer.messages, 'x'.repeat(5_000));
    await expectMessage(client.messages, 'x'.repeat(5_000));
  });

  test('ping/pong both ways carry their payloads (RFC 6455 §5.5.2, §5.5.3)', async () => {
    const { client, peer } = await open();
    client.socket.ping(Buffer.from('ws ping ✓'));
    expect((await peer.pings.next())[0].toString()).toBe('ws ping ✓');
    expect((await client.pongs.next())[0].toString()).toBe('ws ping ✓');
    client.socket.ping();
    expect((await peer.pings.next())[0].length).toBe(0);
    expect((await client.pongs.next())[0].length).toBe(0);
    peer.socket.ping('wskit ping');
    expect((await client.pings.next())[0].toString()).toBe('wskit ping');
    expect((await peer.pongs.next())[0].toString()).toBe('wskit ping');
    // The connection still echoes afterwards.
    client.socket.send('after pings');
    await expectMessage(client.messages, 'after pings');
  });

  test('ws closes with 4001 and a reason: both ends report it (RFC 6455 §7.1.5)', async () => {
    const { client, peer } = await open();
    client.socket.close(4001, 'bye from ws ✓');
    await expectClose(peer.closes, 4001, 'bye from ws ✓', true);
    // ws reports the close frame it received: our echo repeats code and reason (§5.5.1).
    await expectClose(client.closes, 4001, 'bye from ws ✓');
  });

  test('our server closes with 4000 and a 123-byte reason: both ends report it', async () => {
    const { client, peer } = await open();
    peer.socket.close(4000, LONGEST_REASON);
    await expectClose(client.closes, 4000, LONGEST_REASON);
    await expectClose(peer.closes, 4000, LONGEST_REASON, true);
  });

  test('close without a code reports 1005 on both ends (RFC 6455 §7.1.5)', async () => {
    const { client, peer } = await open();
    client.socket.close();
    await expectClose(peer.closes, 1005, '', true);
    await expectClose(client.closes, 1005, '');
  });

  test('our server closes with 1000 and no reason', async () => {
    const { client, peer } = await open();
    peer.socket.close(1000);
    await expectClose(client.closes, 1000, '');
    await expectClose(peer.closes, 1000, '', true);
  });
});

describe.each(DEFLATE_MODES)('our client ↔ ws server, $name', ({ deflate }) => {
  let server: WsServer;
  let url: string;
  let peers: Inbox<[Observed<WsClient>, net.Socket]>;
  const clients: WebSocket[] = [];

  beforeAll(async () => {
    server = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
    peers = new Inbox(server, 'observed', 'ws server connection');
    server.on('connection', (socket: WsClient, request: IncomingMessage) => {
      const observed = observe(socket, 'ws server');
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        socket.send(data, { binary: isBinary });
      });
      server.emit('observed', observed, request.socket);
    });
    await once(server, 'listening');
    url = `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/interop`;
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.terminate();
  });

  afterAll(async () => {
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function open() {
    const socket = await withTimeout(connect(url, { perMessageDeflate: deflate }), 'connect');
    clients.push(socket);
    // `connect` resolves before reading starts: listeners added now see every frame.
    const client = observe(socket, 'our client');
    const [peer, tcp] = await peers.next();
    return { client, peer, tcp };
  }

  test('the handshake negotiates permessage-deflate only when enabled (RFC 7692 §5)', async () => {
    const { client, peer } = await open();
    expect(peer.socket.extensions).toBe(deflate ? 'permessage-deflate' : '');
    if (deflate) expect(client.socket.extensions).toMatch(/^permessage-deflate(;|$)/);
    else expect(client.socket.extensions).toBe('');
  });

  test('text echoes exactly, as text: ASCII, multi-byte, empty (RFC 6455 §5.6)', async () => {
    const { client, peer } = await open();
    for (const [, text] of TEXT_CASES) {
      client.socket.send(text);
      await expectMessage(peer.messages, text);
      await expectMessage(client.messages, text);
    }
  });

  test('binary echoes exactly at 0, 125, 126, 65536 and 1 MiB (RFC 6455 §5.2 lengths)', async () => {
    const { client, peer } = await open();
    for (const size of BINARY_SIZES) {
      const payload = randomPayload(size);
      client.socket.send(payload);
      await expectMessage(peer.messages, payload);
      await expectMessage(client.messages, payload);
    }
  });

  test('1 MiB compressible text and binary: wire size matches the negotiation', async () => {
    const { client, peer, tcp } = await open();
    const binary = compressiblePayload(MIB);
    const text = 'ü'.repeat(MIB / 2);
    for (const payload of [binary, text]) {
      const bytes = await wireBytes(tcp, async () => {
        client.socket.send(payload);
        await expectMessage(peer.messages, payload);
        await expectMessage(client.messages, payload);
      });
      expectWireSize(bytes.read, deflate, MIB);
      expectWireSize(bytes.written, deflate, MIB);
    }
  });

  test('fragmented sends from the ws server reassemble into one message (RFC 6455 §5.4)', async () => {
    const { client, peer } = await open();
    const ws = peer.socket;
    ws.send('frag', { fin: false });
    ws.send('mént', { fin: false });
    ws.send('ed ✓', { fin: true });
    await expectMessage(client.messages, 'fragménted ✓');
    const first = randomPayload(40_000);
    const second = compressiblePayload(70_000);
    ws.send(first, { fin: false, binary: true });
    ws.send(second, { fin: false, binary: true });
    ws.send(Buffer.alloc(0), { fin: true, binary: true });
    await expectMessage(client.messages, Buffer.concat([first, second]));
    ws.send('', { fin: false });
    ws.send('x'.repeat(5_000), { fin: true });
    await expectMessage(client.messages, 'x'.repeat(5_000));
  });

  test('ping/pong both ways carry their payloads (RFC 6455 §5.5.2, §5.5.3)', async () => {
    const { client, peer } = await open();
    client.socket.ping('wskit ping ✓');
    expect((await peer.pings.next())[0].toString()).toBe('wskit ping ✓');
    expect((await client.pongs.next())[0].toString()).toBe('wskit ping ✓');
    peer.socket.ping(Buffer.from('ws ping'));
    expect((await client.pings.next())[0].toString()).toBe('ws ping');
    expect((await peer.pongs.next())[0].toString()).toBe('ws ping');
    peer.socket.ping();
    expect((await client.pings.next())[0].length).toBe(0);
    expect((await peer.pongs.next())[0].length).toBe(0);
    client.socket.send('after pings');
    await expectMessage(client.messages, 'after pings');
  });

  test('our client closes with 4001 and a reason: both ends report it (RFC 6455 §7.1.5)', async () => {
    const { client, peer } = await open();
    client.socket.close(4001, 'bye from wskit ✓');
    await expectClose(peer.closes, 4001, 'bye from wskit ✓');
    await expectClose(client.closes, 4001, 'bye from wskit ✓', true);
  });

  test('the ws server closes with 4000 and a 123-byte reason: both ends report it', async () => {
    const { client, peer } = await open();
    peer.socket.close(4000, LONGEST_REASON);
    await expectClose(client.closes, 4000, LONGEST_REASON, true);
    // ws reports the close frame it received: our echo repeats code and reason (§5.5.1).
    await expectClose(peer.closes, 4000, LONGEST_REASON);
  });

  test('close without a code reports 1005 on both ends (RFC 6455 §7.1.5)', async () => {
    const { client, peer } = await open();
    client.socket.close();
    await expectClose(peer.closes, 1005, '');
    await expectClose(client.closes, 1005, '', true);
  });

  test('the ws server closes with 1000 and no reason', async () => {
    const { client, peer } = await open();
    peer.socket.close(1000);
    await expectClose(client.closes, 1000, '', true);
    await expectClose(peer.closes, 1000, '');
  });
});
