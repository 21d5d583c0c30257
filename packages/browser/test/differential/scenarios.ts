// Scenarios of test/differential.test.ts. This module runs twice, unchanged: in Node against
// our WebSocket class, and in Chromium (served to the page, transpiled by esbuild) against the
// native one. It may use only what both have: the WHATWG WebSocket, events, Blob, timers. Each
// scenario returns plain data (arrays of strings, numbers and booleans) recording what was
// observable, in order; the test expects the two records to be equal.
//
// Server paths (test/differential/server.ts): /echo echoes, /close-4001 and /close-empty close
// after 'go', /drop destroys the TCP connection after 'go', /reject answers 403, /hang never
// answers, /no-protocol and /unknown-protocol misbehave on subprotocols, /bad-utf8 sends an
// invalid text frame after 'go', /burst sends 'a' and 'b' in one write after 'go', /count
// answers each message with its size.

/** What a scenario gets: the class under test and `ws://127.0.0.1:<port>`. */
export interface Environment {
  WebSocket: WebSocketClass;
  base: string;
}

type Entry = Array<string | number | boolean | null>;
export type Log = Entry[];

interface WebSocketInstance extends EventTarget {
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  readonly extensions: string;
  readonly url: string;
  binaryType: string;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  send(data: unknown): void;
  close(code?: number, reason?: string): void;
}

interface WebSocketClass {
  new (url: string | URL, protocols?: string | string[]): WebSocketInstance;
  readonly CONNECTING: number;
  readonly OPEN: number;
  readonly CLOSING: number;
  readonly CLOSED: number;
}

interface CloseEventLike extends Event {
  code: number;
  reason: string;
  wasClean: boolean;
}

const MIB = 1024 * 1024;

/** A deterministic byte pattern and its checksum, so megabytes never cross the test harness. */
function pattern(size: number, seed = 7): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum * 33 + (bytes[i] as number)) >>> 0;
  return sum;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `predicate` holds (or the time is up): for values the UA updates on its own. */
