/**
 * A share that runs full for real: a tmpfs of a chosen size (and number of
 * files), mounted over the share folder in a new user and mount namespace
 * (`unshare -rm`, which Linux lets any user make), for as long as a script
 * runs in it. Nothing outside that script sees the mount; what the test
 * must look at afterwards, the script copies out. Windows (and Wine) have no
 * such thing: the tests are skipped there, and where `unshare` is not
 * allowed (some containers).
 *
 * @module
 */
import { join } from "node:path";

async function probe(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-tmpfs-probe-" });
  try {
    const output = await new Deno.Command("unshare", {
      args: ["-rm", "sh", "-c", `mount -t tmpfs -o size=1m tmpfs '${dir}'`],
      stdout: "null",
      stderr: "null",
    }).output();
    return output.code === 0;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** True when no small file system can be mounted here: tests pass it as `ignore`. */
export const CANNOT_MOUNT: boolean = !(await probe());

/** `'…'` for a shell, whatever the text holds. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

/** What the script left: its exit status, stdout and stderr. */
export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the bash `script` with `share` mounted as a tmpfs with `mountOptions`
 * (e.g. `size=4m`, `size=8m,nr_inodes=50`), in `env` (and nothing else).
 */
export async function inSmallShare(
  share: string,
  mountOptions: string,
  script: string,
  env: Record<string, string>,
): Promise<ScriptResult> {
  const whole = `set -u\nmount -t tmpfs -o ${mountOptions} tmpfs ${shellQuote(share)}\n${script}`;
  const output = await new Deno.Command("unshare", {
    args: ["-rm", "bash", "-c", whole],
    env,
    clearEnv: true,
    cwd: join(share, ".."),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
