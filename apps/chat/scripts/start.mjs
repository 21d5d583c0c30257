#!/usr/bin/env node
// Starts the built chat: `node scripts/start.mjs [--runtime node|bun|deno]` (default node).
// PORT (default 3000), HOST, REDIS_URL and ALLOWED_ORIGINS pass through the environment.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(appDir, 'package.json'));

/** `--runtime node|bun|deno`; anything else is refused by name (parseArgs, strict). */
function readArguments() {
  // `pnpm start -- --runtime bun` may pass the `--` through.
  const args = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
  try {
    return parseArgs({ args, options: { runtime: { type: 'string', default: 'node' } } }).values;
  } catch (error) {
    console.error(`chat: ${error.message}`);
    process.exit(2);
  }
}

/** The real binaries, not the node_modules/.bin shims (Deno's shim is a Node script). */
function runtimeBinary(name) {
  const packageRoot = dirname(require.resolve(`${name}/package.json`));
  if (name === 'bun') return join(packageRoot, 'bin', 'bun.exe');
  const linked = join(packageRoot, 'deno');
  if (existsSync(linked)) return linked;
  const platform = createRequire(join(packageRoot, 'package.json'));
  return join(dirname(platform.resolve('@deno/linux-x64-glibc/package.json')), 'deno');
}

const { runtime } = readArguments();
const entry = join(appDir, 'dist', 'server', `${runtime}.js`);
const commands = {
  node: [process.execPath, [entry]],
  bun: [runtimeBinary('bun'), [entry]],
  deno: [
    runtimeBinary('deno'),
    ['run', '--allow-net', '--allow-read', '--allow-write', '--allow-env', '--no-prompt', entry],
  ],
};
if (!(runtime in commands)) {
  console.error(`--runtime must be node, bun or deno, got ${runtime}`);
  process.exit(2);
}
if (!existsSync(entry)) {
  console.error(
    `${entry} is missing: run the build first (npx -y pnpm@12.4.2 --filter ./apps/chat build)`,
  );
  process.exit(1);
}
const [command, args] = commands[runtime];
const child = spawn(command, args, { stdio: 'inherit', cwd: appDir });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
