import {
  type CloseInfo,
  Connection,
  type ConnectionOptions,
  type WebSocketError,
} from '../src/index.js';

/** Everything a connection reported, as plain values, in order. */
export type Recorded =
  | { type: 'message'; data: Uint8Array; isBinary: boolean }
  | { type: 'compressed'; data: Uint8Array; isBinary: boolean }
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  | { type: 'closeFrame'; code: number; reason: string }
  | { type: 'error'; code: string; closeCode: number | undefined }
  | ({ type: 'closed' } & CloseInfo);

export interface RecordingConnection {
  connection: Connection;
  events: Recorded[];
}

/** A connection whose callbacks record every event (copying data: views may be reused). */
export function recordingConnection(
  options: Omit<ConnectionOptions, 'handler'>,
): RecordingConnection {
  const events: Recorded[] = [];
  const connection = new Connection({
    ...options,
    handler: {
      onMessage: (data, isBinary) => events.push({ type: 'message', data: data.slice(), isBinary }),
      onCompressedMessage: (data, isBinary) =>
        events.push({ type: 'compressed', data: data.slice(), isBinary }),
      onPing: (data) => events.push({ type: 'ping', data: data.slice() }),
      onPong: (data) => events.push({ type: 'pong', data: data.slice() }),
      onCloseFrame: (code, reason) => events.push({ type: 'closeFrame', code, reason }),
      onError: (error: WebSocketError) =>
        events.push({ type: 'error', code: error.code, closeCode: error.closeCode }),
      onClosed: (info) => events.push({ type: 'closed', ...info }),
    },
  });
  return { connection, events };
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Output of a connection as one byte string. */
export function drain(connection: Connection): Uint8Array {
  return concat(connection.takeOutput());
}

/** A fixed masking key source, so client frames are reproducible. */
export function fixedRandom(bytes: number[]): (length: number) => Uint8Array {
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = bytes[i % bytes.length] as number;
    return out;
  };
}

export const text = (value: string) => new TextEncoder().encode(value);
export const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
