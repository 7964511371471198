/**
 * Peak resident memory for the benchmark's memory targets: of this process
 * (Linux VmHWM), or of a child process, measured by a tiny Python wrapper
 * (`getrusage(RUSAGE_CHILDREN)`), since Deno reads another process's
 * /proc entries only with --allow-all.
 *
 * @module
 */

/** Peak resident memory of this process so far, in MiB (Linux; current RSS elsewhere). */
export function peakRssMiB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match !== null) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return Deno.memoryUsage().rss / 1024 / 1024;
}

const WRAPPER = [
  "import resource, subprocess, sys",
  "code = subprocess.call(sys.argv[1:])",
  "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss",
  "print('fusion-bench-peak-rss-kib', peak, file=sys.stderr)",
  "sys.exit(code)",
].join("\n");

/** How a measured child process went. */
export interface MeasuredRun {
  readonly success: boolean;
  readonly seconds: number;
  /** Undefined when python3 is not there to measure it. */
  readonly peakMiB: number | undefined;
}

let pythonChecked: boolean | undefined;

async function hasPython(): Promise<boolean> {
  if (pythonChecked === undefined) {
    try {
      const probe = await new Deno.Command("python3", {
        args: ["-c", "import resource"],
        stdout: "null",
        stderr: "null",
      }).output();
      pythonChecked = probe.success;
    } catch {
      pythonChecked = false;
    }
  }
  return pythonChecked;
}

/**
 * Runs `command args...` to its end with stdout passed through, and measures
 * its wall time and peak RSS (the largest of it and its children, Linux).
 */
export async function runMeasured(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<MeasuredRun> {
  const measured = await hasPython();
  const start = performance.now();
  const child = new Deno.Command(measured ? "python3" : command, {
    args: measured ? ["-c", WRAPPER, command, ...args] : [...args],
    env,
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const output = await child.output();
  const seconds = (performance.now() - start) / 1000;
  let peakMiB: number | undefined;
  for (const line of new TextDecoder().decode(output.stderr).split("\n")) {
    const match = /^fusion-bench-peak-rss-kib (\d+)$/.exec(line);
    if (match !== null) peakMiB = Number(match[1]) / 1024;
    else if (line.trim() !== "") console.error(line);
  }
  return { success: output.success, seconds, peakMiB };
}
