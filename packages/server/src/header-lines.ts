/**
 * A request's header lines kept for a peer's whole life as ONE string, and turned into a
 * WHATWG `Headers` object only when an application reads `peer.request.headers`. Idle
 * servers hold thousands of requests: a `Headers` object or an array of lines per connection
 * costs far more heap than one flat string (packages/bench, idle memory; @wskit/node and
 * @wskit/deno-bun both keep their request views this way).
 */

/** HTTP forbids a bare LF in header names and values (RFC 9110 §5.5), so it separates them. */
const SEPARATOR = '\n';

/**
 * A request view's `protocols` when the client offered none (most do not): one shared frozen
 * list rather than an empty array kept per connection.
 */
export const NO_PROTOCOLS: readonly string[] = Object.freeze([]);

/** Alternating names and values, joined into one flat string (no rope of pieces). */
export function packHeaderLines(namesAndValues: readonly string[]): string {
  return namesAndValues.join(SEPARATOR);
}

/**
 * The `Headers` object of packed lines; `from` is where the names and values start, when
 * something else was packed in front of them (@wskit/node keeps the request-target there).
 * HTTP/2 pseudo-headers (`:path`…) are left out: they are not header fields (RFC 9113 §8.3),
 * and the request's `url` carries them. A line the runtime's HTTP parser accepted but WHATWG
 * `Headers` rejects is left out rather than thrown at the application reading its headers.
 */
export function unpackHeaderLines(packed: string, from = 0): Headers {
  const headers = new Headers();
  if (packed === '') return headers;
  const lines = packed.split(SEPARATOR);
  for (let i = from; i + 1 < lines.length; i += 2) {
    const name = lines[i] as string;
    if (name.startsWith(':')) continue;
    try {
      headers.append(name, lines[i + 1] as string);
    } catch {
      // Left out, as said above.
    }
  }
  return headers;
}

/**
 * The value of the first line named `name` (given in lower case; lines match in any case), or
 * undefined; `from` as above.
 */
export function firstHeaderValue(packed: string, name: string, from = 0): string | undefined {
  const lines = packed.split(SEPARATOR);
  for (let i = from; i + 1 < lines.length; i += 2) {
    if (isHeaderNamed(lines[i] as string, name)) return lines[i + 1];
  }
  return undefined;
}

/**
 * True when the header line's `name` is `lowerCaseName` in any case (RFC 9110 §5.1). Lower-
 * cased only when the length matches: no string is made for every other line.
 */
export function isHeaderNamed(name: string, lowerCaseName: string): boolean {
  return name.length === lowerCaseName.length && name.toLowerCase() === lowerCaseName;
}

/** The first packed entry (what was packed in front of the header lines). */
export function firstPackedEntry(packed: string): string {
  const end = packed.indexOf(SEPARATOR);
  return end === -1 ? packed : packed.slice(0, end);
}
