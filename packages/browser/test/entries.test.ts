// The two entries and the export conditions that choose between them. Importing must never
// throw in any runtime; the native entry is the runtime's own class and rejects a third
// argument loudly. Conditions are checked on the built package through Node's self-reference
// (`import '@wskit/browser'` from inside this package), one child process per condition.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';

const execFileAsync = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

beforeAll(() => {
  if (!existsSync(new URL('../dist/native.js', import.meta.url))) {
    throw new Error('@wskit/browser is not built: run its build first (turbo does: test → build)');
  }
});

/** Runs `code` as an ES module (or CommonJS) in a child Node with extra flags; parses its output. */
async function runNode(code: string, flags: string[] = [], type: 'module' | 'commonjs' = 'module') {
  const { stdout } = await execFileAsync(
    process.execPath,
    [...flags, `--input-type=${type}`, '--eval', code],
    { cwd: packageDir },
  );
  return JSON.parse(stdout.trim()) as Record<string, unknown>;
}

/** Describes the WebSocket export it sees, without a network: which class it is. */
const PROBE = `
  const describe = ({ WebSocket, CloseEvent }) => {
    let construct;
    try {
      const ws = new WebSocket('ws://127.0.0.1:1/');
      construct = globalThis.WebSocket && ws instanceof globalThis.WebSocket ? 'native instance' : 'our instance';
      ws.close();
    } catch (error) {
      construct = error.constructor.name + ': ' + error.message;
    }
    let thirdArgument = 'accepted';
    try {
      new WebSocket('ws://127.0.0.1:1/', [], { headers: {} }).close();
    } catch (error) {
      thirdArgument = error.constructor.name + (/cannot honour/.test(error.message) ? ' (rejected loudly)' : ': ' + error.message);
    }
    return {
      name: WebSocket.name,
      tag: Object.prototype.toString.call(WebSocket.prototype),
      constants: [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED],
      construct,
      thirdArgument,
      closeEvent: CloseEvent.name,
      nativeCloseEvent: CloseEvent === globalThis.CloseEvent,
    };
  };
`;

const NATIVE_CONDITIONS = ['browser', 'worker', 'workerd', 'deno', 'bun'] as const;

describe('export conditions (package.json "exports")', () => {
  test('Node without conditions gets our class, from import and from require', async () => {
    const imported = await runNode(
      `${PROBE} const m = await import('@wskit/browser'); console.log(JSON.stringify(describe(m)));`,
    );
    const required = await runNode(
      `${PROBE} console.log(JSON.stringify(describe(require('@wskit/browser'))));`,
      [],
      'commonjs',
    );
    const ours = {
      name: 'WebSocket',
      tag: '[object WebSocket]',
      constants: [0, 1, 2, 3],
      construct: 'our instance',
      thirdArgument: 'accepted',
      closeEvent: 'CloseEvent',
      nativeCloseEvent: false,
    };
    expect(imported).toEqual(ours);
    expect(required).toEqual(ours);
  });

  test.each(NATIVE_CONDITIONS)(
    '"%s" selects the native entry; without a global WebSocket it imports, then refuses to construct',
    async (condition) => {
      for (const type of ['module', 'commonjs'] as const) {
        const load =
          type === 'module' ? `await import('@wskit/browser')` : `require('@wskit/browser')`;
        const seen = await runNode(
          `${PROBE} (async () => console.log(JSON.stringify(describe(${load}))))();`,
          [`--conditions=${condition}`],
          type,
        );
        expect(seen).toMatchObject({
          name: 'WebSocket',
          constants: [0, 1, 2, 3],
          construct: expect.stringMatching(
            /^TypeError: @wskit\/browser: this runtime has no global WebSocket/,
          ),
          closeEvent: 'CloseEvent',
        });
      }
    },
  );

  test('"browser" with a global WebSocket (node --experimental-websocket, undici): the native class', async () => {
    const seen = await runNode(
      `${PROBE} const m = await import('@wskit/browser'); console.log(JSON.stringify(describe(m)));`,
      ['--experimental-websocket', '--no-warnings', '--conditions=browser'],
    );
    expect(seen).toEqual({
      name: 'WebSocket',
      tag: '[object WebSocket]',
      constants: [0, 1, 2, 3],
      construct: 'native instance',
      thirdArgument: 'TypeError (rejected loudly)',
      closeEvent: 'CloseEvent',
      // Node 20's flag exposes WebSocket but no CloseEvent global: ours stands in.
      nativeCloseEvent: typeof (globalThis as { CloseEvent?: unknown }).CloseEvent === 'function',
    });
  });

  test('a runtime without Event, EventTarget, DOMException or WebSocket can still import it', async () => {
    // As in React Native or an embedded engine: the module graph must evaluate; only using
    // what is missing may throw.
    const strip = `for (const name of ['Event', 'EventTarget', 'DOMException', 'WebSocket', 'MessageEvent', 'CloseEvent']) delete globalThis[name];`;
    const seen = await runNode(
      `${strip} const m = await import('@wskit/browser'); let construct; try { new m.WebSocket('ws://127.0.0.1:1/'); } catch (error) { construct = error.constructor.name; } console.log(JSON.stringify({ exports: Object.keys(m).includes('WebSocket'), construct }));`,
      ['--conditions=browser'],
    );
    expect(seen).toEqual({ exports: true, construct: 'TypeError' });
  });

  test('@wskit/browser/node is our class under every condition', async () => {
    const seen = await runNode(
      `${PROBE} const m = await import('@wskit/browser/node'); console.log(JSON.stringify(describe(m)));`,
      ['--conditions=browser'],
    );
    expect(seen).toMatchObject({ construct: 'our instance', thirdArgument: 'accepted' });
  });
});

