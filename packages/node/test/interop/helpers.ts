// Shared helpers for the interop suites (test/interop-*.test.ts): event inboxes with timeouts,
// deterministic payloads, and the checks that make a missing peer implementation fail loudly.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = dirname(fileURLToPath(import.meta.url));
export const fixture = (name: string): string => join(FIXTURES, name);

/** How long any single awaited event may take before the test fails with a named timeout. */
export const EVENT_TIMEOUT = 5_000;

/**
 * Buffers every emission of `event` so a test can await them one by one in order, without
 * racing listeners against the peer. Each `next()` fails with the event's name on timeout.
 */
export class Inbox<Args extends unknown[]> {
  readonly #queue: Args[] = [];
  readonly #waiters: Array<(args: Args) => void> = [];
  readonly #label: string;

  constructor(emitter: EventEmitter, event: string, label = event) {
    this.#label = label;
    emitter.on(event, (...args: unknown[]) => {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(args as Args);
      else this.#queue.push(args as Args);
    });
  }

  get pending(): number {
    return this.#queue.length;
  }

  next(timeout = EVENT_TIMEOUT): Promise<Args> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (args: Args) => {
        clearTimeout(timer);
        resolve(args);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeout} ms waiting for '${this.#label}'`));
      }, timeout);
      this.#waiters.push(waiter);
    });
  }
}

export function withTimeout<T>(promise: Promise<T>, label: string, ms = EVENT_TIMEOUT): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}`)), ms);
    }),
  ]);
}

export const MIB = 1024 * 1024;

/** Text cases: ASCII, multi-byte (2-, 3- and 4-byte UTF-8 sequences), empty. */
export const TEXT_CASES: ReadonlyArray<readonly [name: string, text: string]> = [
  ['ASCII', 'Hello, interop!'],
  ['multi-byte UTF-8', 'héllo wörld · ✓ 日本語 · 𝄞 🎉'],
  ['empty', ''],
];

/** Binary sizes around the 7-bit / 16-bit / 64-bit payload length boundaries (RFC 6455 §5.2). */
export const BINARY_SIZES: readonly number[] = [0, 125, 126, 65_536, MIB];

/** Random bytes: incompressible, so deflate takes its worst path. */
export const randomPayload = (size: number): Buffer => randomBytes(size);

/** Highly compressible bytes, for checking that deflate really shrinks the wire traffic. */
export const compressiblePayload = (size: number): Buffer => Buffer.alloc(size, 'wskit interop ');

/** A deterministic byte pattern both Node and the browser page can produce. */
export function patternPayload(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

export const PYTHON = '/usr/bin/python3';
export const CHROMIUM = '/usr/bin/chromium';

/** Throws (failing the suite, never skipping it) if Debian's python3-websockets is missing. */
export function requirePythonWebsockets(): string {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `interop: ${PYTHON} is missing: run 'npm test' as root (it installs the system peers) or 'apt-get install -y python3-websockets'`,
    );
  }
  const probe = spawnSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    throw new Error(
      `interop: ${PYTHON} cannot import websockets: run 'npm test' as root (it installs the system peers) or 'apt-get install -y python3-websockets'\n${probe.stderr.trim()}`,
    );
  }
  return probe.stdout.trim();
}

/** Throws (failing the suite, never skipping it) if the system Chromium is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `interop: Chromium (${CHROMIUM}) is missing: run 'npm test' as root (it installs the system peers) or 'apt-get install -y chromium'`,
    );
  }
}

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DEFLATE_MODES = [
  { name: 'permessage-deflate off', deflate: false },
  { name: 'permessage-deflate on', deflate: true },
] as const;

/**
 * JSON objects printed one a line by a child process, kept so a test can wait for the first
 * one matching a predicate (events of several connections interleave).
 */
export class JsonLines {
  readonly events: Array<Record<string, unknown>> = [];
  readonly #waiters = new Set<() => void>();
  #buffered = '';
  #ended = false;

  feed(chunk: string): void {
    this.#buffered += chunk;
    let newline = this.#buffered.indexOf('\n');
    while (newline !== -1) {
      const line = this.#buffered.slice(0, newline).trim();
      this.#buffered = this.#buffered.slice(newline + 1);
      if (line !== '') this.events.push(JSON.parse(line) as Record<string, unknown>);
      newline = this.#buffered.indexOf('\n');
    }
    for (const waiter of this.#waiters) waiter();
  }

  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters) waiter();
  }

  waitFor(
    label: string,
    predicate: (event: Record<string, unknown>) => boolean,
    timeout = EVENT_TIMEOUT,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(predicate);
        if (found === undefined && !this.#ended) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        if (found !== undefined) resolve(found);
        else reject(new Error(`the process exited before reporting ${label}`));
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `timed out after ${timeout} ms waiting for ${label}; saw ${JSON.stringify(this.events)}`,
          ),
        );
      }, timeout);
      this.#waiters.add(check);
      check();
    });
  }
}
