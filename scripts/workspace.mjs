#!/usr/bin/env node
// Self-bootstrapping entry points behind the README's two commands, `npm start` and `npm test`.
// They must work on a machine with nothing but Node 20 and npm: pnpm comes through npx at the
// version pinned in package.json's `packageManager`, everything else from the lockfile.
//
//   node scripts/workspace.mjs test           system peers (scripts/system-peers.mjs), install,
//                                            then everything CI checks (see `test` below)
//   node scripts/workspace.mjs start [args]   install, build what the demo needs, run the demo
//
// Tasks run under `pnpm exec` so that turbo (which looks for the pnpm binary) and publint (which
// packs with pnpm) find pnpm on PATH even though it is not installed globally.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPeers } from './system-peers.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const DEMO_PACKAGE = '@wskit/app-chat';
const DEMO_DIR = 'apps/chat';

const environment = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  npm_config_update_notifier: 'false',
};

function section(title) {
  console.log(`\n=== ${title} ===`);
}

/** Runs a command with inherited stdio; resolves with its exit code. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: environment, stdio: 'inherit' });
    // Ctrl+C reaches the child through the terminal's process group: let it shut down and
    // report its own exit code instead of dying first.
    const ignore = () => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    child.on('error', (error) => {
      console.error(`could not start ${command}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function pnpm(...args) {
  return run('npx', ['-y', packageManager, ...args]);
}

/** Runs one titled step; returns whether it passed. */
async function step(title, action) {
  section(title);
  const started = Date.now();
  const code = await action();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (code !== 0) {
    console.error(`\n✗ ${title} failed (exit ${code}, ${seconds}s)`);
    return false;
  }
  console.log(`✓ ${title} (${seconds}s)`);
  return true;
}

async function install() {
  const hasLockfile = existsSync(join(root, 'pnpm-lock.yaml'));
  const installed = await step(`install (${packageManager})`, () =>
    pnpm('install', ...(hasLockfile ? ['--frozen-lockfile'] : [])),
  );
  if (!installed) process.exit(1);
}

/**
 * The suites talk to real system programs (Chromium, Python's websockets, redis-server, nginx).
 * Installs the missing ones as root on Debian/Ubuntu; otherwise stops here, before anything
 * runs, with one message naming them and the command, instead of failing suite by suite.
 */
async function systemPeers() {
  section('system peers (scripts/system-peers.mjs)');
  const result = await ensureSystemPeers();
  if (!result.ok) {
    console.error(`\n${result.message}`);
    process.exit(1);
  }
  const installed = result.installed.length > 0 ? `installed ${result.installed.join(' ')}` : '';
  console.log(`✓ every system peer is present${installed ? ` (${installed})` : ''}`);
}

async function test() {
  const started = Date.now();
  await systemPeers();
  await install();
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const failed = [];
  // Builds, type checks and publint/attw in one parallel turbo graph; then the test suites one
  // package at a time: each vitest already uses both cores, and suites with real sockets,
  // timers and browsers must not compete with another package's suite for them.
  const ciFlags = ci ? ['--log-order=grouped', '--ui=stream'] : [];
  const turboTitle = 'build, typecheck, check-exports, then test (turbo)';
  const turboPassed = await step(turboTitle, async () => {
    const checks = await pnpm(
      'exec',
      'turbo',
      'run',
      'build',
      'typecheck',
      'check-exports',
      '--continue=dependencies-successful',
      ...ciFlags,
    );
    const tests = await pnpm(
      'exec',
      'turbo',
      'run',
      'test',
      '--concurrency=1',
      '--continue',
      ...ciFlags,
    );
    return checks !== 0 ? checks : tests;
  });
  if (!turboPassed) failed.push(turboTitle);
  // After the build: the API reference resolves @wskit/core from its built declarations.
  const docsTitle = 'API reference: links, exports and doc comments (typedoc --emit none)';
  if (!(await step(docsTitle, () => pnpm('exec', 'typedoc', '--emit', 'none')))) {
    failed.push(docsTitle);
  }
  const scriptsTitle = 'workspace scripts (node --test scripts/)';
  if (!(await step(scriptsTitle, () => run(process.execPath, ['--test', 'scripts/'])))) {
    failed.push(scriptsTitle);
  }
  // Lint runs even when tests failed, so one run shows every problem.
  const lintTitle = 'lint and format check (biome check .)';
  if (!(await step(lintTitle, () => pnpm('exec', 'biome', 'check', '.')))) failed.push(lintTitle);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failed.length > 0) {
    section(`FAILED after ${seconds}s: ${failed.join('; ')}`);
    process.exit(1);
  }
  section(`all checks passed in ${seconds}s`);
}

async function start(extraArgs) {
  if (!existsSync(join(root, DEMO_DIR, 'package.json'))) {
    console.error(
      `${DEMO_DIR}/package.json not found: the demo package ${DEMO_PACKAGE} is missing.`,
    );
    process.exit(1);
  }
  await install();
  // `...` = the demo and every workspace package it depends on.
  const built = await step(`build ${DEMO_PACKAGE} and its dependencies`, () =>
    pnpm('exec', 'turbo', 'run', 'build', `--filter=${DEMO_PACKAGE}...`),
  );
  if (!built) process.exit(1);
  section(`start ${DEMO_PACKAGE}`);
  process.exit(await pnpm('--filter', DEMO_PACKAGE, 'start', ...extraArgs));
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'test') await test();
else if (command === 'start') await start(rest);
else {
  console.error('usage: node scripts/workspace.mjs <test|start> [args]');
  process.exit(2);
}
