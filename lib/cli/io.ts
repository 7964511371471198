/**
 * The process's standard streams, behind a thin layer so in-process tests can
 * capture output.
 *
 * @module
 */

/** The process's standard streams. */
export interface Io {
  /** Writes text to stdout as is. */
  out(text: string): void;
  /** Writes text to stderr as is. */
  err(text: string): void;
  /** Whether stderr is a terminal (progress lines are drawn only there). */
  readonly stderrIsTerminal: boolean;
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
