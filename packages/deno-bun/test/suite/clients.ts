/**
 * The clients the suite drives servers with, behind one small interface: the `ws` package,
 * Python's `websockets` (a long-lived python3 process speaking JSON lines) and the WHATWG
 * WebSocket of @wskit/browser (our Node implementation of the browser API).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export interface Received {
  data: string | Uint8Array;
  isBinary: boolean;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  protocols?: string[];
  headers?: Record<string, string>;
  origin?: string;
  /** ws only: turn off the automatic pong (to play a dead peer). */
  autoPong?: boolean;
}

export interface TestClient {
  readonly protocol: string;
  /** Lower-cased response headers of the 101, where the client exposes them. */
  readonly headers: Record<string, string> | undefined;
  readonly extensions: string;
  send(data: string | Uint8Array): void;
  /** The next message, in order. */
  next(timeout?: number): Promise<Received>;
  /** The next text message, parsed as JSON. */
  nextJson<T = Record<string, unknown>>(timeout?: number): Promise<T>;
  close(code?: number, reason?: string): void;
  readonly closed: Promise<CloseInfo>;
  /** ws only: stop reading (TCP backpressure on the server) and start again. */
  pause?(): void;
  resume?(): void;
  /** ws only: drop the TCP connection without a closing handshake. */
  terminate?(): void;
  /** ws only: pings received from the server. */
  readonly pings?: number;
}

/** A refused handshake: the status and headers where the client can tell them. */
export class Rejected extends Error {
  constructor(
    readonly status: number | undefined,
    readonly headers: Record<string, string> | undefined,
  ) {
    super(`handshake rejected${status === undefined ? '' : ` with ${status}`}`);
  }
}

export interface ClientDriver {
  readonly name: string;
  /** What this client can observe: response headers and statuses, pause, raw pings. */
  readonly observes: { headers: boolean; status: boolean; pause: boolean; pings: boolean };
  connect(url: string, options?: ConnectOptions): Promise<TestClient>;
  dispose?(): Promise<void>;
}

/** Messages in order, with waiters: the part every driver shares. */
class Inbox {
  readonly #queue: Received[] = [];
  readonly #waiters: Array<(message: Received) => void> = [];
  push(message: Received): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(message);
    else this.#queue.push(message);
  }
  next(timeout = 5_000): Promise<Received> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(new Error(`no message within ${timeout} ms`));
      }, timeout);
      const waiter = (message: Received) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.#waiters.push(waiter);
    });
  }
  async nextJson<T>(timeout?: number): Promise<T> {
    const message = await this.next(timeout);
    if (message.isBinary) throw new Error('expected a text message, got binary');
    return JSON.parse(message.data as string) as T;
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

// --- ws --------------------------------------------------------------------------------------

export const wsDriver: ClientDriver = {
  name: 'ws',
  observes: { headers: true, status: true, pause: true, pings: true },
  connect(url, options = {}) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options.protocols ?? [], {
        headers: options.headers,
        origin: options.origin,
        autoPong: options.autoPong ?? true,
        perMessageDeflate: true,
      });
      const inbox = new Inbox();
      const closed = deferred<CloseInfo>();
      let headers: Record<string, string> = {};
      let pings = 0;
      socket.on('upgrade', (response) => {
        headers = Object.fromEntries(
          Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
        );
      });
      socket.on('unexpected-response', (_request, response) => {
        const responseHeaders = Object.fromEntries(
          Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
        );
        response.resume();
        reject(new Rejected(response.statusCode, responseHeaders));
        socket.terminate();
      });
      socket.on('error', (error) => reject(error));
      socket.on('ping', () => pings++);
      socket.on('message', (data, isBinary) => {
        const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
        inbox.push(
          isBinary
            ? { data: new Uint8Array(bytes), isBinary }
            : { data: bytes.toString(), isBinary },
        );
      });
      socket.on('close', (code, reason) => closed.resolve({ code, reason: reason.toString() }));
      socket.on('open', () =>
        resolve({
          protocol: socket.protocol,
          headers,
          extensions: socket.extensions,
          send: (data) => socket.send(data),
          next: (timeout) => inbox.next(timeout),
          nextJson: (timeout) => inbox.nextJson(timeout),
          close: (code, reason) => socket.close(code, reason),
          closed: closed.promise,
          pause: () => socket.pause(),
          resume: () => socket.resume(),
          terminate: () => socket.terminate(),
          get pings() {
            return pings;
          },
        }),
      );
    });
  },
};

// --- Python websockets -----------------------------------------------------------------------

export const PYTHON = '/usr/bin/python3';

interface PythonEvent {
  id?: number;
  event: string;
  [key: string]: unknown;
}

/**
 * Throws (failing the test, never skipping it) when /usr/bin/python3 cannot import websockets,
 * naming the peer and the command that installs it.
 */
function requirePythonWebsockets(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim();
    throw new Error(
      `Python's websockets is missing (${PYTHON} -c 'import websockets' failed: ${why}): run 'npm test' as root (it installs the system peers) or 'apt-get install -y python3-websockets'`,
    );
  }
}

