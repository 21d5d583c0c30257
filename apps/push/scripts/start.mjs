// Starts the built server: `node scripts/start.mjs [--runtime node|bun|deno]` (default node).
// Bun and Deno come from this package's devDependencies, else from PATH.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--runtime node|bun|deno`; anything else is refused by name (parseArgs, strict). `pnpm start
// -- --runtime bun` may pass the `--` through.
const args = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
let runtime;
try {
  ({ runtime } = parseArgs({
    args,
    options: { runtime: { type: 'string', default: 'node' } },
  }).values);
} catch (error) {
  console.error(`push: ${error.message}`);
  process.exit(2);
}
const require = createRequire(join(root, 'package.json'));

function binary(name) {
  try {
    const packageRoot = dirname(require.resolve(`${name}/package.json`));
    if (name === 'bun') return join(packageRoot, 'bin', 'bun.exe');
    if (existsSync(join(packageRoot, 'deno'))) return join(packageRoot, 'deno');
    const platform = createRequire(join(packageRoot, 'package.json'));
    return join(dirname(platform.resolve('@deno/linux-x64-glibc/package.json')), 'deno');
  } catch {
    return name;
  }
}

const entry = join(root, 'dist/server', `${runtime}.js`);
const commands = {
  node: [process.execPath, [entry]],
  bun: [binary('bun'), [entry]],
  deno: [
    binary('deno'),
    ['run', '--allow-net', '--allow-read', '--allow-write', '--allow-env', entry],
  ],
};
const command = commands[runtime];
if (command === undefined) {
  console.error(`push: unknown runtime ${JSON.stringify(runtime)} (use node, bun or deno)`);
  process.exit(2);
}
const child = spawn(command[0], command[1], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));
