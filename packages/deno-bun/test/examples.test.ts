// examples/echo.ts under the real bun and deno binaries, and examples/echo-node.mjs under
// Node: the same echo hooks, started as the README says (from the repository root).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, test } from 'vitest';
import { packageDir, runtimeBinary } from './runtimes.js';
import { wsDriver } from './suite/clients.js';

const repositoryRoot = resolve(packageDir, '../..');
const example = (name: string) => join('packages', 'deno-bun', 'examples', name);

const commands: Record<string, [string, string[]]> = {
  bun: [runtimeBinary('bun'), [example('echo.ts'), '--port', '0']],
  deno: [runtimeBinary('deno'), ['run', '-A', example('echo.ts'), '--port', '0']],
  node: [process.execPath, [example('echo-node.mjs'), '--port', '0']],
};

const running: Array<() => void> = [];
afterEach(() => {
  for (const stop of running.splice(0)) stop();
});

describe.each(Object.keys(commands))('examples: echo on %s', (runtime) => {
  test('prints "listening on <port>" and echoes text and binary', async () => {
    const [command, args] = commands[runtime] as [string, string[]];
    const child = spawn(command, args, { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(() => child.kill());
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const port = await new Promise<number>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no "listening on" line in 15 s:\n${stderr}`)),
        15_000,
      );
      child.on('exit', (code) => fail(new Error(`exited with ${code}:\n${stderr}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^listening on (\d+)$/.exec(line);
        if (match) {
          clearTimeout(timer);
          done(Number(match[1]));
        }
      });
    });
    const client = await wsDriver.connect(`ws://127.0.0.1:${port}/`);
    client.send('echo ✓');
    client.send(new Uint8Array([1, 2, 3]));
    expect(await client.next()).toEqual({ data: 'echo ✓', isBinary: false });
    expect(await client.next()).toEqual({ data: new Uint8Array([1, 2, 3]), isBinary: true });
    client.close();
  });
});
