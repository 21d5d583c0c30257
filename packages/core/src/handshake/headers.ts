/**
 * A small case-insensitive, read-only view over the header shapes adapters already have, so
 * the handshake functions do not care which runtime produced the request or response.
 */
import { equalsIgnoringAsciiCase } from './header-values.js';

/** A WHATWG `Headers`, or anything with the same `get` (Deno, Bun, fetch, undici). */
export interface HeadersGetter {
  /** The value of header `name` (any case), or null when absent. */
  get(name: string): string | null;
}

/** Node's `IncomingMessage.headers` style: lowercase names, repeated lines as arrays. */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Ordered `[name, value]` pairs, as `HttpHeadParser` produces them. */
export type HeaderPairs = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * Headers in any of the shapes the runtimes use: a WHATWG `Headers`, a Node header record, or
 * name/value pairs.
 */
export type HeadersInput = HeadersGetter | HeaderRecord | HeaderPairs;

/** Case-insensitive, read-only access to headers given as a `HeadersInput`. */
export interface HeaderView {
  /**
   * The value of `name` (any case), repeated lines joined with ", " (RFC 7230 §3.2.2), or
   * `undefined` when absent.
   */
  get(name: string): string | undefined;
  /**
   * How many header lines named `name` there were: 0 when absent, the exact count when the
   * input keeps lines apart (pairs, record arrays), and `undefined` when the input has already
   * joined them (a WHATWG `Headers` or a record string) so the count cannot be known.
   */
  count(name: string): number | undefined;
}

/** Builds a case-insensitive view over `input`. The view reads a snapshot of pairs and records. */
export function headerView(input: HeadersInput): HeaderView {
  if (Array.isArray(input)) return viewOfLines(input as HeaderPairs);
  if (typeof (input as HeadersGetter).get === 'function')
    return viewOfGetter(input as HeadersGetter);
  return viewOfRecord(input as HeaderRecord);
}

function viewOfGetter(headers: HeadersGetter): HeaderView {
  return {
    get: (name) => headers.get(name) ?? undefined,
    count: (name) => (headers.get(name) === null ? 0 : undefined),
  };
}

interface Collected {
  values: string[];
  /** False once a joined string was seen, which hides how many lines it held. */
  countKnown: boolean;
}

function viewOfCollected(collected: Map<string, Collected>): HeaderView {
  return {
    get: (name) => collected.get(name.toLowerCase())?.values.join(', '),
    count: (name) => {
      const entry = collected.get(name.toLowerCase());
      if (entry === undefined) return 0;
      return entry.countKnown ? entry.values.length : undefined;
    },
  };
}

/**
 * Pairs are read where they are, with no map: a handshake has about six lines and asks for a
 * few of them, once each, and a map of them would be garbage on every connection.
 */
class LinesView implements HeaderView {
  readonly #pairs: HeaderPairs;

  constructor(pairs: HeaderPairs) {
    this.#pairs = pairs.slice();
  }

  get(name: string): string | undefined {
    let joined: string | undefined;
    for (let index = 0; index < this.#pairs.length; index++) {
      const [lineName, value] = this.#pairs[index]!;
      if (!sameName(lineName, name)) continue;
      joined = joined === undefined ? value : `${joined}, ${value}`;
    }
    return joined;
  }

  count(name: string): number {
    let count = 0;
    for (let index = 0; index < this.#pairs.length; index++) {
      if (sameName(this.#pairs[index]![0], name)) count++;
    }
    return count;
  }
}

/** RFC 7230 §3.2: header names compare without ASCII case. */
function sameName(lineName: string, name: string): boolean {
  return lineName.length === name.length && equalsIgnoringAsciiCase(lineName, 0, name);
}

function viewOfLines(pairs: HeaderPairs): HeaderView {
  return new LinesView(pairs);
}

function viewOfRecord(record: HeaderRecord): HeaderView {
  const collected = new Map<string, Collected>();
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const values: readonly string[] = typeof value === 'string' ? [value] : value;
    // Node joins most repeated headers into one string, so a string says nothing about how
    // many lines there were; an array keeps them apart.
    const countKnown = typeof value !== 'string';
    const entry = collected.get(key);
    if (entry === undefined) {
      collected.set(key, { values: [...values], countKnown });
    } else {
      entry.values.push(...values);
      entry.countKnown &&= countKnown;
    }
  }
  // An empty array means no line at all.
  for (const [key, entry] of collected) if (entry.values.length === 0) collected.delete(key);
  return viewOfCollected(collected);
}
