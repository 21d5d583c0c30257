import { defaultRandomBytes, type RandomBytes } from '../random.js';

const POOL_SIZE = 8192;

/**
 * RFC 6455 §5.3: each frame's masking key "MUST be a fresh 32-bit value" from "a strong source
 * of entropy". Asking the platform for 4 bytes per frame is slow, so masks are drawn from a
 * pool refilled 8 KiB (2,048 masks) at a time.
 */
export class MaskSource {
  readonly #randomBytes: RandomBytes;
  #pool: Uint8Array = new Uint8Array(0);
  #offset = 0;
  readonly #mask = new Uint8Array(4);

  constructor(randomBytes: RandomBytes = defaultRandomBytes) {
    this.#randomBytes = randomBytes;
  }

  /** The next masking key. The returned array is reused: copy it before the next call. */
  next(): Uint8Array {
    if (this.#offset + 4 > this.#pool.length) {
      this.#pool = this.#randomBytes(POOL_SIZE);
      this.#offset = 0;
      if (this.#pool.length < 4) throw new RangeError('randomBytes returned too few bytes');
    }
    const pool = this.#pool;
    const offset = this.#offset;
    const mask = this.#mask;
    mask[0] = pool[offset] as number;
    mask[1] = pool[offset + 1] as number;
    mask[2] = pool[offset + 2] as number;
    mask[3] = pool[offset + 3] as number;
    this.#offset = offset + 4;
    return mask;
  }
}
