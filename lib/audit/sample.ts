/**
 * `--sample PCT`: which files an audit reads. Random, so that month after
 * month every file gets its turn, but reproducible: the same seed picks the
 * same files, and each backup's pick depends only on the seed and its name
 * (a new backup does not change the others'). Pure.
 *
 * @module
 */

/** A 32-bit FNV-1a hash of `text`. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: a small, fast, well-mixed 32-bit generator; values in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many of `total` files a `pct` % sample reads: rounded up, at least one when there are any. */
export function sampleSize(total: number, pct: number): number {
  if (total === 0) return 0;
  return Math.min(total, Math.max(1, Math.ceil(total * pct / 100)));
}

/**
 * The `pct` % of `items` an audit reads for the backup `name` with `seed`,
 * in their original order. 100 (or more) keeps everything.
 */
export function sampleItems<T>(items: readonly T[], pct: number, seed: number, name: string): T[] {
  const count = sampleSize(items.length, pct);
  if (count >= items.length) return [...items];
  const random = mulberry32(fnv1a(`${seed >>> 0}:${name}`));
  const indexes = items.map((_, index) => index);
  // A partial Fisher-Yates shuffle: the first `count` positions are a uniform pick.
  for (let position = 0; position < count; position++) {
    const swap = position + Math.floor(random() * (indexes.length - position));
    [indexes[position], indexes[swap]] = [indexes[swap] as number, indexes[position] as number];
  }
  return indexes.slice(0, count).sort((a, b) => a - b).map((index) => items[index] as T);
}
