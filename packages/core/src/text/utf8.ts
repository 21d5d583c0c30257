/** Shared, stateless codecs: TextEncoder/TextDecoder are platform APIs in every runtime. */
export const utf8Encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Decodes bytes already validated as UTF-8 (a BOM is content, not a marker: ignoreBOM). */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Encodes `text` as UTF-8 (lone surrogates become U+FFFD, as `TextEncoder` does). */
export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
