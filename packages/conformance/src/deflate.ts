// permessage-deflate (RFC 7692): header syntax, negotiation checks and a codec that honours the
// negotiated context takeover and window sizes, strictly enough to catch a peer that ignores them.

import * as zlib from 'node:zlib';

/** Parameters of one permessage-deflate offer or response (RFC 7692 §7.1). */
export interface DeflateParams {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  /** `true` is the valueless form, only valid in a client's offer. */
  clientMaxWindowBits?: number | true;
}

/** What both sides use once the handshake is done. */
export interface NegotiatedDeflate {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export const DEFLATE = 'permessage-deflate';

export function formatDeflateParams(params: DeflateParams): string {
  const parts = [DEFLATE];
  if (params.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (params.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (params.serverMaxWindowBits !== undefined) {
    parts.push(`server_max_window_bits=${params.serverMaxWindowBits}`);
  }
  if (params.clientMaxWindowBits === true) parts.push('client_max_window_bits');
  else if (params.clientMaxWindowBits !== undefined) {
    parts.push(`client_max_window_bits=${params.clientMaxWindowBits}`);
  }
  return parts.join('; ');
}

export interface ParsedExtension {
  name: string;
  params: Array<[name: string, value: string | true]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1 grammar, quoted values allowed).
 * Throws on malformed input.
 */
export function parseExtensions(header: string): ParsedExtension[] {
  const extensions: ParsedExtension[] = [];
  for (const item of splitOutsideQuotes(header, ',')) {
    if (item.trim() === '') continue;
    const [nameText, ...paramTexts] = splitOutsideQuotes(item, ';');
    const name = (nameText ?? '').trim();
    if (!TOKEN.test(name)) throw new Error(`malformed extension name ${JSON.stringify(name)}`);
    const params: ParsedExtension['params'] = [];
    for (const paramText of paramTexts) {
      const equals = paramText.indexOf('=');
      const key = (equals === -1 ? paramText : paramText.slice(0, equals)).trim();
      if (!TOKEN.test(key))
        throw new Error(`malformed extension parameter ${JSON.stringify(paramText)}`);
      if (equals === -1) {
        params.push([key, true]);
        continue;
      }
      let value = paramText.slice(equals + 1).trim();
      if (value.startsWith('"')) {
        if (!value.endsWith('"') || value.length < 2)
          throw new Error(`unterminated quoted value in ${paramText}`);
        value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      }
      if (!TOKEN.test(value))
        throw new Error(`malformed parameter value ${JSON.stringify(paramText)}`);
      params.push([key, value]);
    }
    extensions.push({ name, params });
  }
  return extensions;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index] as string;
    if (quoted && character === '\\') {
      current += character + (text[index + 1] ?? '');
      index++;
      continue;
    }
    if (character === '"') quoted = !quoted;
    if (character === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  parts.push(current);
  return parts;
}

/**
 * Reads the parameters of one permessage-deflate element; returns a string describing the
 * problem when they are invalid (unknown, repeated or out of range, RFC 7692 §7.1).
 */
export function readDeflateParams(
  extension: ParsedExtension,
  side: 'offer' | 'response',
): DeflateParams | string {
  const params: DeflateParams = {};
  const seen = new Set<string>();
  for (const [name, value] of extension.params) {
    if (seen.has(name)) return `parameter ${name} appears twice`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `${name} must not have a value`;
        if (name === 'server_no_context_takeover') params.serverNoContextTakeover = true;
        else params.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        if (value === true) {
          if (name === 'client_max_window_bits' && side === 'offer') {
            params.clientMaxWindowBits = true;
            break;
          }
          return `${name} needs a value in a${side === 'offer' ? 'n offer' : ' response'}`;
        }
        if (!/^[0-9]+$/.test(value) || Number(value) < 8 || Number(value) > 15) {
          return `${name}=${value} is not an integer from 8 to 15`;
        }
        if (name === 'server_max_window_bits') params.serverMaxWindowBits = Number(value);
        else params.clientMaxWindowBits = Number(value);
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  return params;
}

/**
 * Problems with a server's response to `offers` (RFC 7692 §7.1.1 and §7.1.2): the response must
 * match one of the offers.
 */
export function checkDeflateResponse(
  offers: readonly DeflateParams[],
  response: DeflateParams,
): string[] {
  let best: string[] | undefined;
  for (const offer of offers) {
    const problems: string[] = [];
    if (offer.serverNoContextTakeover && !response.serverNoContextTakeover) {
      problems.push(
        'the offer has server_no_context_takeover but the response does not (RFC 7692 §7.1.1.1)',
      );
    }
    if (offer.serverMaxWindowBits !== undefined) {
      if (response.serverMaxWindowBits === undefined) {
        problems.push(
          'the offer has server_max_window_bits but the response does not (RFC 7692 §7.1.2.1)',
        );
      } else if (response.serverMaxWindowBits > offer.serverMaxWindowBits) {
        problems.push(
          `server_max_window_bits=${response.serverMaxWindowBits} exceeds the offered ${offer.serverMaxWindowBits}`,
        );
      }
    }
    if (response.clientMaxWindowBits !== undefined) {
      if (offer.clientMaxWindowBits === undefined) {
        problems.push('client_max_window_bits in the response was not offered (RFC 7692 §7.1.2.2)');
      } else if (
        typeof offer.clientMaxWindowBits === 'number' &&
        typeof response.clientMaxWindowBits === 'number' &&
        response.clientMaxWindowBits > offer.clientMaxWindowBits
      ) {
        problems.push(
          `client_max_window_bits=${response.clientMaxWindowBits} exceeds the offered ${offer.clientMaxWindowBits}`,
        );
      }
    }
    if (problems.length === 0) return [];
    if (best === undefined || problems.length < best.length) best = problems;
  }
  return best ?? ['there was no offer'];
}

export function negotiated(response: DeflateParams): NegotiatedDeflate {
  return {
    serverNoContextTakeover: response.serverNoContextTakeover === true,
    clientNoContextTakeover: response.clientNoContextTakeover === true,
    serverMaxWindowBits: response.serverMaxWindowBits ?? 15,
    clientMaxWindowBits:
      typeof response.clientMaxWindowBits === 'number' ? response.clientMaxWindowBits : 15,
  };
}

const TRAILER = [0x00, 0x00, 0xff, 0xff];

function runZlib(
  stream: zlib.DeflateRaw | zlib.InflateRaw,
  input: Uint8Array,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onError = (error: Error) => {
      stream.off('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

/**
 * One connection's permessage-deflate state, from one endpoint's point of view: `compress` for
 * the messages this endpoint sends, `decompress` for the peer's.
 *
 * Decompression is strict about the window: zlib only rejects a distance beyond the window when
 * it reaches back past the bytes produced by the current inflate call, so the inflater works in
 * 64-byte output chunks whenever the window is smaller than 32 KiB. A peer that ignores
 * `*_max_window_bits` then fails with "invalid distance too far back", and one that ignores
 * `*_no_context_takeover` fails the same way on its next message.
 */
export class DeflateSession {
  readonly #ownWindowBits: number;
  readonly #ownNoContextTakeover: boolean;
  readonly #peerWindowBits: number;
  readonly #peerNoContextTakeover: boolean;
  #deflater: zlib.DeflateRaw | undefined;
  #inflater: zlib.InflateRaw | undefined;

  constructor(
    readonly params: NegotiatedDeflate,
    readonly role: 'client' | 'server',
  ) {
    const client = role === 'client';
    this.#ownWindowBits = client ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    this.#ownNoContextTakeover = client
      ? params.clientNoContextTakeover
      : params.serverNoContextTakeover;
    this.#peerWindowBits = client ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    this.#peerNoContextTakeover = client
      ? params.serverNoContextTakeover
      : params.clientNoContextTakeover;
  }

  /** Compressed payload of one message: raw deflate, sync flush, trailer removed (§7.2.1). */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    if (this.#ownNoContextTakeover && this.#deflater) {
      this.#deflater.close();
      this.#deflater = undefined;
    }
    this.#deflater ??= zlib.createDeflateRaw({ windowBits: this.#ownWindowBits });
    const output = await runZlib(this.#deflater, data);
    const end = output.length - 4;
    const hasTrailer = end >= 0 && TRAILER.every((byte, index) => output[end + index] === byte);
    return hasTrailer ? output.subarray(0, end) : output;
  }

  /** Payload of one compressed message from the peer (§7.2.2); rejects on invalid data. */
  async decompress(data: Uint8Array): Promise<Uint8Array> {
    if (this.#peerNoContextTakeover && this.#inflater) {
      this.#inflater.close();
      this.#inflater = undefined;
    }
    this.#inflater ??= zlib.createInflateRaw({
      windowBits: this.#peerWindowBits,
      ...(this.#peerWindowBits < 15 ? { chunkSize: 64 } : {}),
    });
    const input = new Uint8Array(data.length + 4);
    input.set(data);
    input.set(TRAILER, data.length);
    return runZlib(this.#inflater, input);
  }

  close(): void {
    this.#deflater?.close();
    this.#inflater?.close();
    this.#deflater = undefined;
    this.#inflater = undefined;
  }
}
