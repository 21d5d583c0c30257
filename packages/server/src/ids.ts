let nextServerId = 0;

/**
 * Peer ids `<server>-<n>` in base 36: unique per process, short, stable for a connection's
 * life. One per server.
 *
 * A peer keeps only its number (`next()`, a small integer stored in the peer's own field) and
 * makes the string when `id` is first read (`format`): most peers are never asked, and the
 * string would be one more object, 24 bytes on V8, kept per connection.
 */
export class PeerIds {
  readonly #prefix: string;
  #next = 0;

  constructor() {
    this.#prefix = `${(nextServerId++).toString(36)}-`;
  }

  /** The number of the next peer. */
  next(): number {
    return this.#next++;
  }

  /** The id of the peer that `next()` numbered `serial`. */
  format(serial: number): string {
    return this.#prefix + serial.toString(36);
  }
}
