// Builds @wskit/node (and @wskit/core) when their dist is missing, so the runnable scripts work
// straight after `pnpm install` on a fresh checkout.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const built = ['../dist/index.js', '../../core/dist/index.js'].every((path) =>
  existsSync(new URL(path, import.meta.url)),
);
if (!built) {
  const { packageManager } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
  console.error('@wskit/node is not built yet: building it first…');
  const result = spawnSync(
    'npx',
    [
      '-y',
      packageManager,
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@wskit/node',
      '--output-logs=errors-only',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}
