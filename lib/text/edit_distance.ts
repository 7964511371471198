/**
 * How far apart two names are, for "did you mean" lists: the optimal string
 * alignment distance, i.e. Levenshtein's edits plus the swap of two adjacent
 * characters, the typos people make. Pure.
 *
 * @module
 */

/**
 * The fewest single-character edits that turn `a` into `b`: insert, delete,
 * replace one character, or swap two adjacent ones (each edited part once).
 * Compares UTF-16 code units, case-sensitively; lower-case both to ignore case.
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the classic table: the one two back is what a swap needs.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, column) => column);
  for (let row = 1; row <= a.length; row++) {
    const current = [row];
    for (let column = 1; column <= b.length; column++) {
      const replace = a[row - 1] === b[column - 1] ? 0 : 1;
      let best = Math.min(
        (previous[column] ?? 0) + 1,
        (current[column - 1] ?? 0) + 1,
        (previous[column - 1] ?? 0) + replace,
      );
      if (
        row > 1 && column > 1 && a[row - 1] === b[column - 2] && a[row - 2] === b[column - 1]
      ) {
        best = Math.min(best, (beforePrevious[column - 2] ?? 0) + 1);
      }
      current.push(best);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
