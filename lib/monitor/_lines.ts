/**
 * Line helpers of the parser: where a line ends, and which lines of a chunk
 * a pattern matches, found by one search over the whole chunk (fast: no
 * call per line) and confirmed on each hit line alone.
 *
 * @module
 */

/** A line a pattern matched. */
export interface LineMatch {
  /** Where the line starts in the chunk. */
  readonly at: number;
  /** Where the next line starts. */
  readonly next: number;
  /** The line without its line ending. */
  readonly line: string;
  /** The pattern's match on the line alone. */
  readonly match: RegExpExecArray;
}

/** The index of the `\n` ending the line that starts at `start`, or the text's length. */
export function lineEnd(text: string, start: number): number {
  const end = text.indexOf("\n", start);
  return end < 0 ? text.length : end;
}

/** `text[start, end)` without a trailing `\r`. */
export function withoutCarriageReturn(text: string, start: number, end: number): string {
  const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
  return text.slice(start, stop);
}

/**
 * The lines of `text` from `from` on that `onLine` matches (and `accept`
 * approves), in order, each once. `inChunk` is the same pattern with the
 * global and multi-line flags: it only proposes lines.
 */
export function findLines(
  inChunk: RegExp,
  onLine: RegExp,
  text: string,
  from: number,
  accept?: (line: string) => boolean,
): LineMatch[] {
  const found: LineMatch[] = [];
  inChunk.lastIndex = from;
  while (inChunk.lastIndex < text.length) {
    const hit = inChunk.exec(text);
    if (hit === null || hit.index >= text.length) break;
    const at = hit.index === 0 ? 0 : text.lastIndexOf("\n", hit.index - 1) + 1;
    const end = lineEnd(text, hit.index);
    const line = withoutCarriageReturn(text, at, end);
    const match = onLine.exec(line);
    if (match !== null && (accept === undefined || accept(line))) {
      found.push({ at, next: end + 1, line, match });
    }
    // On to the next line, even when the hit ran past this one: each line is checked on its own.
    inChunk.lastIndex = end + 1;
  }
  return found;
}