describe('ReconnectingWebSocket and WebSocketStream are bound to the entry’s class', () => {
  test('node entry: our class', async () => {
    const entry = await import('../src/node.js');
    expect(entry.ReconnectingWebSocket.defaultWebSocket).toBe(entry.WebSocket);
    expect(entry.WebSocketStream.defaultWebSocket).toBe(entry.WebSocket);
  });
});

describe('native entry (src/native.ts)', () => {
  const original = (globalThis as { WebSocket?: unknown }).WebSocket;

  afterEach(() => {
    (globalThis as { WebSocket?: unknown }).WebSocket = original;
    vi.resetModules();
  });

  test('wraps the global class: same prototype, constants and instances; options rejected', async () => {
    class FakeWebSocket extends EventTarget {
      static readonly CONNECTING = 0;
      static readonly OPEN = 1;
      static readonly CLOSING = 2;
      static readonly CLOSED = 3;
      static readonly made: unknown[][] = [];
      readonly args: unknown[];
      binaryType = 'blob';
      constructor(...args: unknown[]) {
        super();
        this.args = args;
        FakeWebSocket.made.push(args);
      }
      close() {}
    }
    (globalThis as { WebSocket?: unknown }).WebSocket = FakeWebSocket;
    vi.resetModules();
    const { WebSocket } = await import('../src/native.js');
    const ws = new WebSocket('wss://example.test/', ['chat']) as unknown as FakeWebSocket;
    expect(ws).toBeInstanceOf(FakeWebSocket);
    expect(ws).toBeInstanceOf(WebSocket);
    expect(Object.getPrototypeOf(ws)).toBe(FakeWebSocket.prototype);
    expect(ws.args).toEqual(['wss://example.test/', ['chat']]);
    expect(WebSocket.prototype).toBe(FakeWebSocket.prototype);
    expect([WebSocket.CONNECTING, WebSocket.CLOSED, WebSocket.name]).toEqual([
      0,
      3,
      'FakeWebSocket',
    ]);
    // An explicit undefined third argument is no option at all.
    const Constructor = WebSocket as unknown as new (...args: unknown[]) => FakeWebSocket;
    expect(new Constructor('wss://example.test/', [], undefined).args).toHaveLength(3);
    // WebIDL ignores extra arguments: a stray string is passed on, never mistaken for options.
    expect(new Constructor('wss://example.test/', 'chat', 'stray').args).toHaveLength(3);
    expect(() => new Constructor('wss://example.test/', [], { headers: {} })).toThrow(
      /cannot honour a third \(options\) argument/,
    );
    // The helpers use the global class itself (they never pass a third argument), looked up
    // when constructed: no binding, so a bundle of only them carries no wrapper.
    const entry = await import('../src/native.js');
    expect(entry.ReconnectingWebSocket.defaultWebSocket).toBeUndefined();
    expect(entry.WebSocketStream.defaultWebSocket).toBeUndefined();
    FakeWebSocket.made.length = 0;
    const reconnecting = new entry.ReconnectingWebSocket('wss://example.test/a', ['chat']);
    reconnecting.close();
    new entry.WebSocketStream('wss://example.test/b', { protocols: ['chat'] });
    expect(FakeWebSocket.made).toEqual([
      ['wss://example.test/a', ['chat']],
      ['wss://example.test/b', ['chat']],
    ]);
  });

  test('without a global WebSocket: importable, constants present, construction throws', async () => {
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    vi.resetModules();
    const { WebSocket, CloseEvent } = await import('../src/native.js');
    expect([WebSocket.OPEN, WebSocket.prototype.CLOSING, WebSocket.name]).toEqual([
      1,
      2,
      'WebSocket',
    ]);
    expect(() => new WebSocket('ws://127.0.0.1:1/')).toThrow(
      /this runtime has no global WebSocket/,
    );
    expect(new CloseEvent('close', { code: 1000 }).code).toBe(1000);
    const entry = await import('../src/native.js');
    // The helpers report that the runtime has no WebSocket.
    expect(() => new entry.ReconnectingWebSocket('ws://127.0.0.1:1/')).toThrow(
      /no WebSocket class in this runtime/,
    );
    expect(() => new entry.WebSocketStream('ws://127.0.0.1:1/')).toThrow(
      /no WebSocket class in this runtime/,
    );
  });
});
