/**
 * Child process of narrow_test.ts, started with `--allow-all` as the exe is:
 * runs one command line through the real CLI (`runCli`, with its default
 * narrowing, as main.ts does), then tries every kind of permission and prints
 * one JSON line: the command's exit code and stderr, and per kind whether it
 * was still `kept` or `revoked` (NotCapable).
 *
 * Usage: `_probe_child.ts <probe dir> <command line ...>`; `<probe dir>/probe.txt`
 * must exist. The CLI sees the real environment except `SystemRoot`, which
 * points into the probe dir: `install tasks --uninstall` on a Windows
 * developer's machine then finds no schtasks.exe instead of deleting tasks.
 *
 * @module
 */
import { join } from "node:path";
import { runCli } from "../../lib/cli/mod.ts";
import { PERMISSION_KINDS, type PermissionKind } from "../../lib/permissions/mod.ts";
import { type RetryPolicy, withRetries } from "../../lib/storage/_retry.ts";

/** What a probe found: the kind still works, Deno refused it, or something else went wrong. */
export type ProbeResult = "kept" | "revoked" | `failed: ${string}`;

/** The output line of this child. */
export interface ProbeReport {
  readonly code: number;
  readonly stderr: string;
  readonly probes: Record<PermissionKind, ProbeResult>;
}

const [dir, ...args] = Deno.args;
if (dir === undefined) throw new Error("usage: _probe_child.ts <probe dir> <command line ...>");
// Both need read: taken before the command narrows the process.
const execPath = Deno.execPath();
const realEnv = Deno.env;

/**
 * Wine, on a loaded machine, now and then fails a spawn with "Internal error
 * (os error 1359)" after the permission check passed: such a failure is tried
 * again, a refusal (NotCapable) never, and a spawn that keeps failing still
 * fails the probe.
 */
const SPAWN_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 2_000 };

/** One attempt per kind; each touches only what the probe dir and this process own. */
const ATTEMPTS: Record<PermissionKind, () => unknown> = {
  read: () => Deno.readTextFile(join(dir, "probe.txt")),
  write: () => Deno.writeTextFile(join(dir, "written.txt"), "written\n"),
  net: () => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close(),
  env: () => realEnv.get("PATH"),
  sys: () => Deno.hostname(),
  run: () =>
    withRetries(
      SPAWN_RETRY,
      () => new Deno.Command(execPath, { args: ["--version"], stdout: "null" }).output(),
      { isTransient: (error) => !(error instanceof Deno.errors.NotCapable) },
    ),
  // Past the permission check, loading a library that is not there fails: the kind was kept.
  ffi: () => Deno.dlopen(join(dir, "no-such-library"), {}),
  // Computed, so Deno cannot fetch it before the program starts; past the check, port 9 refuses.
  import: () => import(["http://127.0.0.1:9", "probe.ts"].join("/")),
};

async function probe(kind: PermissionKind): Promise<ProbeResult> {
  try {
    await ATTEMPTS[kind]();
    return "kept";
  } catch (error) {
    const { name, message } = error as Error;
    if (error instanceof Deno.errors.NotCapable) return "revoked";
    // A refused dynamic import is a TypeError naming the permission.
    if (kind === "import") return /Requires import access/.test(message) ? "revoked" : "kept";
    if (kind === "ffi") return "kept";
    return `failed: ${name}: ${message}`;
  }
}

let stderr = "";
const code = await runCli(args, {
  io: { out: () => {}, err: (text) => stderr += text, stderrIsTerminal: false },
  env: {
    get: (name) =>
      name.toLowerCase() === "systemroot" ? join(dir, "no-windows") : realEnv.get(name),
  },
});
const probes = {} as Record<PermissionKind, ProbeResult>;
for (const kind of PERMISSION_KINDS) probes[kind] = await probe(kind);
const report: ProbeReport = { code, stderr, probes };
console.log(JSON.stringify(report));
