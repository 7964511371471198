/**
 * The cleanup ledger: `<manifest_root>/cleanup-YYYY-MM.jsonl` (the month of
 * the line, UTC), one JSON object per line, appended and flushed like the
 * manifest. Every eviction writes `eviction_started` before the folder is
 * touched, then `evicted` or `eviction_failed`.
 *
 * @module
 */
import { join } from "node:path";
import { compareNames } from "../fs/mod.ts";
import { appendJsonLine } from "../manifest/mod.ts";

/** What a ledger line records. */
export type LedgerEvent = "eviction_started" | "evicted" | "eviction_failed";

/** One line of the cleanup ledger. */
export interface LedgerLine {
  readonly event: LedgerEvent;
  /** `<instrument>/<study>`. */
  readonly backup_name: string;
  /** The backup's folder on the share. */
  readonly path: string;
  /** Where the eviction moved it before deleting (`<instrument>/.evicting/<study>`). */
  readonly evicting_path: string;
  /** Files and bytes of the folder (for `eviction_failed`: what was found before deleting). */
  readonly files: number;
  readonly bytes: number;
  /** The backup's `completed_at` and `s3_uri` from the manifest; null when the manifest lacks them. */
  readonly completed_at: string | null;
  readonly s3_uri: string | null;
  /** When this eviction began; `evicted_at` when it ended with the folder gone, else null. */
  readonly started_at: string;
  readonly evicted_at: string | null;
  /** The share's size and its free bytes and percentage before, and after (null until known). */
  readonly share_bytes: number;
  readonly free_before_bytes: number;
  readonly free_before_pct: number;
  readonly free_after_bytes: number | null;
  readonly free_after_pct: number | null;
  /** True when this run finished an eviction an earlier run could not. */
  readonly resumed: boolean;
  /** Which machine ran it. */
  readonly host: string;
  /** Why an eviction failed; null otherwise. */
  readonly error: string | null;
}

/** `cleanup-YYYY-MM.jsonl` for a line written at `at` (UTC). */
export function ledgerFileName(at: Date): string {
  return `cleanup-${at.toISOString().slice(0, 7)}.jsonl`;
}

/**
 * Appends `line` to the month's ledger in `manifestRoot`, flushed to disk.
 *
 * @returns the file written.
 */
export async function appendLedgerLine(
  manifestRoot: string,
  line: LedgerLine,
  at: Date,
): Promise<string> {
  await Deno.mkdir(manifestRoot, { recursive: true });
  const path = join(manifestRoot, ledgerFileName(at));
  await appendJsonLine(path, line);
  return path;
}

/** A percentage as the ledger stores it: two decimals. */
export function ledgerPercent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

/** A ledger file's name: `cleanup-YYYY-MM.jsonl`. */
const LEDGER_FILE_PATTERN = /^cleanup-\d{4}-\d{2}\.jsonl$/;

const LEDGER_EVENTS: readonly string[] = ["eviction_started", "evicted", "eviction_failed"];

function isLedgerLine(value: unknown): value is LedgerLine {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const line = value as Record<string, unknown>;
  return LEDGER_EVENTS.includes(line.event as string) && typeof line.backup_name === "string" &&
    typeof line.started_at === "string" && typeof line.bytes === "number" &&
    (line.evicted_at === null || typeof line.evicted_at === "string");
}

/**
 * Every line of every ledger file in `manifestRoot`, oldest month first. Lines
 * that cannot be read (a torn last line) are counted, not thrown; a folder
 * that does not exist reads as empty.
 */
export async function readLedger(
  manifestRoot: string,
): Promise<{ lines: LedgerLine[]; unreadable: number }> {
  const lines: LedgerLine[] = [];
  let unreadable = 0;
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(manifestRoot)))
      .filter((entry) => entry.isFile && LEDGER_FILE_PATTERN.test(entry.name))
      .map((entry) => entry.name).sort(compareNames);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { lines, unreadable };
    throw error;
  }
  for (const name of names) {
    for (const raw of (await Deno.readTextFile(join(manifestRoot, name))).split("\n")) {
      if (raw.trim() === "") continue;
      try {
        const value: unknown = JSON.parse(raw);
        if (isLedgerLine(value)) lines.push(value);
        else unreadable++;
      } catch {
        unreadable++;
      }
    }
  }
  return { lines, unreadable };
}
