/**
 * Black-box runs of the CLI: spawn `deno run main.ts` as the user (or the
 * compiled exe) would, with an explicit permission set, and capture
 * everything it prints.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { PRODUCT_PERMISSIONS } from "../../lib/install/permissions.ts";

/**
 * Exactly the permissions the compiled exe has. End-to-end tests that run
 * main.ts as the product runs pass these, so a permission the program needs
 * but the exe lacks fails CI instead of the Fusion PC.
 */
export const PRODUCT_FLAGS: readonly string[] = PRODUCT_PERMISSIONS;

/** The repository root. */
export const REPO_ROOT = fromFileUrl(new URL("../../", import.meta.url));
const MAIN = fromFileUrl(new URL("../../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../../deno.json", import.meta.url));

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
  /**
   * Environment of the child; it does not inherit the test's, except PATH, HOME, USERPROFILE,
   * SystemRoot, TEMP, TMP, DENO_DISABLE_NODE_SHIM and the Deno cache (DENO_DIR).
   */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly stdin?: string;
}

let denoDirOfTests: Promise<string> | undefined;

/**
 * The Deno cache this test process uses. Children get it as DENO_DIR, so a
 * test that points HOME at a temp folder (to keep ~/.config out of the real
 * home) still finds the cached npm packages instead of downloading them.
 */
function denoDir(): Promise<string> {
  denoDirOfTests ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv !== undefined) return fromEnv;
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  })();
  return denoDirOfTests;
}

/** Runs `main.ts` with `args` in a child process. */
export async function runMain(
  args: readonly string[],
  options: RunMainOptions,
): Promise<CliResult> {
  const inherited: Record<string, string> = { DENO_DIR: await denoDir() };
  // DENO_DISABLE_NODE_SHIM keeps the Windows lane's deno.exe from copying itself (scripts/wine).
  const names = [
    "PATH",
    "HOME",
    "USERPROFILE",
    "SystemRoot",
    "TEMP",
    "TMP",
    "DENO_DISABLE_NODE_SHIM",
  ];
  for (const name of names) {
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
