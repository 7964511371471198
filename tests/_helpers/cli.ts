/**
 * Black-box runs of the CLI: spawn `deno run main.ts` as the user (or the
 * compiled exe) would, with an explicit permission set, and capture
 * everything it prints.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

/** The repository root. */
export const REPO_ROOT = fromFileUrl(new URL("../../", import.meta.url));
const MAIN = fromFileUrl(new URL("../../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../../deno.json", import.meta.url));

/** What the child inherits (DENO_DISABLE_NODE_SHIM: see scripts/wine/run.sh). */
const INHERITED_ENV = [
  "PATH",
  "HOME",
  "USERPROFILE",
  "DENO_DIR",
  "DENO_DISABLE_NODE_SHIM",
  "SystemRoot",
  "TEMP",
  "TMP",
];

/** What one CLI run printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode runMain}. */
export interface RunMainOptions {
  /** Deno permission flags, e.g. `["--allow-read"]`. Exactly these are granted. */
  readonly permissions: readonly string[];
  /** Environment of the child; of the test's, it inherits only {@linkcode INHERITED_ENV}. */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly stdin?: string;
}

/** Runs `main.ts` with `args` in a child process. */
export async function runMain(
  args: readonly string[],
  options: RunMainOptions,
): Promise<CliResult> {
  const inherited: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--config", CONFIG, ...options.permissions, MAIN, ...args],
    env: { ...inherited, NO_COLOR: "1", ...options.env },
    clearEnv: true,
    cwd: options.cwd ?? REPO_ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
