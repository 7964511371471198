/**
 * What every command needs from the outside world, behind a thin layer so
 * in-process tests can capture output and control the environment.
 *
 * @module
 */
import type { EnvReader } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Job } from "./_job.ts";
import type { CliPermissions } from "./_permissions.ts";
import type { StatusLine } from "./_progress.ts";

/** The process's standard streams. */
export interface Io {
  /** Writes text to stdout as is. */
  out(text: string): void;
  /** Writes text to stderr as is. */
  err(text: string): void;
  /** Whether stderr is a terminal (progress lines are drawn only there). */
  readonly stderrIsTerminal: boolean;
}

/** Shared by the commands of one run. */
export interface CliContext {
  readonly io: Io;
  readonly logger: Logger;
  /** The terminal's status line; log lines print above it. */
  readonly status: StatusLine;
  readonly env: EnvReader;
  /** The narrowing of this run's Deno permissions to the command's row. */
  readonly permissions: CliPermissions;
  /** The exit code the command chose; the error funnel overrides it on a throw. */
  exitCode: number;
  /** The config-driven job running, once it started; the error funnel finishes it on a throw. */
  job?: Job;
}

function writeAll(stream: { writeSync(data: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}

/** The real standard streams. */
export function denoIo(): Io {
  return {
    out: (text) => writeAll(Deno.stdout, text),
    err: (text) => writeAll(Deno.stderr, text),
    stderrIsTerminal: Deno.stderr.isTerminal(),
  };
}
