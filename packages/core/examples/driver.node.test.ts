// Runs examples/driver.ts: two drivers, a client and a server, over a pair of in-memory byte
// streams, with and without a permessage-deflate codec (node:zlib, no context takeover). The
// wire bytes are checked too, so the example cannot pass by talking to itself in the wrong way.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import {
  appendDeflateTrailer,
  decompressedMessageTooBig,
  type PerMessageCodec,
  stripDeflateTrailer,
} from '../src/index.js';
import { type ByteStream, drive } from './driver.js';

/** Two connected byte streams; `wire` records what the client wrote. */
function streamPair(): { client: ByteStream; server: ByteStream; wire: Uint8Array[] } {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const wire: Uint8Array[] = [];
  const recorder = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      wire.push(chunk.slice());
      controller.enqueue(chunk);
    },
  });
  void recorder.readable.pipeTo(toServer.writable).catch(() => {});
  return {
    client: { readable: toClient.readable, writable: recorder.writable },
    server: { readable: toServer.readable, writable: toClient.writable },
    wire,
  };
}

/** RFC 7692 §7.2 with every message compressed on its own (no context takeover, §7.1.1). */
function zlibCodec(): PerMessageCodec {
  const flush = { finishFlush: constants.Z_SYNC_FLUSH };
  return {
    compress: async (data) => stripDeflateTrailer(deflateRawSync(data, flush)),
    async decompress(data, maxSize) {
      try {
        return inflateRawSync(appendDeflateTrailer(data), { ...flush, maxOutputLength: maxSize });
      } catch (error) {
        if (error instanceof RangeError) throw decompressedMessageTooBig(maxSize);
        throw error;
      }
    },
    close() {},
  };
}

function echoPair(compress: boolean) {
  const { client, server, wire } = streamPair();
  const received: Array<[string, boolean]> = [];
  const serverSide = drive(server, {
    role: 'server',
    ...(compress ? { codec: zlibCodec() } : {}),
    onMessage: (data, isBinary) =>
      void serverSide.send(isBinary ? data.slice() : new TextDecoder().decode(data), compress),
  });
  const clientSide = drive(client, {
    role: 'client',
    ...(compress ? { codec: zlibCodec() } : {}),
    onMessage: (data, isBinary) =>
      received.push([isBinary ? `bytes:${data.length}` : new TextDecoder().decode(data), isBinary]),
  });
  return { clientSide, serverSide, received, wire };
}

describe('examples/driver.ts drives the core over a byte stream', () => {
  test.each([false, true])(
    'echo, then a clean close handshake (RFC 6455 §7.1.2), compressed: %s',
    async (compress) => {
      const { clientSide, serverSide, received, wire } = echoPair(compress);
      const big = 'wskit '.repeat(20_000);
      await clientSide.send('hello', compress);
      await clientSide.send(new Uint8Array(300), compress);
      await clientSide.send('', compress);
      await clientSide.send(big, compress);
      clientSide.close(1000, 'done');
      const [clientClosed, serverClosed] = await Promise.all([
        clientSide.closed,
        serverSide.closed,
      ]);
      expect(received).toEqual([
        ['hello', false],
        ['bytes:300', true],
        ['', false],
        [big, false],
      ]);
      expect(clientClosed).toEqual({ code: 1000, reason: 'done', wasClean: true });
      expect(serverClosed).toEqual({ code: 1000, reason: 'done', wasClean: true });
      // The client's first frame: FIN + text opcode, RSV1 set only when compressed (RFC 7692
      // §6), MASK set (RFC 6455 §5.3); compression shrinks the 120 KB message on the wire.
      const first = wire[0] as Uint8Array;
      expect(first[0]).toBe(compress ? 0xc1 : 0x81);
      expect((first[1] as number) & 0x80).toBe(0x80);
      const sent = wire.reduce((total, chunk) => total + chunk.length, 0);
      if (compress) expect(sent).toBeLessThan(2_000);
      else expect(sent).toBeGreaterThan(big.length);
    },
  );

  test('a protocol violation fails the connection with 1002 and ends the transport (RFC 6455 §7.1.7)', async () => {
    const { client, server } = streamPair();
    const serverSide = drive(server, { role: 'server', onMessage: () => {} });
    const writer = client.writable.getWriter();
    // An unmasked text frame "Hi" from a client: a server MUST fail the connection (§5.1).
    await writer.write(new Uint8Array([0x81, 0x02, 0x48, 0x69]));
    const reader = client.readable.getReader();
    const answer = await reader.read();
    expect(Array.from(answer.value ?? []).slice(0, 4)).toEqual([
      0x88,
      answer.value?.[1],
      0x03,
      0xea,
    ]);
    expect((await reader.read()).done).toBe(true); // the server closed the stream
    expect((await serverSide.closed).code).toBe(1006); // no close frame from the peer
  });

  test('a peer that never answers a close is cut off by the driver’s timer (RFC 6455 §7.1.1)', async () => {
    const { client, server } = streamPair();
    const serverSide = drive(server, { role: 'server', onMessage: () => {}, closeTimeoutMs: 50 });
    const reader = client.readable.getReader();
    serverSide.close(4000, 'bye');
    const closeFrame = await reader.read();
    expect(closeFrame.value?.[0]).toBe(0x88);
    expect((await reader.read()).done).toBe(true);
    expect(await serverSide.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });
});
