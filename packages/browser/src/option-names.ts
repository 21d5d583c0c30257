/**
 * Unknown option names throw instead of being silently ignored: `startClosed: true` must not
 * connect anyway because of a typo or a name from another library. The error names the option
 * and, when it can, the one meant: a known alias (another library's name for ours) or the
 * closest of our names by edit distance.
 */

/** Bounds of a number option: [min, max], both included. */
export type NumberBounds = readonly [min: number, max: number];

/**
 * A number option: undefined gives `fallback` (no fallback: the option is required); anything
 * but a number within [min, max] (NaN included) is a RangeError naming the option.
 */
export function numberOption(
  owner: string,
  name: string,
  value: unknown,
  fallback?: number,
  min = 0,
  max = Infinity,
): number {
  const number = value === undefined ? fallback : value;
  if (typeof number !== 'number' || !(number >= min && number <= max)) {
    throw new RangeError(`${owner}: ${name} must be a number in [${min}, ${max}], got ${number}`);
  }
  return number;
}

/**
 * The number options of `defaults` read from `options`, each checked by `numberOption` (within
 * its `bounds`, else >= 0): one table per owner instead of one call per option, so each name is
 * written once.
 */
export function numberOptions<T extends Record<string, number>>(
  owner: string,
  options: Partial<T>,
  defaults: T,
  bounds: Partial<Record<keyof T, NumberBounds>> = {},
): T {
  const resolved: Record<string, number> = {};
  for (const name in defaults) {
    resolved[name] = numberOption(
      owner,
      name,
      options[name],
      defaults[name],
      ...(bounds[name] ?? []),
    );
  }
  return resolved as T;
}

/**
 * Levenshtein distance between two short strings, one row of the table at a time: after the
 * characters of `a` seen so far, `row[j]` is their distance to the first j characters of `b`.
 */
export function editDistance(a: string, b: string): number {
  const row = [...Array(b.length + 1).keys()];
  for (const char of a) {
    // The cell above and to the left of row[j] (row[0] becomes the next row's first cell).
    let diagonal = (row[0] as number)++;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + +(char !== b[j - 1]));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/**
 * Throws a TypeError for the first key of `options` that is not in `known`. `aliases` maps
 * names other libraries use to the hint to give (our option, with how it differs).
 */
export function checkOptionNames(
  owner: string,
  options: object,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    // Case-insensitive, so 'MaxDelay' and 'maxdelay' find 'maxDelay'; at most a third of the
    // name may differ, or the suggestion is noise.
    let hint = aliases[name];
    let bestDistance = Math.max(2, Math.ceil(name.length / 3)) + 1;
    for (const candidate of hint ? [] : known) {
      const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
      if (distance < bestDistance) [hint, bestDistance] = [`'${candidate}'`, distance];
    }
    throw new TypeError(
      `${owner}: unknown option '${name}'${hint ? `; did you mean ${hint}?` : ''}`,
    );
  }
}
