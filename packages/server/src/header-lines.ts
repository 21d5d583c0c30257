/**
 * A request's header lines kept for a peer's whole life as ONE string, and turned into a
 * WHATWG `Headers` object only when an application reads `peer.request.headers`. Idle
 * servers hold thousands of requests: a `Headers` object or an array of lines per connection
 * costs far more heap than one flat string (packages/bench, idle memory; @wskit/node and
 * @wskit/deno-bun both keep their request views this way).
 */

/** HTTP forbids a bare LF in header names and values (RFC 9110 §5.5), so it separates them. */
const SEPARATOR = '\n';

/** Alternating names and values, joined into one flat string (no rope of pieces). */
export function packHeaderLines(namesAndValues: readonly string[]): string {
  return namesAndValues.join(SEPARATOR);
}

/**
 * The `Headers` object of packed lines. HTTP/2 pseudo-headers (`:path`…) are left out: they
 * are not header fields (RFC 9113 §8.3), and the request's `url` carries them. A line the
 * runtime's HTTP parser accepted but WHATWG `Headers` rejects is left out rather than thrown
 * at the application reading its headers.
 */
export function unpackHeaderLines(packed: string): Headers {
  const headers = new Headers();
  if (packed === '') return headers;
  const lines = packed.split(SEPARATOR);
  for (let i = 0; i + 1 < lines.length; i += 2) {
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
