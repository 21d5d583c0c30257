// The HTTP/1.1 part of the opening handshake (RFC 6455 §4), just enough for the raw endpoints.

import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HEAD_BYTES = 16 * 1024;

/** `Sec-WebSocket-Accept` for a key (RFC 6455 §4.2.2 step 5.4). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

export interface HttpHead {
  /** Request line or status line. */
  startLine: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Map<string, string>;
}

/** Whether a comma-separated header value contains `token` (case-insensitive). */
export function headerHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((part) => part.trim().toLowerCase() === token.toLowerCase());
}

export function parseHead(text: string): HttpHead {
  const [startLine = '', ...lines] = text.split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return { startLine, headers };
}

/**
 * Reads from `socket` up to the blank line that ends an HTTP head; resolves with the head and
 * whatever bytes followed it (the first frames may arrive in the same packet).
 */
export function readHead(
  socket: Socket,
  timeoutMs: number,
): Promise<{ head: HttpHead; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: { head: HttpHead; rest: Uint8Array }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (error) reject(error);
      else resolve(value as { head: HttpHead; rest: Uint8Array });
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buffered.length > MAX_HEAD_BYTES)
          finish(new Error(`no end of the HTTP head within ${MAX_HEAD_BYTES} bytes`));
        return;
      }
      // Stop the flow so no frame bytes are lost before the connection object listens.
      socket.pause();
      try {
        const head = parseHead(buffered.subarray(0, end).toString('latin1'));
        finish(undefined, { head, rest: new Uint8Array(buffered.subarray(end + 4)) });
      } catch (error) {
        finish(error as Error);
      }
    };
    const onClose = () => finish(new Error('the connection closed during the opening handshake'));
    const onError = (error: Error) => finish(error);
    const timer = setTimeout(
      () => finish(new Error(`no complete HTTP head within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
}
