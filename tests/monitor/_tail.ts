/**
 * A tail on `<dir>/Fusion.log` for the tail and rotation tests: deliveries
 * are recorded, log lines captured, and the clock is injected (tests move
 * it). Disposing the harness (`using`) closes the log file the tail holds,
 * so the temp folder can be removed on Windows too.
 *
 * @module
 */
import { join } from "node:path";
import { Logger } from "../../lib/log/mod.ts";
import { type ErrorBlock, LogTail, monitorStatePath } from "../../lib/monitor/mod.ts";
import { DEFAULT_PATTERNS } from "./_patterns.ts";

/** The harness's `rotationGraceSeconds`, unless a test gives its own. */
export const GRACE_SECONDS = 60;

/** A tail whose deliveries, log lines and clock the test sees. */
export interface Harness extends Disposable {
  readonly tail: LogTail;
  readonly log: string;
  readonly delivered: ErrorBlock[];
  readonly lines: string[];
  /** The injected clock's time; tests move it. */
  now: number;
}

/** Opens a tail on `<dir>/<logName>` (Fusion.log) with its state in `<dir>/state/`. */
export async function openTail(
  dir: string,
  options: {
    readonly deliver?: (block: ErrorBlock) => Promise<boolean>;
    readonly now?: number;
    readonly sentKeepDays?: number;
    readonly rotationGraceSeconds?: number;
    readonly logName?: string;
  } = {},
): Promise<Harness> {
  const delivered: ErrorBlock[] = [];
  const lines: string[] = [];
  const harness = { delivered, lines, now: options.now ?? Date.parse("2025-03-01T12:00:00Z") };
  const clock = () => new Date(harness.now);
  const log = join(dir, options.logName ?? "Fusion.log");
  const tail = await LogTail.open({
    logPath: log,
    patterns: DEFAULT_PATTERNS,
    pollSeconds: 0.01,
    sentKeepDays: options.sentKeepDays ?? 30,
    rotationGraceSeconds: options.rotationGraceSeconds ?? GRACE_SECONDS,
    stateFile: monitorStatePath(dir),
    logger: new Logger({ console: (line) => lines.push(line), verbose: true, clock }),
    clock,
    deliver: options.deliver ?? ((block) => {
      delivered.push(block);
      return Promise.resolve(true);
    }),
  });
  return Object.assign(harness, { tail, log, [Symbol.dispose]: () => tail.close() });
}

/** The first line of each block. */
export function firstLines(blocks: readonly ErrorBlock[]): string[] {
  return blocks.map((block) => block.lines[0] ?? "");
}

/** A log with no errors yet, so a first start has no history to skip. */
export async function startEmpty(dir: string): Promise<Harness> {
  await Deno.writeTextFile(join(dir, "Fusion.log"), "");
  const harness = await openTail(dir);
  await harness.tail.poll();
  return harness;
}

/** Appends `text` to `file`, opening and closing it. */
export const append = (file: string, text: string): Promise<void> =>
  Deno.writeTextFile(file, text, { append: true });
