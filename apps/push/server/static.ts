import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/admin': ['admin.html', 'text/html; charset=utf-8'],
  '/admin.html': ['admin.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/admin.js': ['admin.js', 'text/javascript; charset=utf-8'],
  '/styles.css': ['styles.css', 'text/css; charset=utf-8'],
  '/favicon.svg': ['favicon.svg', 'image/svg+xml'],
};

/** Serves the built page from a fixed list (no path from the URL reaches the file system). */
export async function serveStatic(dir: string, pathname: string): Promise<Response | undefined> {
  const entry = FILES[pathname];
  if (entry === undefined) return undefined;
  try {
    const body = await readFile(join(dir, entry[0]));
    return new Response(body, {
      headers: {
        'content-type': entry[1],
        'cache-control': 'no-cache',
        'content-security-policy':
          "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'",
        'x-content-type-options': 'nosniff',
      },
    });
  } catch {
    return new Response(`${entry[0]} is not built: run the build script`, { status: 503 });
  }
}
