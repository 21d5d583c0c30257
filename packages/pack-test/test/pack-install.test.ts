/**
 * Installs every published @wskit package the way a user gets it: `pnpm pack` (which rewrites
 * `workspace:` ranges), a fresh `npm init -y` project outside the workspace, `npm install` of the
 * tarball plus the tarballs of the @wskit packages it depends on, then:
 *   (a) an ESM import, (b) a CommonJS require, (c) a TypeScript file type-checked under
 *   `moduleResolution: node16` (as .mts and .cts) and under `moduleResolution: bundler`.
 *
 * Each package may provide its smoke files in `smoke/<package-dir>.{mjs,cjs,ts}`; a package
 * without them gets a generic check that its entry point exports something.
 *
 * Builds are not run here: turbo runs `^build` first because this package lists every published
 * package in its devDependencies (the first test checks that it does).
 * Set WSKIT_KEEP_PACK_TEST=1 to keep the temporary projects for inspection.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const execFileAsync = promisify(execFile);

const PNPM = 'pnpm@12.4.2';
const TYPESCRIPT = 'typescript@6';
const packTestDir = resolve(import.meta.dirname, '..');
const workspaceRoot = resolve(packTestDir, '../..');
const smokeDir = join(packTestDir, 'smoke');

interface PublishedPackage {
  /** e.g. `@wskit/core` */
  name: string;
  /** Folder name under packages/, e.g. `core`; also the smoke file name. */
  dir: string;
  path: string;
  /** Names of the @wskit packages it needs at install time (dependencies and peers). */
  workspaceDependencies: string[];
}

function discoverPublishedPackages(): PublishedPackage[] {
  const packagesDir = join(workspaceRoot, 'packages');
  const found: PublishedPackage[] = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const manifestPath = join(packagesDir, dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private === true) continue;
    const needed = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    };
    found.push({
      name: manifest.name,
      dir,
      path: join(packagesDir, dir),
      workspaceDependencies: Object.keys(needed).filter((name) => name.startsWith('@wskit/')),
    });
  }
  return found;
}

const published = discoverPublishedPackages();
const byName = new Map(published.map((entry) => [entry.name, entry]));

/** The package and every @wskit package it needs, transitively. */
function installClosure(entry: PublishedPackage): PublishedPackage[] {
  const seen = new Map<string, PublishedPackage>();
  const visit = (current: PublishedPackage) => {
    if (seen.has(current.name)) return;
    seen.set(current.name, current);
    for (const name of current.workspaceDependencies) {
      const dependency = byName.get(name);
      if (!dependency) {
        throw new Error(`${current.name} depends on ${name}, which is not a published package`);
      }
      visit(dependency);
    }
  };
  visit(entry);
  return [...seen.values()];
}

/** The environment for child npm/pnpm runs, without the npm_config_* that pnpm run injects. */
function childEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || /^pnpm_/i.test(key)) continue;
    environment[key] = value;
  }
  environment.npm_config_fund = 'false';
  environment.npm_config_audit = 'false';
  environment.npm_config_update_notifier = 'false';
  return environment;
}

async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd,
      env: childEnvironment(),
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed in ${cwd}\n${failure.stdout ?? ''}\n${failure.stderr ?? failure.message}`,
    );
  }
}

async function newNpmProject(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await run('npm', ['init', '-y'], path);
}

/** Copies `smoke/<dir><extension>` to `target`, or writes the generic check when there is none. */
async function placeSmokeFile(
  entry: PublishedPackage,
  extension: '.mjs' | '.cjs' | '.ts',
  target: string,
): Promise<void> {
  const own = join(smokeDir, `${entry.dir}${extension}`);
  if (existsSync(own)) {
    await copyFile(own, target);
    return;
  }
  const generic = {
    '.mjs': `import * as m from '${entry.name}';\nif (Object.keys(m).length === 0) throw new Error('no exports');\n`,
    '.cjs': `const m = require('${entry.name}');\nif (Object.keys(m).length === 0) throw new Error('no exports');\n`,
    '.ts': `import * as m from '${entry.name}';\nexport const names: string[] = Object.keys(m);\n`,
  }[extension];
  await writeFile(target, generic);
}

function tsconfig(
  moduleOptions: Record<string, string>,
  files: string[],
  types: string[] = [],
): string {
  return `${JSON.stringify(
    {
      compilerOptions: {
        ...moduleOptions,
        target: 'es2022',
        // DOM for the WHATWG globals (TextEncoder, crypto) the packages' types may mention.
        lib: ['es2022', 'dom'],
        strict: true,
        noEmit: true,
        // Check the shipped .d.ts files too, not only their use.
        skipLibCheck: false,
        // Only the ambient types a package's users need by its own declaration (peer @types).
        types,
      },
      files,
    },
    null,
    2,
  )}\n`;
}

/** Names for tsconfig `types` from a package's peer @types dependencies (`@types/node` → `node`). */
function ambientTypes(entry: { path: string }): string[] {
  const manifest = JSON.parse(readFileSync(join(entry.path, 'package.json'), 'utf8'));
  return Object.keys(manifest.peerDependencies ?? {})
    .filter((name) => name.startsWith('@types/'))
    .map((name) => name.slice('@types/'.length));
}

let tempRoot = '';
let tscPath = '';
const tarballs = new Map<string, string>();

beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'wskit-pack-test-'));

  const packAll = published.map(async (entry) => {
    const destination = join(tempRoot, 'tarballs', entry.dir);
    await mkdir(destination, { recursive: true });
    await run('npx', ['-y', PNPM, 'pack', '--pack-destination', destination], entry.path);
    const [file] = (await readdir(destination)).filter((name) => name.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack wrote no tarball for ${entry.name}`);
    tarballs.set(entry.name, join(destination, file));
  });

  // One TypeScript for all projects: tsc resolves types from the project it checks, not from
  // where tsc itself is installed.
  const installTypeScript = (async () => {
    const tools = join(tempRoot, 'tools');
    await newNpmProject(tools);
    await run('npm', ['install', '--no-package-lock', TYPESCRIPT], tools);
    tscPath = join(tools, 'node_modules', 'typescript', 'bin', 'tsc');
  })();

  await Promise.all([...packAll, installTypeScript]);
});

