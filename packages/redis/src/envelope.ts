/**
 * What travels on a Redis channel: a 10-byte header, then the payload as published.
 *
 *   byte 0     format version (1); a later format (a sequence number for replay) bumps it
 *   byte 1     't' text (payload is UTF-8) or 'b' binary (payload is the bytes as given)
 *   bytes 2-9  the origin: the attachment (one server) that published it
 *
 * The origin lets a server drop the copy of its own publish that Redis sends back to its
 * subscriber connection: it delivered that one locally already. Binary stays binary and
 * byte-exact, because the whole message is a Buffer (ioredis's `messageBuffer` event).
 */

// Imported, not the global: Deno has no global Buffer outside npm packages.
import { Buffer } from 'node:buffer';

const VERSION = 1;
const TEXT = 0x74; // 't'
const BINARY = 0x62; // 'b'
/** Bytes of the origin id. 64 random bits: a collision between two servers is negligible. */
export const ORIGIN_LENGTH = 8;
const HEADER_LENGTH = 2 + ORIGIN_LENGTH;

/** A decoded message. */
export interface Envelope {
  /** The origin id as hex, comparable with `originId`'s result. */
  readonly origin: string;
  readonly payload: string | Uint8Array;
}

/** A fresh origin id for one attachment: its bytes (for encoding) and its hex (for lookups). */
export function originId(): { readonly bytes: Uint8Array; readonly hex: string } {
  const bytes = crypto.getRandomValues(new Uint8Array(ORIGIN_LENGTH));
  return { bytes, hex: Buffer.from(bytes).toString('hex') };
}

/** The message to PUBLISH for `payload` from `origin`. */
export function encodeEnvelope(origin: Uint8Array, payload: string | Uint8Array): Buffer {
  const text = typeof payload === 'string';
  const body = text ? Buffer.from(payload, 'utf8') : payload;
  const message = Buffer.allocUnsafe(HEADER_LENGTH + body.byteLength);
  message[0] = VERSION;
  message[1] = text ? TEXT : BINARY;
  message.set(origin, 2);
  message.set(body, HEADER_LENGTH);
  return message;
}

/**
 * The envelope of a received message, or an Error saying why it is not one (another program
 * publishing on our channels, or a newer format): the caller reports it and drops it.
 */
export function decodeEnvelope(message: Buffer): Envelope | Error {
  if (message.byteLength < HEADER_LENGTH || message[0] !== VERSION) {
    return new Error(
      `a message that is not a @wskit/redis envelope (version ${String(message[0])}, ${message.byteLength} bytes)`,
    );
  }
  const kind = message[1];
  if (kind !== TEXT && kind !== BINARY) {
    return new Error(`a @wskit/redis envelope of unknown kind ${String(kind)}`);
  }
  const origin = message.toString('hex', 2, HEADER_LENGTH);
  const payload =
    kind === TEXT
      ? message.toString('utf8', HEADER_LENGTH)
      : // A view, not a copy: the server frames it once and keeps nothing.
        new Uint8Array(
          message.buffer,
          message.byteOffset + HEADER_LENGTH,
          message.byteLength - HEADER_LENGTH,
        );
  return { origin, payload };
}
