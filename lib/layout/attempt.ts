/**
 * The attempt tag: which backup attempt wrote an object in S3. Every object
 * of a backup carries it as metadata `attempt`, beside `sha256`:
 * `instrument=<instrument>;started_at=<started_at>;revision=<N>` — the
 * instrument, the attempt's `started_at` and the revision it stores, as
 * the attempt's manifest records name them. With the manifest it tells an
 * unfinished attempt's own object (which a later attempt of the same
 * revision may replace) from anything else (never replaced). Pure.
 *
 * @module
 */
import { INSTRUMENT_NAME_PATTERN } from "./paths.ts";

/** One backup attempt, as its manifest records name it. */
export interface AttemptTag {
  readonly instrument: string;
  /** The attempt's `started_at` (ISO 8601 UTC, as the manifest writes it). */
  readonly startedAt: string;
  readonly revision: number;
}

const TAG = /^instrument=([^;]+);started_at=([0-9TZ:.-]+);revision=([1-9]\d*)$/;

/** The metadata value of `tag`. */
export function formatAttemptTag(tag: AttemptTag): string {
  return `instrument=${tag.instrument};started_at=${tag.startedAt};revision=${tag.revision}`;
}

/** The attempt a metadata value names, or undefined when it names none (absent, or not a tag). */
export function parseAttemptTag(text: string | undefined): AttemptTag | undefined {
  const match = TAG.exec(text ?? "");
  if (match === null) return undefined;
  const [, instrument = "", startedAt = "", revision = ""] = match;
  if (!INSTRUMENT_NAME_PATTERN.regex.test(instrument)) return undefined;
  return { instrument, startedAt, revision: Number(revision) };
}

/** `the attempt started T (revision N)`, for messages. */
export function describeAttempt(tag: AttemptTag): string {
  return `the attempt started ${tag.startedAt} (revision ${tag.revision})`;
}
