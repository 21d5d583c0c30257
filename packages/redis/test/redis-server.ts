/**
 * redis-server for the tests, plain or with TLS, on loopback. The plain one and the process
 * helpers come from the apps' shared test helpers (@wskit/app-shared/test-processes); this
 * file adds the check that redis-server exists and the TLS variant.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import {
  captureOutput,
  freePort,
  startRedisServer,
  waitForPort,
} from '@wskit/app-shared/test-processes';

export { freePort, stopChild } from '@wskit/app-shared/test-processes';

/** Fails (never skips) with the install command when a system program is missing. */
export function requireExecutable(path: string, debianPackage: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `${path} is missing: these tests need it. Install it with \`apt-get install -y ${debianPackage}\` (or run \`node scripts/system-peers.mjs\`, which \`npm test\` runs first).`,
    );
  }
}

export interface RunningRedis {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly output: () => string;
}

/** A plain redis-server on a free loopback port, nothing written to disk. */
export async function startRedis(dir: string, port?: number): Promise<RunningRedis> {
  requireExecutable('/usr/bin/redis-server', 'redis-server');
  const chosen = port ?? (await freePort());
  const { child, output } = await startRedisServer(chosen, dir, { persist: false });
  return { child, port: chosen, url: `redis://127.0.0.1:${chosen}`, output };
}

/**
 * A self-signed certificate for 127.0.0.1 (its own CA), made with openssl in `dir`: what a
 * private Redis with TLS looks like to a client that is given the CA.
 */
export function makeCertificate(dir: string): { cert: string; key: string } {
  requireExecutable('/usr/bin/openssl', 'openssl');
  const cert = join(dir, 'redis.crt');
  const key = join(dir, 'redis.key');
  execFileSync(
    '/usr/bin/openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}

/** redis-server with TLS only (no plain port), client certificates not required. */
export async function startTlsRedis(dir: string): Promise<RunningRedis & { ca: string }> {
  requireExecutable('/usr/bin/redis-server', 'redis-server');
  const { cert, key } = makeCertificate(dir);
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1'],
      ...['--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert],
      ...['--tls-auth-clients', 'no', '--dir', dir, '--save', '', '--appendonly', 'no'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = captureOutput(child);
  await waitForPort(port, child, output);
  return { child, port, url: `rediss://127.0.0.1:${port}`, output, ca: cert };
}
