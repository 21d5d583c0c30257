/**
 * "Did you mean" for option names: the known name nearest to a misspelt one, by edit
 * distance (insertions, deletions, substitutions and swaps of neighbours), ignoring case.
 */
export function nearestName(name: string, known: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  // A typo costs one or two edits; a longer distance is another word, not a typo.
  const limit = Math.max(1, Math.min(3, Math.floor(wanted.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const table: number[] = new Array(rows * columns).fill(0);
  for (let i = 0; i < rows; i++) table[i * columns] = i;
  for (let j = 0; j < columns; j++) table[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (table[(i - 1) * columns + j] as number) + 1,
        (table[i * columns + j - 1] as number) + 1,
        (table[(i - 1) * columns + j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (table[(i - 2) * columns + j - 2] as number) + 1);
      }
      table[i * columns + j] = value;
    }
  }
  return table[rows * columns - 1] as number;
}
