/**
 * Black-box runs of the CLI: spawn `deno run main.ts` as the user (or the
 * compiled exe) would, with an explicit permission set, and capture
 * everything it prints.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

/**
 * Exactly the compiled exe's runtime flags (`--allow-all` and its V8 heap
 * settings). End-to-end tests run main.ts with them, as the exe and the
 * scheduled tasks run, so the CLI's own narrowing is what they exercise: a
 * command that needs a kind of permission its row of
 * lib/permissions/table.ts does not keep fails here with NotCapable, not on
 * the Fusion PC.
 */
export { PRODUCT_FLAGS } from "../../lib/install/permissions.ts";

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
  /**
   * Run it so that permission bits apply to it even when the tests run as
   * root (see _helpers/unreadable.ts): for the tests of unreadable folders.
   */
  readonly respectPermissions?: boolean;
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

/** How `script` (main.ts) is run with `args`: the command line and the child's whole environment. */
export async function mainInvocation(
  args: readonly string[],
  options: Pick<RunMainOptions, "permissions" | "env">,
  script = MAIN,
): Promise<{ argv: string[]; env: Record<string, string> }> {
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
  return {
    argv: [
      Deno.execPath(),
      "run",
      "--quiet",
      "--config",
      CONFIG,
      ...options.permissions,
      script,
      ...args,
    ],
    env: { ...inherited, NO_COLOR: "1", ...options.env },
  };
}

async function mainCommand(
  args: readonly string[],
  options: RunMainOptions,
  script = MAIN,
): Promise<Deno.Command> {
  const { argv, env } = await mainInvocation(args, options, script);
  // Loaded only when asked for: its probe needs `--allow-sys=uid`, which most groups lack.
  const [command, commandArgs] = options.respectPermissions === true
    ? (await import("./unreadable.ts")).respectingPermissions(argv)
    : [argv[0] ?? "", argv.slice(1)];
  return new Deno.Command(command, {
    args: commandArgs,
    env,
    clearEnv: true,
    cwd: options.cwd ?? REPO_ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Starts `main.ts` with `args`; the caller owns the child (its output, status and signals). */
export async function startMain(
  args: readonly string[],
  options: RunMainOptions,
): Promise<Deno.ChildProcess> {
  return (await mainCommand(args, options)).spawn();
}

/** Runs `main.ts` with `args` in a child process. */
export function runMain(args: readonly string[], options: RunMainOptions): Promise<CliResult> {
  return runScript(MAIN, args, options);
}

/** Runs the module `script` (a path) with `args` in a child process set up as for main.ts. */
export async function runScript(
  script: string,
  args: readonly string[],
  options: RunMainOptions,
): Promise<CliResult> {
  const child = (await mainCommand(args, options, script)).spawn();
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

/** A long-running command (`monitor tail`) started by {@linkcode spawnMain}. */
export interface RunningMain {
  /** Stderr so far. */
  readonly stderr: string;
  /**
   * Resolves when stderr so far matches `pattern`. Rejects, with stderr in
   * the message, when the process ends first or after `timeoutMs`.
   */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the process to end by itself; returns what it printed and its exit code. */
  ended(): Promise<CliResult>;
  /** Sends `signal` and returns what the process printed and its exit code. */
  stop(signal: Deno.Signal): Promise<CliResult>;
}

/** Starts `main.ts` with `args` in a child process that runs until stopped. */
export async function spawnMain(
  args: readonly string[],
  options: Omit<RunMainOptions, "stdin">,
): Promise<RunningMain> {
  const child = (await mainCommand(args, options)).spawn();
  let stdout = "";
  let stderr = "";
  let ended = false;
  const changed = new Set<() => void>();
  const collect = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      add(text);
      for (const notify of changed) notify();
    }
  };
  const reading = Promise.all([
    collect(child.stdout, (text) => stdout += text),
    collect(child.stderr, (text) => stderr += text),
  ]);
  const status = child.status.then(async (status) => {
    await reading;
    ended = true;
    for (const notify of changed) notify();
    return status;
  });
  const result = async (): Promise<CliResult> => {
    const { code } = await status;
    return { code, stdout, stderr };
  };
  return {
    get stderr() {
      return stderr;
    },
    waitForStderr(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) finish();
          else if (ended) finish(`the process ended before stderr matched ${pattern}`);
        };
        const timer = setTimeout(
          () => finish(`stderr did not match ${pattern} within ${timeoutMs} ms`),
          timeoutMs,
        );
        const finish = (failure?: string) => {
          clearTimeout(timer);
          changed.delete(check);
          if (failure === undefined) resolve();
          else reject(new Error(`${failure}; stderr so far:\n${stderr}`));
        };
        changed.add(check);
        check();
      });
    },
    ended: result,
    stop(signal) {
      if (!ended) child.kill(signal);
      return result();
    },
  };
}
