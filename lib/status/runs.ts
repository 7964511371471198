/**
 * The job history: one JSON line per finished job run (backup, cleanup,
 * audit, monitor...) in `<config dir>/state/runs.jsonl`, so `status` can say
 * when each last ran and how it ended. Scheduled tasks have no console; the
 * log files say the same at length.
 *
 * @module
 */
import { join } from "node:path";

/** One finished job run. */
export interface RunRecord {
  /** The command, e.g. "backup run". */
  readonly job: string;
  readonly started_at: string;
  readonly finished_at: string;
  readonly exit_code: number;
  /** One line: what happened, e.g. "2 studies backed up" or "1 of 3 studies failed". */
  readonly summary: string | null;
}

/** `<config dir>/state/runs.jsonl`. */
export function runsFilePath(configDir: string): string {
  return join(configDir, "state", "runs.jsonl");
}

/** Appends one run to the history, creating `state/`. */
export async function appendRun(configDir: string, run: RunRecord): Promise<void> {
  await Deno.mkdir(join(configDir, "state"), { recursive: true });
  await Deno.writeTextFile(runsFilePath(configDir), `${JSON.stringify(run)}\n`, { append: true });
}

function isRun(value: unknown): value is RunRecord {
  if (typeof value !== "object" || value === null) return false;
  const run = value as Record<string, unknown>;
  return typeof run.job === "string" && typeof run.started_at === "string" &&
    typeof run.finished_at === "string" && typeof run.exit_code === "number" &&
    (run.summary === null || typeof run.summary === "string");
}

/** The latest run of each job; lines that cannot be read (a torn last line) are skipped. */
export async function lastRuns(configDir: string): Promise<Map<string, RunRecord>> {
  let text: string;
  try {
    text = await Deno.readTextFile(runsFilePath(configDir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
  const runs = new Map<string, RunRecord>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRun(value)) runs.set(value.job, value);
    } catch {
      // a line torn by a crash: the run before it still counts
    }
  }
  return runs;
}
