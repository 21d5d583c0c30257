/** Returns `length` random bytes. Injectable so tests and adapters control randomness. */
export type RandomBytes = (length: number) => Uint8Array;

/** The default randomness: `crypto.getRandomValues`, present on every target runtime. */
export const defaultRandomBytes: RandomBytes = (length) =>
  globalThis.crypto.getRandomValues(new Uint8Array(length));
