/**
 * Folders a process cannot read, for the tests of unreadable folders. The
 * tests make a folder unreadable with `chmod 000`; what must meet it runs in
 * a child process:
 *
 * - as a normal user, the child needs nothing more;
 * - as root (as the tests run here), root ignores permission bits, so the
 *   child runs under `setpriv` without the two capabilities that let it
 *   (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, dropped from the bounding set
 *   before exec): the kernel then checks its reads like any user's, and the
 *   owner bits of root's own files apply. (Switching to `nobody` does not
 *   work here: the Deno cache lives in root's 0700 home.)
 * - Windows has no permission bits; denying a folder needs an ACL (icacls),
 *   which Wine does not enforce. The tests are skipped there.
 *
 * @module
 */

const DROP = ["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"];

async function probe(): Promise<{ prefix: string[] } | { reason: string }> {
  if (Deno.build.os === "windows") {
    return { reason: "Windows has no permission bits, and Wine does not enforce ACLs" };
  }
  if (Deno.uid() !== 0) return { prefix: [] };
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-unreadable-probe-" });
  try {
    await Deno.mkdir(`${dir}/closed`, { mode: 0o000 });
    await Deno.chmod(`${dir}/closed`, 0o000);
    const output = await new Deno.Command("setpriv", {
      args: [...DROP, "ls", `${dir}/closed`],
      stdout: "null",
      stderr: "null",
    }).output();
    // ls fails (2) when the folder is unreadable to it: what the tests need.
    return output.code === 2
      ? { prefix: ["setpriv", ...DROP] }
      : { reason: "running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here" };
  } catch {
    return { reason: "running as root, and setpriv is not available to drop CAP_DAC_OVERRIDE" };
  } finally {
    await Deno.chmod(`${dir}/closed`, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

const probed = await probe();

/** Why unreadable folders cannot be tested here (see the module doc), if they cannot. */
export const UNREADABLE_SKIP_REASON: string | undefined = "reason" in probed
  ? probed.reason
  : undefined;

/** True when unreadable folders cannot be tested here: tests pass it as `ignore`. */
export const CANNOT_UNREAD: boolean = UNREADABLE_SKIP_REASON !== undefined;

/** The command and arguments that run `argv` so that permission bits apply to it. */
export function respectingPermissions(argv: readonly string[]): [string, string[]] {
  const prefix = "prefix" in probed ? probed.prefix : [];
  const [command, ...args] = [...prefix, ...argv];
  return [command ?? "", args];
}
