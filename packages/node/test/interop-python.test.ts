// Interop with Python's `websockets` (Debian's python3-websockets, run by /usr/bin/python3),
// with permessage-deflate off and on: our client ↔ a Python echo server
// (test/interop/python_server.py). The other direction, our server ↔ a scripted Python client,
// runs for Node, Bun and Deno alike in packages/conformance/test/interop-python.test.ts.
// A missing Python or package fails the suite: CI installs them.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { connect, type WebSocket } from '../src/index.js';
import {
  BINARY_SIZES,
  compressiblePayload,
  DEFLATE_MODES,
  fixture,
  Inbox,
  JsonLines,
  MIB,
  PYTHON,
  randomPayload,
  requirePythonWebsockets,
  TEXT_CASES,
  withTimeout,
} from './interop/helpers.js';

type MessageArgs = [data: Buffer, isBinary: boolean];
type CloseArgs = [code: number, reason: Buffer, wasClean: boolean];

beforeAll(() => {
  requirePythonWebsockets();
});

describe.each(DEFLATE_MODES)('our client ↔ Python websockets server, $name', ({ deflate }) => {
  let python: ChildProcessWithoutNullStreams;
  let events: JsonLines;
  let stderr = '';
  let port: number;
  let nextPath = 0;
  const clients: WebSocket[] = [];

  beforeAll(async () => {
    python = spawn(PYTHON, [fixture('python_server.py'), deflate ? 'deflate' : 'plain']);
    events = new JsonLines();
    python.stdout.setEncoding('utf8').on('data', (chunk: string) => events.feed(chunk));
    python.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    python.on('close', () => events.end());
    const listening = await events
      .waitFor('listening', (event) => event.event === 'listening', 10_000)
      .catch((error: Error) => {
        throw new Error(`${error.message}\npython_server.py stderr:\n${stderr}`);
      });
    port = listening.port as number;
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.terminate();
  });

  afterAll(async () => {
    if (python !== undefined && python.exitCode === null) {
      const exited = once(python, 'close');
      python.stdin.end(); // the server exits when stdin closes
      await withTimeout(exited, 'python_server.py exit', 5_000).catch(() => python.kill('SIGKILL'));
    }
    expect(stderr).toBe('');
  });

  async function open() {
    const path = `/client-${nextPath++}`;
    const socket = await withTimeout(
      connect(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: deflate }),
      'connect',
    );
    clients.push(socket);
    const opened = await events.waitFor(
      `open ${path}`,
      (e) => e.event === 'open' && e.path === path,
    );
    return {
      socket,
      path,
      opened,
      messages: new Inbox<MessageArgs>(socket, 'message', 'client message'),
      pings: new Inbox<[Buffer]>(socket, 'ping', 'client ping'),
      pongs: new Inbox<[Buffer]>(socket, 'pong', 'client pong'),
      closes: new Inbox<CloseArgs>(socket, 'close', 'client close'),
      closedOnServer: () =>
        events.waitFor(`closed ${path}`, (e) => e.event === 'closed' && e.path === path),
    };
  }

  async function expectEcho(
    messages: Inbox<MessageArgs>,
    expected: string | Buffer,
  ): Promise<void> {
    const [data, isBinary] = await messages.next();
    if (typeof expected === 'string') {
      expect(isBinary, 'a text message').toBe(false);
      expect(data.toString('utf8')).toBe(expected);
    } else {
      expect(isBinary, 'a binary message').toBe(true);
      expect(data.length).toBe(expected.length);
      expect(Buffer.compare(data, expected), 'echoed bytes equal the sent bytes').toBe(0);
    }
  }

  test('the handshake negotiates permessage-deflate only when enabled (RFC 7692 §5)', async () => {
    const { socket, opened } = await open();
    expect(opened.extensions).toEqual(deflate ? ['permessage-deflate'] : []);
    if (deflate) expect(socket.extensions).toMatch(/^permessage-deflate(;|$)/);
    else expect(socket.extensions).toBe('');
  });

  test('text and binary echo exactly, with their types, up to 1 MiB', async () => {
    const { socket, messages } = await open();
    const payloads: Array<string | Buffer> = [
      ...TEXT_CASES.map(([, text]) => text),
      ...BINARY_SIZES.map(randomPayload),
      compressiblePayload(MIB),
      '✓ü'.repeat(MIB / 5),
    ];
    for (const payload of payloads) {
      socket.send(payload);
      await expectEcho(messages, payload);
    }
  });

  test('fragmented messages from Python reassemble (RFC 6455 §5.4)', async () => {
    const { socket, messages } = await open();
    socket.send('__command__ fragments');
    await expectEcho(messages, 'fragménted ✓');
    await expectEcho(
      messages,
      Buffer.concat([Buffer.from([0, 1]), Buffer.from('feff'.repeat(40_000), 'hex')]),
    );
  });

  test('ping/pong both ways carry their payloads (RFC 6455 §5.5.2, §5.5.3)', async () => {
    const { socket, messages, pings, pongs } = await open();
    socket.ping('wskit ping ✓');
    expect((await pongs.next())[0].toString()).toBe('wskit ping ✓');
    socket.send('__command__ ping');
    expect((await pings.next())[0].toString()).toBe('python server ping');
    await expectEcho(messages, 'pong python server ping');
  });

  test('our client closes with 1000: Python sees it and echoes it', async () => {
    const { socket, closes, closedOnServer } = await open();
    socket.close(1000, 'done ✓');
    const [code, reason, wasClean] = await closes.next();
    // Python echoes the whole close body, so we get our reason back.
    expect({ code, reason: reason.toString(), wasClean }).toEqual({
      code: 1000,
      reason: 'done ✓',
      wasClean: true,
    });
    expect(await closedOnServer()).toMatchObject({ code: 1000, reason: 'done ✓' });
  });

  test('Python closes with 4002 and a reason: our client reports it', async () => {
    const { socket, closes, closedOnServer } = await open();
    socket.send('__command__ close 4002 python closing ✓');
    const [code, reason, wasClean] = await closes.next();
    expect({ code, reason: reason.toString(), wasClean }).toEqual({
      code: 4002,
      reason: 'python closing ✓',
      wasClean: true,
    });
    // Python reports the close frame it received: our echo repeats code and reason.
    expect(await closedOnServer()).toMatchObject({ code: 4002, reason: 'python closing ✓' });
  });
});
