import { invalidArgument } from '../errors.js';
import { defaultRandomBytes, type RandomBytes } from '../random.js';
import { encodeUtf8 } from '../text/utf8.js';
import { decodedBase64Length, encodeBase64 } from './base64.js';
import { type Sha1Digest, sha1 } from './sha1.js';

/** RFC 6455 §1.3 / §4.2.2 step 5: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §4.1: the nonce is 16 bytes. */
const KEY_BYTES = 16;

/**
 * RFC 6455 §4.1 client requirement 7: "a nonce consisting of a randomly selected 16-byte value
 * that has been base64-encoded", selected freshly for each connection.
 */
export function generateKey(randomBytes: RandomBytes = defaultRandomBytes): string {
  const nonce = randomBytes(KEY_BYTES);
  if (!(nonce instanceof Uint8Array) || nonce.length !== KEY_BYTES) {
    throw invalidArgument(
      `randomBytes(${KEY_BYTES}) must return a Uint8Array of ${KEY_BYTES} bytes`,
    );
  }
  return encodeBase64(nonce);
}

/**
 * RFC 6455 §4.2.2 step 5 (server) and §4.1 requirement 4 (client): the base64-encoded SHA-1 of
 * the key (the string as sent, not its decoded bytes) concatenated with the GUID.
 * `digest` lets adapters inject a native SHA-1.
 */
export function computeAccept(key: string, digest: Sha1Digest = sha1): string {
  return encodeBase64(digest(acceptInput(key)));
}

/** The UTF-8 bytes of `key + WEBSOCKET_GUID`, written straight for an ASCII key (all valid ones). */
function acceptInput(key: string): Uint8Array {
  const bytes = new Uint8Array(key.length + WEBSOCKET_GUID.length);
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (code > 0x7f) return encodeUtf8(key + WEBSOCKET_GUID);
    bytes[index] = code;
  }
  for (let index = 0; index < WEBSOCKET_GUID.length; index++) {
    bytes[key.length + index] = WEBSOCKET_GUID.charCodeAt(index);
  }
  return bytes;
}

/** RFC 6455 §4.2.1 item 5: the key must be base64 that decodes to exactly 16 bytes. */
export function isValidKey(key: string): boolean {
  return decodedBase64Length(key) === KEY_BYTES;
}
