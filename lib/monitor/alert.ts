/**
 * An error block as a person reads it: a one-line title, its sample and
 * cycle, and the `fusion_error` alert that emails it (pure), and the
 * deliver function of a tail that sends it.
 *
 * @module
 */
import type { Alert, Notifier } from "../notify/mod.ts";
import type { ErrorBlock } from "./parser.ts";

/**
 * The block's first line without its `lineStart` match (the timestamp) and
 * the separators after it, e.g. `[12] ERROR Akoya.Fusion.Imaging - Exposure failed`.
 */
export function blockTitle(block: ErrorBlock, lineStart: RegExp): string {
  const first = block.lines[0] ?? "";
  const start = new RegExp(lineStart.source, lineStart.flags.replace(/[gy]/g, ""));
  const title = first.replace(start, "").replace(/^[\s|:;,\]-]+/, "").trim();
  return title === "" ? first.trim() : title;
}

/** ` (sample S12, cycle 7)`, the parts known, or an empty string. */
export function describeContext(block: ErrorBlock): string {
  const parts: string[] = [];
  if (block.sample !== undefined) parts.push(`sample ${block.sample}`);
  if (block.cycle !== undefined) parts.push(`cycle ${block.cycle}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/** The `fusion_error` alert for `block`, found in `logPath`. */
export function blockAlert(block: ErrorBlock, logPath: string, lineStart: RegExp): Alert {
  const excerpt = [...block.lines];
  if (block.omittedLines > 0) excerpt.push(`... ${block.omittedLines} more lines not shown`);
  const context = block.sample === undefined
    ? "No sample was named in the log before this error."
    : "Sample and cycle are the last ones the log named before this error.";
  return {
    title: blockTitle(block, lineStart),
    lines: [`The instrument logged an error in ${logPath}.`, context],
    excerpt: excerpt.join("\n"),
    ...(block.sample === undefined ? {} : { sample: block.sample }),
    ...(block.cycle === undefined ? {} : { cycle: block.cycle }),
  };
}

/**
 * A tail's `deliver`: emails each block as `fusion_error` through
 * `notifier`; true when it was sent. Never throws (the notifier does not).
 */
export function emailFusionErrors(
  notifier: Notifier,
  logPath: string,
  lineStart: RegExp,
): (block: ErrorBlock) => Promise<boolean> {
  return async (block) => {
    const outcome = await notifier.send("fusion_error", blockAlert(block, logPath, lineStart));
    return outcome.status === "sent";
  };
}
