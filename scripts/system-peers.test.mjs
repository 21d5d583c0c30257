// Unit tests of the system-peer check behind `npm test`: the machine is never touched, every
// probe (presence, uid, apt-get, the commands) is injected.
// Run: node --test scripts/

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureSystemPeers, installCommand, SYSTEM_PEERS } from './system-peers.mjs';

const byPackage = (name) => SYSTEM_PEERS.find((peer) => peer.debianPackage === name);

function recorder() {
  const commands = [];
  return {
    commands,
    runCommand: async (command, args) => {
      commands.push([command, ...args].join(' '));
      return 0;
    },
  };
}

test('the list names every peer the suites use, each with a Debian package', () => {
  const packages = SYSTEM_PEERS.map((peer) => peer.debianPackage).sort();
  assert.deepEqual(packages, [
    'chromium',
    'nginx-light',
    'openssl',
    'python3-h2',
    'python3-websockets',
    'redis-server',
  ]);
});

test('nothing missing: no apt-get at all, not even update', async () => {
  const { commands, runCommand } = recorder();
  const result = await ensureSystemPeers({ present: () => true, uid: 1000, runCommand });
  assert.deepEqual(result, { ok: true, installed: [] });
  assert.deepEqual(commands, []);
});

test('missing peers and not root: stops with one message naming them and the exact command', async () => {
  const { commands, runCommand } = recorder();
  const absent = new Set(['chromium', 'redis-server']);
  const result = await ensureSystemPeers({
    present: (peer) => !absent.has(peer.debianPackage),
    uid: 1000,
    hasApt: () => true,
    runCommand,
  });
  assert.equal(result.ok, false);
  assert.deepEqual(commands, [], 'nothing may be installed without root');
  assert.match(result.message, /not root/);
  assert.match(result.message, /Chromium \(\/usr\/bin\/chromium/);
  assert.match(result.message, /redis-server \(\/usr\/bin\/redis-server/);
  assert.doesNotMatch(result.message, /nginx|websockets/);
  const command =
    'sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium redis-server';
  assert.ok(result.message.includes(command), result.message);
});

test('missing peers as root without apt-get: stops with the message, runs nothing', async () => {
  const { commands, runCommand } = recorder();
  const result = await ensureSystemPeers({
    present: (peer) => peer !== byPackage('nginx-light'),
    uid: 0,
    hasApt: () => false,
    runCommand,
  });
  assert.equal(result.ok, false);
  assert.deepEqual(commands, []);
  assert.match(result.message, /no apt-get/);
  assert.ok(result.message.includes('apt-get install -y --no-install-recommends nginx-light'));
});

test('missing peers as root with apt-get: update once, install exactly the missing packages', async () => {
  const { commands, runCommand } = recorder();
  const installed = new Set();
  const initiallyAbsent = new Set(['python3-websockets', 'nginx-light']);
  const result = await ensureSystemPeers({
    present: (peer) =>
      !initiallyAbsent.has(peer.debianPackage) || installed.has(peer.debianPackage),
    uid: 0,
    hasApt: () => true,
    runCommand: async (command, args) => {
      await runCommand(command, args);
      if (args[0] === 'install') for (const name of initiallyAbsent) installed.add(name);
      return 0;
    },
    log: () => {},
  });
  assert.deepEqual(result, { ok: true, installed: ['python3-websockets', 'nginx-light'] });
  assert.deepEqual(commands, [
    'apt-get update -qq',
    'apt-get install -y -qq --no-install-recommends python3-websockets nginx-light',
  ]);
});

test('a failing apt-get stops the run with the message', async () => {
  const result = await ensureSystemPeers({
    present: (peer) => peer !== byPackage('chromium'),
    uid: 0,
    hasApt: () => true,
    runCommand: async (_command, args) => (args[0] === 'install' ? 100 : 0),
    log: () => {},
  });
  assert.equal(result.ok, false);
  assert.match(result.message, /failed \(exit 100\)/);
  assert.match(result.message, /Chromium/);
});

test('apt-get succeeding without providing the peer is still a failure', async () => {
  const result = await ensureSystemPeers({
    present: (peer) => peer !== byPackage('redis-server'),
    uid: 0,
    hasApt: () => true,
    runCommand: async () => 0,
    log: () => {},
  });
  assert.equal(result.ok, false);
  assert.match(result.message, /still missing/);
  assert.match(result.message, /redis-server/);
});

test('the install command as root has no sudo', () => {
  assert.equal(
    installCommand([byPackage('chromium')]),
    'apt-get update && apt-get install -y --no-install-recommends chromium',
  );
});