async function until(predicate: () => boolean, timeout = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** What a message's data looks like, as plain data; Blob contents are read at the end. */
function describeData(data: unknown, reads: Array<Promise<Entry>>): Entry {
  if (typeof data === 'string') return ['text', data];
  if (data instanceof ArrayBuffer) {
    return ['ArrayBuffer', data.byteLength, checksum(new Uint8Array(data))];
  }
  if (data instanceof Blob) {
    reads.push(
      data.arrayBuffer().then((buffer) => ['blob contents', checksum(new Uint8Array(buffer))]),
    );
    return ['Blob', data.size, data.type];
  }
  return ['unexpected data', Object.prototype.toString.call(data)];
}

/**
 * Records every event with the readyState seen by its listener. Resolves with the log once the
 * close event has been recorded (and `afterClose` ran), Blob contents appended.
 */
function record(
  ws: WebSocketInstance,
  log: Log,
  hooks: {
    onOpen?: (ws: WebSocketInstance) => void;
    onMessage?: (ws: WebSocketInstance, data: unknown) => void;
    afterClose?: (ws: WebSocketInstance) => void;
  } = {},
): Promise<Log> {
  const reads: Array<Promise<Entry>> = [];
  return new Promise((resolve) => {
    ws.addEventListener('open', (event) => {
      log.push(['open', ws.readyState, event.constructor.name, ws.protocol, ws.extensions]);
      hooks.onOpen?.(ws);
    });
    ws.addEventListener('message', (event) => {
      const message = event as MessageEvent;
      log.push([
        'message',
        ws.readyState,
        event.constructor.name,
        Object.prototype.toString.call(event),
        message.origin,
        ...describeData(message.data, reads),
      ]);
      hooks.onMessage?.(ws, message.data);
    });
    ws.addEventListener('error', (event) => {
      log.push(['error', ws.readyState, event.constructor.name]);
    });
    ws.addEventListener('close', (event) => {
      const close = event as CloseEventLike;
      log.push([
        'close',
        ws.readyState,
        event.constructor.name,
        close.code,
        close.reason,
        close.wasClean,
        ws.bufferedAmount,
      ]);
      hooks.afterClose?.(ws);
      Promise.all(reads).then((contents) => resolve([...log, ...contents]));
    });
  });
}

/** Runs `action` and records its outcome: 'ok' or the error's name and constructor. */
function attempt(action: () => unknown): Entry {
  try {
    const result = action();
    return ['ok', typeof result === 'string' || typeof result === 'number' ? result : null];
  } catch (error) {
    const failure = error as Error;
    return [failure.name, failure.constructor.name];
  }
}

export const scenarios: Record<string, (environment: Environment) => Promise<Log>> = {
  /** Text both ways, event handler attributes next to listeners, a clean close from us. */
  async 'text messages, handler attributes and a clean close with a reason'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/echo`);
    const log: Log = [
      ['created', ws.readyState, ws.url, ws.protocol, ws.extensions, ws.binaryType],
    ];
    // Listener order: A, the onmessage handler (its first value's place), C. Replacing the
    // handler keeps its place.
    ws.addEventListener('message', () => log.push(['listener A']));
    ws.onmessage = () => log.push(['handler 1']);
    ws.addEventListener('message', () => log.push(['listener C']));
    ws.onmessage = () => log.push(['handler 2']);
    const texts = ['hello', 'héllo wörld ✓ 日本語 𝄞', '', 'x'.repeat(70_000)];
    let echoed = 0;
    return record(ws, log, {
      onOpen: () => {
        log.push(['handler is', typeof ws.onmessage, ws.onopen === null]);
        for (const text of texts) ws.send(text);
      },
      onMessage: () => {
        echoed += 1;
        if (echoed === texts.length) {
          ws.close(1000, 'done ✓');
          log.push(['after close()', ws.readyState]);
        }
      },
    });
  },

  /** binaryType 'blob' (the default): what arrives is a Blob; sent as every binary type. */
  async 'binary messages as Blob'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/echo`);
    const log: Log = [['binaryType', ws.binaryType]];
    const sends = 4;
    let echoed = 0;
    return record(ws, log, {
      onOpen: () => {
        ws.send(pattern(256).buffer);
        ws.send(new DataView(pattern(1000, 3).buffer, 10, 500));
        ws.send(new Blob([pattern(70_000, 5)]));
        ws.send(new Uint8Array(0));
      },
      onMessage: () => {
        echoed += 1;
        if (echoed === sends) ws.close();
      },
    });
  },

  /** binaryType 'arraybuffer'; a Blob send keeps its place among the others. */
  async 'binary messages as ArrayBuffer, in send order'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/echo`);
    ws.binaryType = 'arraybuffer';
    const log: Log = [['binaryType', ws.binaryType]];
    const sends = 5;
    let echoed = 0;
    return record(ws, log, {
      onOpen: () => {
        ws.send(new Blob([pattern(MIB, 9)]));
        ws.send('after the blob');
        ws.send(pattern(125, 1));
        ws.send(new Blob(['text in a blob']));
        ws.send(new Uint16Array([1, 2, 3, 65535]));
      },
      onMessage: () => {
        echoed += 1;
        if (echoed === sends) ws.close(4000);
      },
    });
  },

  async 'the server closes with a code and a reason'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/close-4001`);
    return record(ws, [], { onOpen: () => ws.send('go') });
  },

  async 'the server closes without a code: 1005'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/close-empty`);
    return record(ws, [], { onOpen: () => ws.send('go') });
  },

  async 'the TCP connection drops without a close frame: 1006, no error'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/drop`);
    return record(ws, [], {
      onOpen: () => ws.send('go'),
      afterClose: () => {
        ws.send('abcd');
      },
    });
  },

  async 'a rejected handshake (403): error, then close 1006'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/reject`);
    return record(ws, [['created', ws.readyState]]);
  },

  async 'the server selects a subprotocol that was not offered: the connection fails'({
    WebSocket,
    base,
  }) {
    const ws = new WebSocket(`${base}/unknown-protocol`, ['chat']);
    const log = await record(ws, []);
    return [...log, ['protocol', ws.protocol]];
  },

  async 'subprotocols offered, none selected: the connection fails (Fetch standard)'({
    WebSocket,
    base,
  }) {
    const ws = new WebSocket(`${base}/no-protocol`, ['chat', 'superchat']);
    return record(ws, []);
  },

  async 'the server selects one of the offered subprotocols'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/echo`, ['superchat', 'chat']);
    return record(ws, [], { onOpen: () => ws.close() });
  },

  async 'close() while connecting fails the connection'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/hang`);
    const log: Log = [];
    const closed = record(ws, log);
    ws.close(1000, 'never mind');
    log.push(['after close()', ws.readyState, ws.bufferedAmount]);
    log.push(['send while closing', ...attempt(() => ws.send('12345')), ws.bufferedAmount]);
    return closed;
  },

  async 'messages arriving after close() are dropped; sends after close() only add to bufferedAmount'({
    WebSocket,
    base,
  }) {
    const ws = new WebSocket(`${base}/burst`);
    const log: Log = [];
    return record(ws, log, {
      onOpen: () => ws.send('go'),
      onMessage: () => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.close(3001);
        ws.send('12345');
        log.push(['after close() and send', ws.readyState, ws.bufferedAmount]);
      },
      afterClose: () => {
        ws.send(new Uint8Array(4));
        ws.send(new Blob(['xyz']));
        log.push(['sends after close', ws.readyState, ws.bufferedAmount]);
      },
    });
  },

  async 'bufferedAmount grows on a large send and returns to 0 once written'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/count`);
    const log: Log = [];
    const size = 8 * MIB;
    let polling = false;
    const closed = record(ws, log, {
      onOpen: () => {
        log.push(['before send', ws.bufferedAmount]);
        ws.send(pattern(size));
        log.push(['right after send', ws.bufferedAmount]);
      },
      onMessage: () => {
        // The server got all of it: bufferedAmount must reach 0 without further sends.
        if (polling) return;
        polling = true;
        until(() => ws.bufferedAmount === 0).then((zero) => {
          log.push(['drained', zero, ws.bufferedAmount]);
          ws.close();
        });
      },
    });
    return closed;
  },

  async 'invalid UTF-8 from the server fails the connection'({ WebSocket, base }) {
    const ws = new WebSocket(`${base}/bad-utf8`);
    return record(ws, [], { onOpen: () => ws.send('go') });
  },

  /** WebIDL and URL checks of the constructor and of close(), send(), binaryType. */
  async 'argument checks: URLs, subprotocols, close codes and reasons'({ WebSocket, base }) {
    const hang = `${base}/hang`;
    const opened: WebSocketInstance[] = [];
    const construct = (url: string | URL, protocols?: unknown) =>
      attempt(() => {
        const ws = new WebSocket(url, protocols as string[]);
        opened.push(ws);
        return ws.url;
      });
    const port = new URL(base).port;
    const log: Log = [
      ['fragment', ...construct(`${hang}#`)],
      ['fragment with text', ...construct(`${hang}#frag`)],
      ['ftp scheme', ...construct('ftp://127.0.0.1/')],
      ['http scheme becomes ws', ...construct(`http://127.0.0.1:${port}/hang?q=1`)],
      ['https scheme becomes wss', ...construct('https://127.0.0.1:1/')],
      ['URL object', ...construct(new URL(hang))],
      ['serialization', ...construct(`WS://127.0.0.1:${port}/hang/a b/../c?x=ü`)],
      ['invalid URL', ...construct('ws://[::1/')],
      ['no protocols', ...construct(hang, [])],
      ['one protocol string', ...construct(hang, 'chat')],
      ['duplicate protocols', ...construct(hang, ['chat', 'chat'])],
      ['empty protocol', ...construct(hang, [''])],
      ['protocol with a space', ...construct(hang, 'a b')],
      ['protocol with a comma', ...construct(hang, 'a,b')],
      ['non-ASCII protocol', ...construct(hang, 'é')],
      ['null protocols', ...construct(hang, null)],
      ['iterable protocols', ...construct(hang, new Set(['one', 'two']))],
    ];
    const ws = new WebSocket(hang);
    opened.push(ws);
    log.push(['send while connecting', ...attempt(() => ws.send('x'))]);
    log.push(['bufferedAmount', ws.bufferedAmount]);
    ws.binaryType = 'nonsense';
    log.push(['invalid binaryType ignored', ws.binaryType]);
    ws.binaryType = 'arraybuffer';
    log.push(['binaryType', ws.binaryType]);
    log.push([
      'constants',
      WebSocket.CONNECTING,
      WebSocket.OPEN,
      WebSocket.CLOSING,
      WebSocket.CLOSED,
    ]);
    // close() argument checks, each on its own connecting socket. (Not included: an explicit
    // undefined code with a reason. WebIDL makes it "missing", so it is allowed; Chromium
    // converts it to 0 and throws InvalidAccessError.)
    const closeCases: Array<[string, number | undefined, string | undefined]> = [
      ['999', 999, undefined],
      ['1000', 1000, undefined],
      ['1000.5 clamps to 1000', 1000.5, undefined],
      ['1001', 1001, undefined],
      ['2999', 2999, undefined],
      ['3000', 3000, undefined],
      ['4999', 4999, undefined],
      ['5000', 5000, undefined],
      ['NaN', Number.NaN, undefined],
      ['-1', -1, undefined],
      ['66536 clamps to 65535', 66_536, undefined],
      ['"1000"', '1000' as unknown as number, undefined],
      ['null', null as unknown as number, undefined],
      ['reason of 123 bytes', 3000, `${'é'.repeat(61)}x`],
      ['reason of 124 bytes', 3000, 'é'.repeat(62)],
      ['reason with a lone surrogate', 1000, '\uD800'],
    ];
    for (const [name, code, reason] of closeCases) {
      const socket = new WebSocket(hang);
      opened.push(socket);
      const args = reason === undefined ? [code] : [code, reason];
      log.push([
        `close(${name})`,
        ...attempt(() => (socket.close as (...values: unknown[]) => void)(...args)),
        socket.readyState,
      ]);
    }
    // Wait for every socket opened here to report its close event before returning.
    await Promise.all(
      opened.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            socket.addEventListener('close', () => resolve());
            socket.close();
          }),
      ),
    );
    log.push(['all closed', opened.every((socket) => socket.readyState === WebSocket.CLOSED)]);
    return log;
  },
};
