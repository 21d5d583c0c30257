import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket } from './websocket.js';

/**
 * ws's `createWebSocketStream`: a Duplex over a WebSocket. Reading yields each message
 * (a Buffer; a string when `readableObjectMode` and `encoding` ask for it), writing sends
 * each chunk as a message (binary for Buffers, text for strings). Backpressure both ways:
 * the socket stops reading while the readable side is full, and a write's callback waits
 * until the data is handed to the kernel.
 */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let resumeOnRead = false;
  const stream = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
    read() {
      if (resumeOnRead && ws.isPaused) {
        resumeOnRead = false;
        ws.resume();
      }
    },
    write(chunk: Buffer | string, _encoding, callback) {
      if (ws.readyState === ws.CONNECTING) {
        ws.once('open', () => stream._write(chunk, _encoding, callback));
        return;
      }
      ws.send(chunk, { binary: typeof chunk !== 'string' }, callback);
    },
    final(callback) {
      if (ws.readyState === ws.CONNECTING) {
        ws.once('open', () => stream._final(callback));
        return;
      }
      if (ws.readyState === ws.CLOSED) return callback();
      ws.once('close', () => callback());
      ws.close();
    },
    destroy(error, callback) {
      if (ws.readyState !== ws.CLOSED) ws.terminate();
      callback(error);
    },
  });

  ws.on('message', (data, isBinary) => {
    const chunk = !isBinary && stream.readableObjectMode ? data.toString() : data;
    if (!stream.push(chunk)) {
      resumeOnRead = true;
      ws.pause();
    }
  });
  ws.once('error', (error) => stream.destroy(error));
  ws.once('close', () => {
    if (!stream.destroyed) stream.push(null);
  });
  return stream;
}
