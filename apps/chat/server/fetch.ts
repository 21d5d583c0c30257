/** The page for Bun and Deno: a `fetch` handler over dist/web. */
import { HEALTH_BODY, HEALTH_PATH, SECURITY_HEADERS, staticFile } from './static.js';

export function pageHandler(webDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (new URL(request.url).pathname === HEALTH_PATH) {
      return new Response(HEALTH_BODY, { headers: { 'content-type': 'application/json' } });
    }
    const file =
      request.method === 'GET'
        ? await staticFile(webDir, new URL(request.url).pathname)
        : undefined;
    if (file === undefined) return new Response('not found', { status: 404 });
    return new Response(file.body as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': file.type, ...SECURITY_HEADERS },
    });
  };
}
