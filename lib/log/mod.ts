/**
 * The logger: levels, a console sink, a monthly log file under the config
 * folder (scheduled tasks have no console), and a subscriber point through
 * which notify receives WARNING and ERROR records for `toolkit_error`.
 *
 * @module
 */
import { join } from "node:path";

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warning" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

/** True when `level` is `minimum` or more severe. */
export function isAtLeast(level: LogLevel, minimum: LogLevel): boolean {
  return RANK[level] >= RANK[minimum];
}

/** One log event, as subscribers receive it. */
export interface LogRecord {
  readonly time: Date;
  readonly level: LogLevel;
  readonly message: string;
  /** The error behind the record, if any; its cause chain goes to the file. */
  readonly error?: unknown;
}

/** Receives every record at or above the console's lowest level. Must not throw. */
export type LogSubscriber = (record: LogRecord) => void;

/** Where the logger writes and how it reads the clock; tests pass their own. */
export interface LoggerOptions {
  /** Writes one console line (stderr in the program). */
  readonly console?: (line: string) => void;
  /** Debug records are kept only when verbose. */
  readonly verbose?: boolean;
  readonly clock?: () => Date;
}

/** `YYYY-MM` of a date in UTC: the month of a log or manifest file. */
export function monthOf(time: Date): string {
  return time.toISOString().slice(0, 7);
}

/** The message of an error and of each error in its `cause` chain, joined. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(" <- ");
}

/** The logger one command run uses; pass it down, never make it global. */
export class Logger {
  readonly #console: (line: string) => void;
  readonly #clock: () => Date;
  readonly #subscribers = new Set<LogSubscriber>();
  #verbose: boolean;
  #fileDir: string | undefined;
  #fileFailed = false;
  #dispatching = false;

  constructor(options: LoggerOptions = {}) {
    this.#console = options.console ?? (() => {});
    this.#clock = options.clock ?? (() => new Date());
    this.#verbose = options.verbose ?? false;
  }

  /** Whether debug records and stacks are kept. */
  get verbose(): boolean {
    return this.#verbose;
  }

  set verbose(value: boolean) {
    this.#verbose = value;
  }

  /** Also write every record to `<dir>/YYYY-MM.log` (the month of each record). */
  attachFile(dir: string): void {
    this.#fileDir = dir;
  }

  /** The log file the next record goes to, if a file is attached. */
  get filePath(): string | undefined {
    return this.#fileDir === undefined
      ? undefined
      : join(this.#fileDir, `${monthOf(this.#clock())}.log`);
  }

  /** Calls `subscriber` with every record from now on; returns the unsubscribe function. */
  subscribe(subscriber: LogSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  debug(message: string, error?: unknown): void {
    this.#log("debug", message, error);
  }

  info(message: string, error?: unknown): void {
    this.#log("info", message, error);
  }

  warn(message: string, error?: unknown): void {
    this.#log("warning", message, error);
  }

  error(message: string, error?: unknown): void {
    this.#log("error", message, error);
  }

  #log(level: LogLevel, message: string, error: unknown): void {
    if (level === "debug" && !this.#verbose) return;
    const record: LogRecord = error === undefined
      ? { time: this.#clock(), level, message }
      : { time: this.#clock(), level, message, error };
    this.#console(level === "info" ? message : `${level}: ${message}`);
    this.#writeFile(record);
    // A subscriber that logs (notify reporting a failed send) must not feed itself.
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (const subscriber of this.#subscribers) {
        try {
          subscriber(record);
        } catch (failure) {
          this.#console(`warning: a log subscriber failed: ${describeError(failure)}`);
        }
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #writeFile(record: LogRecord): void {
    if (this.#fileDir === undefined || this.#fileFailed) return;
    let line = `${record.time.toISOString()} ${
      record.level.toUpperCase().padEnd(7)
    } ${record.message}`;
    if (record.error !== undefined) {
      line += ` | ${describeError(record.error)}`;
      if (this.#verbose && record.error instanceof Error && record.error.stack !== undefined) {
        line += `\n${record.error.stack}`;
      }
    }
    try {
      Deno.mkdirSync(this.#fileDir, { recursive: true });
      Deno.writeTextFileSync(join(this.#fileDir, `${monthOf(record.time)}.log`), `${line}\n`, {
        append: true,
      });
    } catch (failure) {
      // A full or read-only disk must not stop the job; say so once on the console.
      this.#fileFailed = true;
      this.#console(
        `warning: cannot write the log file in ${this.#fileDir}: ${describeError(failure)}`,
      );
    }
  }
}
