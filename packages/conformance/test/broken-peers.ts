// Deliberately broken echo endpoints for the self-check: each has one defect, and the suite must
// fail the cases that target it (and pass the others, proving the endpoint is otherwise sound).

import { connectRaw, DeflateSession, Opcode, type RawConnection, RawServer } from '../src/index.js';

export type ServerDefect =
  | 'none'
  | 'echoes-text-as-binary'
  | 'no-pongs'
  | 'keeps-tcp-open'
  | 'deflate-ignores-parameters';
export type ClientDefect =
  | 'none'
  | 'unmasked'
  | 'drops-tcp-on-close'
  | 'closes-tcp-after-close-echo';

/** Echoes the complete messages among `connection.frames` as they arrive, with `defect`. */
function echoLoop(connection: RawConnection, defect: ServerDefect | ClientDefect): void {
  let next = 0;
  let parts: Uint8Array[] = [];
  let first = { opcode: 0, rsv1: false };
  // A compressor that keeps context and a 15-bit window whatever was negotiated.
  const careless = new DeflateSession(
    {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    },
    connection.role,
  );
  const handle = async () => {
    while (next < connection.frames.length) {
      const frame = connection.frames[next++];
      if (!frame) break;
      if (frame.opcode === Opcode.close) {
        if (defect === 'drops-tcp-on-close') {
          connection.destroy();
          return;
        }
        await connection.sendFrame({ opcode: Opcode.close, payload: frame.payload.subarray(0, 2) });
        if (defect === 'closes-tcp-after-close-echo') connection.destroy();
        else if (connection.role === 'server' && defect !== 'keeps-tcp-open')
          await connection.closeTcp();
        return;
      }
      if (frame.opcode === Opcode.ping) {
        if (defect !== 'no-pongs')
          await connection.sendFrame({ opcode: Opcode.pong, payload: frame.payload });
        continue;
      }
      if (frame.opcode === Opcode.pong) continue;
      if (frame.opcode !== Opcode.continuation) first = { opcode: frame.opcode, rsv1: frame.rsv1 };
      parts.push(frame.payload);
      if (!frame.fin) continue;
      let data: Uint8Array = Buffer.concat(parts);
      parts = [];
      if (first.rsv1 && connection.deflate) data = await connection.deflate.decompress(data);
      const opcode = defect === 'echoes-text-as-binary' ? Opcode.binary : first.opcode;
      const wrongMasking = defect === 'unmasked';
      if (connection.deflate && data.length > 100) {
        const deflate = defect === 'deflate-ignores-parameters' ? careless : connection.deflate;
        await connection.sendFrame({
          opcode,
          rsv1: true,
          payload: await deflate.compress(data),
          wrongMasking,
        });
      } else await connection.sendFrame({ opcode, payload: data, wrongMasking });
    }
  };
  let queue = Promise.resolve();
  connection.socket.on('data', () => {
    queue = queue.then(handle);
  });
  connection.socket.on('close', () => careless.close());
  queue = queue.then(handle);
}

/** An echo server built on the raw server, accepting permessage-deflate as offered. */
export async function startBrokenServer(
  defect: ServerDefect,
): Promise<{ url: string; stop(): Promise<void> }> {
  const raw = await RawServer.listen();
  let running = true;
  void (async () => {
    while (running) {
      try {
        const connection = await raw.accept({
          timeoutMs: 60_000,
          autoPong: false,
          autoCloseReply: false,
          deflate: {},
        });
        echoLoop(connection, defect);
      } catch {
        // Stopped, or a client that could not complete its handshake.
      }
    }
  })();
  return {
    url: raw.url('/'),
    stop: () => {
      running = false;
      return raw.close();
    },
  };
}

/** An echo client built on the raw client. */
export function brokenClient(defect: ClientDefect) {
  return async (url: string): Promise<{ closeCode?: number }> => {
    const connection = await connectRaw(url, { autoPong: true, autoCloseReply: false });
    echoLoop(connection, defect);
    await connection.waitFor(() => connection.socketClosed, 10_000);
    return {};
  };
}
