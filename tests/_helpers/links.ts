/**
 * Whether symbolic links can be made here, for the tests about links. Windows
 * lets only elevated accounts (or Developer Mode) create them, and Wine 8.0's
 * CreateSymbolicLinkW reports success while creating nothing: a probe link
 * in a temp folder decides.
 *
 * @module
 */
import { join } from "node:path";

async function symlinksWork(): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-link-probe-" });
  try {
    await Deno.writeTextFile(join(dir, "target"), "x");
    await Deno.symlink(join(dir, "target"), join(dir, "link"));
    return (await Deno.lstat(join(dir, "link"))).isSymlink;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** True when this account cannot create symbolic links: link tests pass it as `ignore`. */
export const CANNOT_SYMLINK: boolean = !(await symlinksWork());
