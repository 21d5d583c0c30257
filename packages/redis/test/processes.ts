/**
 * Server processes (test/fixtures/server.mjs under Node, Bun or Deno) and their WebSocket
 * clients, for the multi-process tests. The runtimes are the `bun` and `deno` npm packages'
 * binaries, as in @wskit/deno-bun's tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { stopChild } from './redis-server.js';
import { eventually } from './wait.js';

export type Runtime = 'node' | 'bun' | 'deno';

const packageDir = resolve(import.meta.dirname, '..');
const fixture = join(packageDir, 'test', 'fixtures', 'server.mjs');
const require = createRequire(join(packageDir, 'package.json'));

/**
 * The runtime itself, not a node_modules/.bin shim (a signal to a shim would orphan it),
 * running `script` (default: the server fixture).
 */
export function command(runtime: Runtime, script = fixture): [string, string[]] {
  if (runtime === 'node') return [process.execPath, [script]];
  const root = dirname(require.resolve(`${runtime}/package.json`));
  if (runtime === 'bun') return [join(root, 'bin', 'bun.exe'), [script]];
  const linked = join(root, 'deno');
  const deno = existsSync(linked)
    ? linked
    : join(
        dirname(
          createRequire(join(root, 'package.json')).resolve('@deno/linux-x64-glibc/package.json'),
        ),
        'deno',
      );
  return [deno, ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', script]];
}

export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  /** The JSON lines printed after the ready line. */
  readonly lines: Array<Record<string, unknown>>;
  readonly output: () => string;
  readonly alive: () => boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServer(
  runtime: Runtime,
  redisUrl: string,
  name: string,
): Promise<ServerProcess> {
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: the fixture imports the built package, run `pnpm build`');
  }
  const [binary, args] = command(runtime);
  const child = spawn(binary, [...args, redisUrl, name], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  const lines: Array<Record<string, unknown>> = [];
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} not ready in 20 s:\n${output}`)),
      20_000,
    );
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}):\n${output}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output += `${line}\n`;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (parsed.ready === true) {
        clearTimeout(timer);
        done(parsed.port as number);
      } else lines.push(parsed);
    });
  });
  return {
    name,
    child,
    port,
    lines,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async (signal = 'SIGTERM') => {
      await stopChild(child, signal);
    },
  };
}

/** A WebSocket client of one server process; records every published message it gets. */
export class Client {
  readonly name: string;
  /** Text as is, binary as `bin:<hex>`. */
  readonly received: string[] = [];
  readonly closed: Promise<number>;
  readonly #socket: WebSocket;
  readonly #acks = new Map<number, () => void>();
  #nextId = 0;

  private constructor(name: string, socket: WebSocket) {
    this.name = name;
    this.#socket = socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.received.push(`bin:${data.toString('hex')}`);
        return;
      }
      const text = data.toString();
      if (text.startsWith('{"ack":')) {
        const id = (JSON.parse(text) as { ack: number }).ack;
        this.#acks.get(id)?.();
        this.#acks.delete(id);
      } else this.received.push(text);
    });
    this.closed = new Promise((done) => socket.once('close', (code) => done(code)));
  }

  static async connect(server: ServerProcess, name: string): Promise<Client> {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
    await new Promise<void>((done, fail) => {
      socket.once('open', () => done());
      socket.once('error', fail);
    });
    return new Client(name, socket);
  }

  /** Sends a command and waits until the server applied it. */
  command(op: 'sub' | 'pub' | 'all' | 'bin', fields: Record<string, string>): Promise<void> {
    const id = this.#nextId++;
    const applied = new Promise<void>((done) => this.#acks.set(id, done));
    this.#socket.send(JSON.stringify({ id, op, ...fields }));
    return applied;
  }

  close(): void {
    this.#socket.terminate();
  }
}

/** Processes and their clients, all subscribed to `topic`, with every SUBSCRIBE in place. */
export async function startCluster(
  runtimes: readonly Runtime[],
  clientsPerServer: number,
  redisUrl: string,
  topic: string,
  subscribers: () => Promise<number>,
): Promise<{ servers: ServerProcess[]; clients: Client[][]; stop: () => Promise<void> }> {
  const servers: ServerProcess[] = [];
  const clients: Client[][] = [];
  const stop = async () => {
    for (const group of clients) for (const client of group) client.close();
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
  };
  try {
    servers.push(
      ...(await Promise.all(
        runtimes.map((runtime, index) => startServer(runtime, redisUrl, `${runtime}${index}`)),
      )),
    );
    for (const server of servers) {
      const group: Client[] = [];
      for (let index = 0; index < clientsPerServer; index++) {
        const client = await Client.connect(server, `${server.name}/c${index}`);
        await client.command('sub', { topic });
        group.push(client);
      }
      clients.push(group);
    }
    // Redis pub/sub only reaches subscribers that are in place: wait for every process's.
    await eventually(
      async () => (await subscribers()) === servers.length,
      () => `SUBSCRIBEs to ${topic}: not ${servers.length}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { servers, clients, stop };
}
