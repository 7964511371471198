/**
 * Errors a user can cause, each carrying the exit code of its kind
 * (docs/design.md, "Exit codes").
 * Library code throws these and never exits; the CLI's error funnel turns them
 * into one stderr line and the process exit code.
 *
 * @module
 */

/** The exit codes, the same for every command; scripts and scheduled tasks rely on them. */
export const ExitCode = {
  /** Success. */
  ok: 0,
  /** Validation failure, failed runs, failed hook, stale study locks. */
  failure: 1,
  /** Config or usage error, missing path argument, lock held. */
  usage: 2,
  /** Unexpected runtime error. */
  unexpected: 3,
} as const;

/** One of the exit codes. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** An error whose message is written for the user and says what to do next. */
export class ToolkitError extends Error {
  /** The process exit code this error maps to. */
  readonly exitCode: ExitCodeValue;

  constructor(message: string, exitCode: ExitCodeValue, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A bad command line: unknown flag, bad value, a path argument that does not exist. */
export class UsageError extends ToolkitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.usage, options);
  }
}

/** A missing, malformed or invalid config file. */
export class ConfigError extends ToolkitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.usage, options);
  }
}

/** An exclusive lock that another process holds. */
export class LockHeldError extends ToolkitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.usage, options);
  }
}

/** An operation that ran and failed in a way the operator must look at (exit 1). */
export class OperationFailedError extends ToolkitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.failure, options);
  }
}

/** The message of any thrown value, for one-line reports. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
