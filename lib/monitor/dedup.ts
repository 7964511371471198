/**
 * The same error is emailed once per `sent_keep_days`: a block's key is the
 * first 200 characters of its text with timestamps removed and whitespace
 * collapsed, so a recurrence minutes or days later matches. Pure.
 *
 * @module
 */
import type { ErrorBlock } from "./parser.ts";

/** Characters of a block that make its key. */
export const DEDUP_KEY_CHARS = 200;

/** When each key was last emailed, in epoch milliseconds. */
export type SentTimes = Map<string, number>;

const DAY_MS = 24 * 60 * 60 * 1000;

// Dates and times of day anywhere in the text (a timestamp inside a message, an inner
// exception's own time), in the layouts the default `line_start` accepts.
const TIMESTAMPS =
  /\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?: ?[AP]M)?)?\b|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?[AP]M)?\b/g;

/**
 * The key of `block`: each line's `lineStart` match (its timestamp) and any
 * other date or time removed, whitespace collapsed, the first 200 characters.
 */
export function dedupKey(block: ErrorBlock, lineStart: RegExp): string {
  const start = new RegExp(lineStart.source, lineStart.flags.replace(/[gy]/g, ""));
  return block.lines
    .map((line) => line.replace(start, "").replace(TIMESTAMPS, ""))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, DEDUP_KEY_CHARS);
}

/** When `key` was emailed within the last `keepDays`, or undefined. */
export function sentWithin(
  sent: ReadonlyMap<string, number>,
  key: string,
  now: number,
  keepDays: number,
): number | undefined {
  const time = sent.get(key);
  return time !== undefined && now - time < keepDays * DAY_MS ? time : undefined;
}

/** `sent` without the keys emailed `keepDays` or longer ago. */
export function pruneSent(
  sent: ReadonlyMap<string, number>,
  now: number,
  keepDays: number,
): SentTimes {
  return new Map([...sent].filter(([, time]) => now - time < keepDays * DAY_MS));
}
