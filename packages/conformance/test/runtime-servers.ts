// Runs an echo server under the real `bun` or `deno` binary (the npm devDependencies) as a child
// process and hands the suite its URL. A missing binary fails the suite with its name.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerUnderTest } from '../src/index.js';

export type Runtime = 'bun' | 'deno';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(packageDir, 'package.json'));

/**
 * The binary itself, not the `node_modules/.bin` shim: Deno's shim is a Node script that spawns
 * deno, and a signal to it would orphan the server. Bun's postinstall puts `bin/bun.exe` in
 * place (pnpm-workspace.yaml allowBuilds); Deno's links the binary next to its launcher, else
 * it sits in the platform package.
 */
function runtimeBinary(runtime: Runtime): string {
  const packageRoot = dirname(require.resolve(`${runtime}/package.json`));
  let binary: string;
  if (runtime === 'bun') {
    binary = join(packageRoot, 'bin', 'bun.exe');
  } else {
    binary = join(packageRoot, 'deno');
    if (!existsSync(binary)) {
      const platform = createRequire(join(packageRoot, 'package.json'));
      binary = join(dirname(platform.resolve('@deno/linux-x64-glibc/package.json')), 'deno');
    }
  }
  if (!existsSync(binary)) {
    throw new Error(
      `${runtime}: no binary at ${binary}; run pnpm install (allowBuilds: ${runtime})`,
    );
  }
  return binary;
}

function commandFor(runtime: Runtime, script: string, args: string[]): [string, string[]] {
  const binary = runtimeBinary(runtime);
  return runtime === 'bun'
    ? [binary, [script, ...args]]
    : [binary, ['run', '--allow-net=127.0.0.1', '--no-prompt', script, ...args]];
}

/** Stops a child: SIGTERM, and SIGKILL if it has not exited within a second. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `test/servers/<script>` under `runtime` and waits for its `{"port": N}` line. The
 * WebSocket URL is on 127.0.0.1; every later JSON line lands in `lines`; stopping kills the
 * process.
 */
export async function startEchoProcess(
  runtime: Runtime,
  script: string,
  args: string[] = [],
): Promise<ServerUnderTest & { child: ChildProcess; lines: Array<Record<string, unknown>> }> {
  const [command, commandArgs] = commandFor(
    runtime,
    join(packageDir, 'test', 'servers', script),
    args,
  );
  const child = spawn(command, commandArgs, {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  const lines: Array<Record<string, unknown>> = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${runtime} ${script}: not listening within 15 s:\n${output}`)),
        15_000,
      );
      child.once('error', (error) => reject(new Error(`${runtime} ${script}: ${error.message}`)));
      child.once('exit', (code) =>
        reject(new Error(`${runtime} ${script} exited (${code}) before listening:\n${output}`)),
      );
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        // Only the first lines: a reporting server prints one line per message.
        if (output.length < 4096) output += `${line}\n`;
        if (!line.startsWith('{')) return;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (typeof parsed.port === 'number') {
          clearTimeout(timer);
          resolve(parsed.port);
        } else {
          lines.push(parsed);
        }
      });
    });
    return { child, lines, url: `ws://127.0.0.1:${port}/`, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
