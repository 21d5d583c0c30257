/** The built page (dist/web), served by every runtime's entry with node:fs (Bun and Deno have it). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '/index.html': 'text/html; charset=utf-8',
  '/app.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
  '/favicon.svg': 'image/svg+xml',
};

/** `GET /healthz`: the process is up and serving (load balancers, `docker run --health-cmd`). */
export const HEALTH_PATH = '/healthz';
export const HEALTH_BODY = '{"ok":true}';

/** dist/web next to this file's package, whether it runs from server/ or dist/server/. */
export function defaultWebDir(moduleUrl: string): string {
  const here = fileURLToPath(new URL('.', moduleUrl));
  return here.includes('/dist/') ? join(here, '..', 'web') : join(here, '..', 'dist', 'web');
}

/** `<package>/.data`, the default CHAT_DATA_DIR, whether running from server/ or dist/server/. */
export function defaultDataDir(moduleUrl: string): string {
  const here = fileURLToPath(new URL('.', moduleUrl));
  return here.includes('/dist/') ? join(here, '..', '..', '.data') : join(here, '..', '.data');
}

export interface StaticFile {
  readonly body: Uint8Array;
  readonly type: string;
}

export async function staticFile(
  webDir: string,
  pathname: string,
): Promise<StaticFile | undefined> {
  const path = pathname === '/' ? '/index.html' : pathname;
  const type = TYPES[path];
  if (type === undefined) return undefined;
  try {
    return { body: await readFile(join(webDir, path)), type };
  } catch {
    return undefined;
  }
}

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};