/** One python3 process serves every Python connection of a test file. */
export function pythonDriver(): ClientDriver {
  let child: ChildProcessWithoutNullStreams | undefined;
  let ready: Promise<void> | undefined;
  const listeners = new Map<number, (event: PythonEvent) => void>();
  let nextId = 1;
  let stderr = '';

  const start = () => {
    if (ready) return ready;
    requirePythonWebsockets();
    const script = fileURLToPath(new URL('../clients/python_client.py', import.meta.url));
    const process = spawn(PYTHON, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    child = process;
    process.stderr.on('data', (chunk) => (stderr += chunk));
    ready = new Promise((resolve, reject) => {
      process.on('error', reject);
      process.on('exit', (code) => reject(new Error(`python client exited (${code}): ${stderr}`)));
      createInterface({ input: process.stdout }).on('line', (line) => {
        const event = JSON.parse(line) as PythonEvent;
        if (event.event === 'ready') resolve();
        else if (event.id !== undefined) listeners.get(event.id)?.(event);
      });
    });
    return ready;
  };
  const command = (payload: Record<string, unknown>) =>
    child?.stdin.write(`${JSON.stringify(payload)}\n`);

  return {
    name: 'python-websockets',
    observes: { headers: true, status: true, pause: false, pings: false },
    async connect(url, options = {}) {
      await start();
      const id = nextId++;
      const inbox = new Inbox();
      const closed = deferred<CloseInfo>();
      return new Promise((resolve, reject) => {
        listeners.set(id, (event) => {
          switch (event.event) {
            case 'open':
              resolve({
                protocol: event.protocol as string,
                headers: event.headers as Record<string, string>,
                extensions: (event.extensions as string[]).join(', '),
                send: (data) =>
                  command(
                    typeof data === 'string'
                      ? { op: 'send', id, text: data }
                      : { op: 'send', id, base64: Buffer.from(data).toString('base64') },
                  ),
                next: (timeout) => inbox.next(timeout),
                nextJson: (timeout) => inbox.nextJson(timeout),
                close: (code, reason) =>
                  command({ op: 'close', id, code: code ?? 1000, reason: reason ?? '' }),
                closed: closed.promise,
              });
              return;
            case 'rejected':
              reject(new Rejected(event.status as number, event.headers as Record<string, string>));
              return;
            case 'error':
              reject(new Error(event.message as string));
              return;
            case 'message':
              inbox.push(
                typeof event.text === 'string'
                  ? { data: event.text, isBinary: false }
                  : {
                      data: new Uint8Array(Buffer.from(event.base64 as string, 'base64')),
                      isBinary: true,
                    },
              );
              return;
            case 'close':
              closed.resolve({ code: event.code as number, reason: event.reason as string });
              listeners.delete(id);
          }
        });
        command({
          op: 'connect',
          id,
          url,
          protocols: options.protocols,
          headers: options.headers,
          origin: options.origin,
        });
      });
    },
    async dispose() {
      child?.stdin.end();
      child?.kill();
    },
  };
}

// --- WHATWG WebSocket (@wskit/browser on Node, or @wskit/node's connect as a fallback) ----

interface WhatwgSocket {
  binaryType: string;
  readonly protocol: string;
  readonly extensions: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
}

type WhatwgConstructor = new (url: string, protocols?: string[]) => WhatwgSocket;

/** The WHATWG WebSocket of @wskit/browser, loaded once; `undefined` if it is not built. */
export async function browserDriver(): Promise<ClientDriver | undefined> {
  let WebSocketClass: WhatwgConstructor;
  try {
    ({ WebSocket: WebSocketClass } = (await import('@wskit/browser')) as unknown as {
      WebSocket: WhatwgConstructor;
    });
  } catch {
    return undefined;
  }
  return {
    name: '@wskit/browser WebSocket',
    // A browser's WebSocket sees neither response headers nor the status of a refusal.
    observes: { headers: false, status: false, pause: false, pings: false },
    connect(url, options = {}) {
      return new Promise((resolve, reject) => {
        const socket = new WebSocketClass(url, options.protocols ?? []);
        socket.binaryType = 'arraybuffer';
        const inbox = new Inbox();
        const closed = deferred<CloseInfo>();
        let opened = false;
        socket.addEventListener('message', (event: { data: string | ArrayBuffer }) => {
          inbox.push(
            typeof event.data === 'string'
              ? { data: event.data, isBinary: false }
              : { data: new Uint8Array(event.data), isBinary: true },
          );
        });
        socket.addEventListener('close', (event: { code: number; reason: string }) => {
          closed.resolve({ code: event.code, reason: event.reason });
          if (!opened) reject(new Rejected(undefined, undefined));
        });
        socket.addEventListener('open', () => {
          opened = true;
          resolve({
            protocol: socket.protocol,
            headers: undefined,
            extensions: socket.extensions,
            send: (data) => socket.send(data),
            next: (timeout) => inbox.next(timeout),
            nextJson: (timeout) => inbox.nextJson(timeout),
            close: (code, reason) => socket.close(code, reason),
            closed: closed.promise,
          });
        });
      });
    },
  };
}
