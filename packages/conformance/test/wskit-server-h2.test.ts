// The server suite against @wskit/node over HTTP/2 (RFC 8441): the same echo server as
// wskit-server.test.ts, but every case's WebSocket is an extended CONNECT stream of ONE shared
// h2c session. The suite's raw client speaks HTTP/1.1 over TCP, so a small bridge here turns its
// upgrade into a CONNECT, answers it with the 101 the client expects, and then copies bytes both
// ways untouched: the RFC 6455 frames (masked, fragmented, broken on purpose) reach the server
// as they are, and the server's frames, END_STREAM (TCP FIN) and RST_STREAM (TCP reset) come
// back. No case may fail.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { WebSocketServer } from '@wskit/node';
import { describeServerConformance } from '../src/index.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Reads the upgrade request head from `socket`; resolves with its headers and leftover bytes. */
function readRequestHead(socket: Socket): Promise<{ lines: string[]; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      resolve({
        lines: buffered.subarray(0, end).toString('latin1').split('\r\n'),
        rest: buffered.subarray(end + 4),
      });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** HTTP/1.1 upgrade on TCP in front, RFC 8441 stream on one HTTP/2 session behind. */
function startBridge(session: http2.ClientHttp2Session, authority: string): Server {
  return createServer({ allowHalfOpen: true }, async (socket) => {
    socket.on('error', () => {});
    let head: Awaited<ReturnType<typeof readRequestHead>>;
    try {
      head = await readRequestHead(socket);
    } catch {
      socket.destroy();
      return;
    }
    const [, path = '/'] = (head.lines[0] ?? '').split(' ');
    const headers = new Map<string, string>();
    for (const line of head.lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const request: http2.OutgoingHttpHeaders = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':authority': authority,
      ':path': path,
      'sec-websocket-version': headers.get('sec-websocket-version') ?? '13',
    };
    const extensions = headers.get('sec-websocket-extensions');
    if (extensions !== undefined) request['sec-websocket-extensions'] = extensions;
    const stream = session.request(request, { endStream: false });
    stream.on('error', () => socket.destroy());
    const [response] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    if (Number(response[':status']) !== 200) {
      socket.end(`HTTP/1.1 ${response[':status']} Refused\r\nContent-Length: 0\r\n\r\n`);
      stream.destroy();
      return;
    }
    const accept = createHash('sha1')
      .update(`${headers.get('sec-websocket-key') ?? ''}${GUID}`)
      .digest('base64');
    const acceptedExtensions = response['sec-websocket-extensions'];
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`,
        ...(typeof acceptedExtensions === 'string'
          ? [`Sec-WebSocket-Extensions: ${acceptedExtensions}`]
          : []),
        '',
        '',
      ].join('\r\n'),
    );
    if (head.rest.length > 0) stream.write(head.rest);
    // Bytes both ways as they come; a FIN is END_STREAM and back, a reset is a reset.
    socket.pipe(stream);
    stream.pipe(socket);
    stream.on('close', () => {
      if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR)
        socket.destroy();
    });
    socket.on('close', () => stream.destroy());
    socket.resume();
  });
}

describeServerConformance(
  '@wskit/node over HTTP/2 streams (h2c, one session)',
  async () => {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      http2: true,
      perMessageDeflate: true,
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        socket.send(isBinary ? data : data.toString('utf8'), () => {});
      });
    });
    const authority = `127.0.0.1:${server.port}`;
    const session = http2.connect(`http://${authority}`);
    session.on('error', () => {});
    await once(session, 'remoteSettings');
    const bridge = startBridge(session, authority);
    bridge.listen(0, '127.0.0.1');
    await once(bridge, 'listening');
    return {
      url: `ws://127.0.0.1:${(bridge.address() as AddressInfo).port}/`,
      stop: async () => {
        bridge.close();
        await server.close({ timeout: 200 });
        session.destroy();
      },
    };
  },
  { deflate: true },
);
