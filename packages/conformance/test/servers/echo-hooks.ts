// The echo handler, written once against the shared server API and run by every wskit target:
// in process on Node (@wskit/node's WebSocketServer) and by wskit-echo.ts on Bun and Deno.
// Text is echoed as text, binary as binary. With `report`, it also tells the test what the
// server saw: each message's type and size and each close's code and reason, with the path.
import type { Hooks } from '@wskit/node';

export type ServerEvent =
  | { event: 'message'; path: string; isBinary: boolean; bytes: number }
  | { event: 'close'; path: string; code: number; reason: string };

export function echoHooks(report?: (event: ServerEvent) => void): Hooks {
  const pathOf = (url: string) => new URL(url).pathname;
  return {
    message(peer, message) {
      const data = message.isBinary ? message.bytes() : message.text();
      report?.({
        event: 'message',
        path: pathOf(peer.request.url),
        isBinary: message.isBinary,
        bytes: message.bytes().length,
      });
      peer.send(data);
    },
    close(peer, { code, reason }) {
      report?.({ event: 'close', path: pathOf(peer.request.url), code, reason });
    },
  };
}