afterAll(async () => {
  if (!tempRoot) return;
  if (process.env.WSKIT_KEEP_PACK_TEST) {
    console.log(`pack-test projects kept in ${tempRoot}`);
    return;
  }
  await rm(tempRoot, { recursive: true, force: true });
});

test('lists every published package in devDependencies, so turbo builds them first', () => {
  const manifest = JSON.parse(readFileSync(join(packTestDir, 'package.json'), 'utf8'));
  const missing = published
    .map((entry) => entry.name)
    .filter((name) => manifest.devDependencies?.[name] !== 'workspace:*');
  expect(missing, 'add these to packages/pack-test devDependencies as "workspace:*"').toEqual([]);
  expect(published.length).toBeGreaterThan(0);
});

describe.each(published)('$name installed from its packed tarball', (entry) => {
  const project = () => join(tempRoot, 'projects', entry.dir);

  beforeAll(async () => {
    await newNpmProject(project());
    const needed = installClosure(entry).map((dependency) => {
      const tarball = tarballs.get(dependency.name);
      if (!tarball) throw new Error(`no tarball for ${dependency.name}`);
      return tarball;
    });
    // Type packages a package declares as peers (@wskit/node: @types/node) are what its users
    // already have; install them as such a user would.
    const manifest = JSON.parse(readFileSync(join(entry.path, 'package.json'), 'utf8'));
    const typePeers = Object.entries<string>(manifest.peerDependencies ?? {})
      .filter(([name]) => name.startsWith('@types/'))
      .map(([name, range]) => `${name}@${range}`);
    await run('npm', ['install', '--no-package-lock', ...needed, ...typePeers], project());
    await placeSmokeFile(entry, '.mjs', join(project(), 'smoke.mjs'));
    await placeSmokeFile(entry, '.cjs', join(project(), 'smoke.cjs'));
    await placeSmokeFile(entry, '.ts', join(project(), 'smoke.ts'));
    await copyFile(join(project(), 'smoke.ts'), join(project(), 'smoke.mts'));
    await copyFile(join(project(), 'smoke.ts'), join(project(), 'smoke.cts'));
    await writeFile(
      join(project(), 'tsconfig.node16.json'),
      tsconfig(
        { module: 'node16', moduleResolution: 'node16' },
        ['smoke.mts', 'smoke.cts'],
        ambientTypes(entry),
      ),
    );
    await writeFile(
      join(project(), 'tsconfig.bundler.json'),
      tsconfig(
        { module: 'esnext', moduleResolution: 'bundler' },
        ['smoke.ts'],
        ambientTypes(entry),
      ),
    );
  });

  test('ships the MIT licence text that its package.json declares', () => {
    const installed = join(project(), 'node_modules', ...entry.name.split('/'));
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.license).toBe('MIT');
    const licence = join(installed, 'LICENSE');
    expect(existsSync(licence), `${entry.name}'s tarball has no LICENSE`).toBe(true);
    expect(readFileSync(licence, 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 the wskit authors/,
    );
  });

  test('imports from ESM', async () => {
    await run(process.execPath, ['smoke.mjs'], project());
  });

  test('requires from CommonJS', async () => {
    await run(process.execPath, ['smoke.cjs'], project());
  });

  test('type-checks under moduleResolution node16, from ESM and CommonJS', async () => {
    await run(process.execPath, [tscPath, '-p', 'tsconfig.node16.json'], project());
  });

  test('type-checks under moduleResolution bundler', async () => {
    await run(process.execPath, [tscPath, '-p', 'tsconfig.bundler.json'], project());
  });
});
