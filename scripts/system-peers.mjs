// The system programs the test suites talk to (the one list: `npm test` checks it and CI uses
// nothing else). Each peer has a check (an executable path, or a Python module importable by
// /usr/bin/python3) and the Debian package that provides it.
//
// On a Debian/Ubuntu machine as root, the missing ones are installed with apt-get, the way
// `playwright install --with-deps` installs a browser's libraries. Anywhere else `npm test`
// stops before running anything, with one message naming the missing peers and the command.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/** @typedef {{ executable: string } | { pythonModule: string }} PeerCheck */
/** @typedef {{ name: string, check: PeerCheck, debianPackage: string, usedBy: string }} SystemPeer */

/** @type {readonly SystemPeer[]} */
export const SYSTEM_PEERS = [
  {
    name: 'Chromium',
    check: { executable: '/usr/bin/chromium' },
    debianPackage: 'chromium',
    usedBy: 'browser interop and end-to-end tests (driven by playwright-core, never downloaded)',
  },
  {
    name: "Python's websockets",
    check: { pythonModule: 'websockets' },
    debianPackage: 'python3-websockets',
    usedBy: 'interop tests against a reference client and server',
  },
  {
    name: "Python's hyper-h2",
    check: { pythonModule: 'h2' },
    debianPackage: 'python3-h2',
    usedBy: 'the RFC 8441 interop test: an HTTP/2 peer that is not Node',
  },
  {
    name: 'redis-server',
    check: { executable: '/usr/bin/redis-server' },
    debianPackage: 'redis-server',
    usedBy: "the apps' and @wskit/redis's multi-process and fault tests",
  },
  {
    name: 'openssl',
    check: { executable: '/usr/bin/openssl' },
    debianPackage: 'openssl',
    usedBy: "@wskit/redis's rediss:// test (a self-signed certificate for a TLS redis-server)",
  },
  {
    name: 'nginx',
    check: { executable: '/usr/sbin/nginx' },
    debianPackage: 'nginx-light',
    usedBy: "the apps' reverse-proxy tests",
  },
];

/** Whether a peer is present on this machine. */
export function isPresent(peer) {
  if ('executable' in peer.check) {
    try {
      accessSync(peer.check.executable, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  if (!existsSync(PYTHON)) return false;
  const probe = spawnSync(PYTHON, ['-c', `import ${peer.check.pythonModule}`], { stdio: 'ignore' });
  return probe.status === 0;
}

/** The command that installs `peers` on Debian/Ubuntu (with sudo when not run as root). */
export function installCommand(peers, { root = true } = {}) {
  const sudo = root ? '' : 'sudo ';
  const packages = peers.map((peer) => peer.debianPackage).join(' ');
  return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages}`;
}

/** One message naming every missing peer, what needs it, and the command that installs them. */
export function missingMessage(missing, { root = true, reason = '' } = {}) {
  const lines = missing.map(
    (peer) =>
      `  - ${peer.name} (${describeCheck(peer.check)}; Debian package ${peer.debianPackage}): ${peer.usedBy}`,
  );
  return [
    `Missing system peers for the tests${reason ? ` (${reason})` : ''}:`,
    ...lines,
    'Install them, then run `npm test` again:',
    `  ${installCommand(missing, { root })}`,
  ].join('\n');
}

function describeCheck(check) {
  return 'executable' in check ? check.executable : `${PYTHON} -c 'import ${check.pythonModule}'`;
}

/**
 * Makes sure every peer is present, installing the missing ones with apt-get when this process
 * is root on a machine with apt-get. Everything that touches the machine is injectable so the
 * decision can be tested without uninstalling anything.
 *
 * @returns {Promise<{ ok: true, installed: string[] } | { ok: false, message: string }>}
 */
export async function ensureSystemPeers({
  peers = SYSTEM_PEERS,
  present = isPresent,
  uid = typeof process.getuid === 'function' ? process.getuid() : -1,
  hasApt = () => existsSync('/usr/bin/apt-get'),
  runCommand = runInherited,
  log = console.log,
} = {}) {
  const missing = peers.filter((peer) => !present(peer));
  if (missing.length === 0) return { ok: true, installed: [] };
  const root = uid === 0;
  if (!root || !hasApt()) {
    const reason = !hasApt() ? 'no apt-get on this machine' : 'not root, so not installing them';
    return { ok: false, message: missingMessage(missing, { root, reason }) };
  }
  const packages = missing.map((peer) => peer.debianPackage);
  log(`installing missing system peers with apt-get: ${packages.join(' ')}`);
  const environment = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // apt-get update only now that something is missing: a machine that has everything is untouched.
  const steps = [
    ['apt-get', ['update', '-qq']],
    ['apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]],
  ];
  for (const [command, args] of steps) {
    const code = await runCommand(command, args, environment);
    if (code !== 0) {
      return {
        ok: false,
        message: `${command} ${args.join(' ')} failed (exit ${code}).\n${missingMessage(missing)}`,
      };
    }
  }
  const stillMissing = missing.filter((peer) => !present(peer));
  if (stillMissing.length > 0) {
    return {
      ok: false,
      message: `apt-get finished but these are still missing.\n${missingMessage(stillMissing)}`,
    };
  }
  return { ok: true, installed: packages };
}

function runInherited(command, args, environment) {
  const result = spawnSync(command, args, { env: environment, stdio: 'inherit' });
  if (result.error) {
    console.error(`could not run ${command}: ${result.error.message}`);
    return Promise.resolve(1);
  }
  return Promise.resolve(result.status ?? 1);
}

// `node scripts/system-peers.mjs` prints the missing peers and the command (exit 1 if any).
if (import.meta.url === `file://${process.argv[1]}`) {
  const missing = SYSTEM_PEERS.filter((peer) => !isPresent(peer));
  if (missing.length === 0) console.log('every system peer is present');
  else {
    console.error(missingMessage(missing, { root: process.getuid?.() === 0 }));
    process.exitCode = 1;
  }
}
