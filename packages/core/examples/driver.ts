// A complete driver for @wskit/core over any byte stream (a WHATWG readable/writable pair: a
// Deno TCP connection, a Cloudflare socket, an in-memory pipe), after the opening handshake.
// The five steps of every driver: feed input, write output, end the transport when asked, arm
// the close timer when the core expects the peer to close, dispatch events. See the README's
// "Writing a driver"; examples/driver.node.test.ts runs it.
import { type CloseInfo, Connection, type PerMessageCodec, WebSocketError } from '../src/index.js';

export interface ByteStream {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export interface DriverOptions {
  role: 'client' | 'server';
  onMessage(data: Uint8Array, isBinary: boolean): void;
  /** Set when permessage-deflate was negotiated in the handshake. */
  codec?: PerMessageCodec;
  /** How long to wait for the peer to finish closing (default 1 s). */
  closeTimeoutMs?: number;
}

export function drive(stream: ByteStream, options: DriverOptions) {
  const { codec, closeTimeoutMs = 1000 } = options;
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  let closeTimer: ReturnType<typeof setTimeout> | undefined;
  let settle: (info: CloseInfo) => void = () => {};
  const closed = new Promise<CloseInfo>((resolve) => (settle = resolve));

  const connection = new Connection({
    role: options.role,
    perMessageCompression: codec !== undefined,
    handler: {
      onMessage: options.onMessage,
      // Inflate asynchronously, in order: hold back the frames behind this message (a ping or a
      // close must not be answered before it is delivered), then resume.
      onCompressedMessage(data, isBinary) {
        connection.suspendInput();
        codec
          ?.decompress(data, connection.maxMessageSize)
          .then(
            (plain) => connection.deliverDecompressed(plain, isBinary),
            (error) =>
              connection.fail((error instanceof WebSocketError && error.closeCode) || 1011),
          )
          .finally(() => {
            connection.resumeInput();
            flush();
          });
      },
      onClosed(info) {
        clearTimeout(closeTimer);
        codec?.close();
        settle(info);
      },
    },
  });

  function endTransport(): void {
    writer.close().catch(() => {});
    reader.cancel().catch(() => {});
    connection.receiveEof(); // idempotent: a no-op if the read loop already saw the end
  }

  /** Writes what the core queued, then does what it asks of the transport. */
  function flush(): void {
    for (const chunk of connection.takeOutput()) writer.write(chunk).catch(() => {});
    if (connection.transportCloseRequested) endTransport();
    else if (connection.closeExpected() && closeTimer === undefined) {
      closeTimer = setTimeout(endTransport, closeTimeoutMs);
    }
  }

  (async () => {
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        connection.receiveData(read.value);
        flush();
      }
    } catch {
      // A reset reads as the end of the stream.
    }
    connection.receiveEof();
  })();

  return {
    closed,
    async send(data: string | Uint8Array, compress = false): Promise<void> {
      if (!compress || codec === undefined) {
        if (typeof data === 'string') connection.sendText(data);
        else connection.sendBinary(data);
        return flush();
      }
      // Reserve the message's place first: frames queued while it compresses wait behind it.
      const slot = connection.reserveCompressed(typeof data !== 'string');
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      try {
        connection.fillReserved(slot, await codec.compress(bytes));
      } catch (error) {
        connection.cancelReserved(slot);
        throw error;
      } finally {
        flush();
      }
    },
    close(code = 1000, reason = ''): void {
      connection.close(code, reason);
      flush();
    },
  };
}
