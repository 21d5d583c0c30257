/**
 * A raw TCP (or TLS) client for crafting bytes the `ws` package would never send: handshakes with
 * missing or wrong headers, unmasked frames, compressed bombs. It buffers what it reads and
 * parses HTTP heads and WebSocket frames on demand.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface RawResponse {
  readonly status: number;
  readonly statusText: string;
  /** Header names in lower case; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

export interface FrameOptions {
  readonly opcode: number;
  readonly payload?: Buffer | string;
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  /** Clients must mask (RFC 6455 §5.3); `false` crafts a protocol violation. Default true. */
  readonly mask?: boolean;
}

export const Op = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

/** Encodes one frame as a client would send it (masked unless told otherwise). */
export function encodeFrame(options: FrameOptions): Buffer {
  const payload =
    typeof options.payload === 'string'
      ? Buffer.from(options.payload)
      : (options.payload ?? Buffer.alloc(0));
  const mask = options.mask ?? true;
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  head[0] = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | options.opcode;
  head[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) head.writeUInt16BE(length, 2);
  if (lengthBytes === 8) head.writeBigUInt64BE(BigInt(length), 2);
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + lengthBytes);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, masked]);
}

/** A close frame payload: the code, then the UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

export interface HandshakeOptions {
  readonly path?: string;
  readonly method?: string;
  /** Added to or replacing the defaults (case-insensitive); `null` removes a default header. */
  readonly headers?: Readonly<Record<string, string | null>>;
}

/** A valid client opening handshake (RFC 6455 §4.1), adjustable header by header. */
export function handshakeRequest(port: number, options: HandshakeOptions = {}): string {
  const headers = new Map<string, [string, string]>();
  const set = (name: string, value: string | null) => {
    if (value === null) headers.delete(name.toLowerCase());
    else headers.set(name.toLowerCase(), [name, value]);
  };
  set('Host', `127.0.0.1:${port}`);
  set('Upgrade', 'websocket');
  set('Connection', 'Upgrade');
  set('Sec-WebSocket-Key', randomBytes(16).toString('base64'));
  set('Sec-WebSocket-Version', '13');
  for (const [name, value] of Object.entries(options.headers ?? {})) set(name, value);
  const lines = [`${options.method ?? 'GET'} ${options.path ?? '/'} HTTP/1.1`];
  for (const [name, value] of headers.values()) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export class RawClient {
  readonly socket: net.Socket;
  /** Resolves when the TCP connection is fully closed. */
  readonly closed: Promise<void>;
  #buffer = Buffer.alloc(0);
  #discard = false;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (this.#discard) return;
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#notify();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    // ECONNRESET when the server terminates us is an expected outcome here, not a failure.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => {
      this.#ended = true;
      this.#notify();
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  sendFrame(options: FrameOptions): void {
    this.socket.write(encodeFrame(options));
  }

  /** Reads an HTTP response head, and its body when it has a Content-Length. */
  async readResponse(): Promise<RawResponse> {
    let end = this.#buffer.indexOf('\r\n\r\n');
    while (end === -1) {
      await this.#more('response head');
      end = this.#buffer.indexOf('\r\n\r\n');
    }
    const head = this.#buffer.subarray(0, end).toString('latin1');
    this.#buffer = this.#buffer.subarray(end + 4);
    const [statusLine = '', ...lines] = head.split('\r\n');
    const match = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(statusLine);
    if (match === null) throw new Error(`not an HTTP response: ${statusLine}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(match[1]);
    let body = '';
    if (status !== 101 && headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      while (this.#buffer.length < length) await this.#more('response body');
      body = this.#buffer.subarray(0, length).toString('utf8');
      this.#buffer = this.#buffer.subarray(length);
    }
    return { status, statusText: match[2] ?? '', headers, body };
  }

  /** Reads the next WebSocket frame (server frames are unmasked). */
  async readFrame(): Promise<RawFrame> {
    for (;;) {
      const frame = this.#parseFrame();
      if (frame !== undefined) return frame;
      await this.#more('frame');
    }
  }

  /** Skips pings and other frames until one with `opcode` arrives. */
  async readFrameOf(opcode: number): Promise<RawFrame> {
    for (;;) {
      const frame = await this.readFrame();
      if (frame.opcode === opcode) return frame;
    }
  }

  /** Reads and drops everything from now on (to see the connection end after a flood). */
  discardInput(): void {
    this.#discard = true;
    this.#buffer = Buffer.alloc(0);
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #parseFrame(): RawFrame | undefined {
    const buffer = this.#buffer;
    if (buffer.length < 2) return undefined;
    const first = buffer[0] as number;
    const second = buffer[1] as number;
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buffer.length < 4) return undefined;
      length = buffer.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buffer.length < 10) return undefined;
      length = Number(buffer.readBigUInt64BE(2));
      offset = 10;
    }
    if (second & 0x80) throw new Error('the server sent a masked frame');
    if (buffer.length < offset + length) return undefined;
    const payload = Buffer.from(buffer.subarray(offset, offset + length));
    this.#buffer = buffer.subarray(offset + length);
    return { fin: (first & 0x80) !== 0, rsv1: (first & 0x40) !== 0, opcode: first & 0x0f, payload };
  }

  #more(what: string): Promise<void> {
    if (this.#ended) return Promise.reject(new Error(`connection ended while reading a ${what}`));
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** How a raw client reaches the server: plain TCP, or TLS (any certificate accepted). */
export interface RawTransport {
  readonly tls?: boolean;
}

/** Opens a TCP (or, with `transport.tls`, a TLS) connection to 127.0.0.1:port. */
export function connectRaw(port: number, transport: RawTransport = {}): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = transport.tls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : net.connect({ port, host: '127.0.0.1' });
    socket.once(transport.tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      resolve(new RawClient(socket));
    });
    socket.once('error', reject);
  });
}

/** Sends `request` on a new connection and reads the response. */
export async function rawRequest(
  port: number,
  request: string,
  transport: RawTransport = {},
): Promise<RawResponse & { client: RawClient }> {
  const client = await connectRaw(port, transport);
  client.write(request);
  return { ...(await client.readResponse()), client };
}

/** Completes a WebSocket handshake from a raw socket; throws unless the server sends 101. */
export async function rawHandshake(
  port: number,
  options: HandshakeOptions = {},
  transport: RawTransport = {},
): Promise<RawClient & { response: RawResponse }> {
  const { client, ...response } = await rawRequest(
    port,
    handshakeRequest(port, options),
    transport,
  );
  if (response.status !== 101) {
    client.destroy();
    throw new Error(`expected 101, got ${response.status}: ${response.body}`);
  }
  return Object.assign(client, { response });
}

/**
 * Slowloris: writes `text` one byte every `everyMs` until it is all sent or the server closes
 * the connection; resolves, once the connection is closed, with how many bytes went out.
 */
export async function trickle(client: RawClient, text: string, everyMs: number): Promise<number> {
  let sent = 0;
  let closed = false;
  void client.closed.then(() => {
    closed = true;
  });
  while (!closed && sent < text.length) {
    client.write(text[sent] as string);
    sent++;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  await client.closed;
  return sent;
}
