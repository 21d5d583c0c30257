/**
 * Finds the real `bun` and `deno` binaries of the devDependencies and runs a fixture under
 * them: the test talks to the fixture's servers over loopback.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { OptionParityResult } from './suite/option-parity.js';
import type { Target } from './suite/scenarios.js';

export const packageDir = resolve(import.meta.dirname, '..');
const require = createRequire(join(packageDir, 'package.json'));

/**
 * The binaries themselves, not the `node_modules/.bin` shims: Deno's shim is a Node script
 * that spawns deno (a signal to it would orphan the server). Bun's package needs its
 * postinstall to put the binary in place (pnpm-workspace.yaml allowBuilds: bun); Deno's
 * postinstall only hard-links the binary next to its launcher, which we prefer when present.
 */
export function runtimeBinary(name: 'bun' | 'deno'): string {
  const packageRoot = dirname(require.resolve(`${name}/package.json`));
  if (name === 'bun') return join(packageRoot, 'bin', 'bun.exe');
  const linked = join(packageRoot, 'deno');
  if (existsSync(linked)) return linked;
  const platform = createRequire(join(packageRoot, 'package.json'));
  return join(dirname(platform.resolve('@deno/linux-x64-glibc/package.json')), 'deno');
}

export function runtimeCommand(
  name: 'bun' | 'deno',
  script: string,
  args: string[] = [],
): [string, string[]] {
  return name === 'bun'
    ? [runtimeBinary('bun'), [script, ...args]]
    : [runtimeBinary('deno'), ['run', '--allow-net=127.0.0.1', '--no-prompt', script, ...args]];
}

export interface FixtureReady {
  main: number;
  mounted: number;
  idle: number | null;
  bare: number;
  refused: string[];
  optionParity: OptionParityResult[];
}

export interface RunningFixture {
  readonly child: ChildProcess;
  readonly ready: FixtureReady;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** Lines printed after the ready line, as JSON. */
  waitForLine(
    predicate: (line: Record<string, unknown>) => boolean,
    timeout?: number,
  ): Promise<void>;
}

export async function startFixture(runtime: 'bun' | 'deno'): Promise<RunningFixture> {
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    throw new Error(
      'dist/ is missing: the fixtures import the built package, run `pnpm build` first',
    );
  }
  const [command, args] = runtimeCommand(
    runtime,
    join(packageDir, 'test', 'fixtures', `${runtime}-server.ts`),
  );
  const child = spawn(command, args, {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  const lines: Array<Record<string, unknown>> = [];
  const lineWaiters = new Set<() => void>();
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const ready = await new Promise<FixtureReady>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${runtime} fixture not ready in 15 s:\n${output}`)),
      15_000,
    );
    child.on('exit', (code) => fail(new Error(`${runtime} fixture exited (${code}):\n${output}`)));
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
        done(parsed as unknown as FixtureReady);
      } else {
        lines.push(parsed);
        for (const waiter of lineWaiters) waiter();
      }
    });
  });
  return {
    child,
    ready,
    output: () => output,
    exited,
    waitForLine(predicate, timeout = 10_000) {
      return new Promise((done, fail) => {
        const check = () => {
          if (!lines.some(predicate)) return;
          lineWaiters.delete(check);
          clearTimeout(timer);
          done();
        };
        const timer = setTimeout(
          () => fail(new Error(`no matching line in ${timeout} ms:\n${output}`)),
          timeout,
        );
        lineWaiters.add(check);
        check();
      });
    },
  };
}

export function fixtureTarget(fixture: RunningFixture): Target {
  const { ready } = fixture;
  return {
    url: `ws://127.0.0.1:${ready.main}/`,
    http: `http://127.0.0.1:${ready.main}/`,
    mounted: `ws://127.0.0.1:${ready.mounted}/`,
    idle: ready.idle === null ? undefined : `ws://127.0.0.1:${ready.idle}/`,
    bare: `ws://127.0.0.1:${ready.bare}/`,
    log: () => fixture.output(),
    refused: ready.refused,
    optionParity: ready.optionParity,
    async shutdown() {
      const response = await fetch(`http://127.0.0.1:${ready.main}/shutdown`, { method: 'POST' });
      if (response.status !== 202) throw new Error(`shutdown answered ${response.status}`);
      await fixture.waitForLine((line) => line.closed === true);
      const code = await fixture.exited;
      if (code !== 0) throw new Error(`fixture exited with ${code}:\n${fixture.output()}`);
    },
  };
}
