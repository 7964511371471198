/**
 * Whether symbolic links can be made here, for the tests about links. Windows
 * lets only elevated accounts (or Developer Mode) create them, and Wine 8.0's
 * CreateSymbolicLinkW reports success while creating nothing: a probe link
 * in a temp folder decides.
 *
 * @module
 */
import { symlinkSync } from "node:fs";
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

/**
 * Whether Windows directory junctions can be made here: off Windows there are
 * none, and Wine may not create them; a probe junction decides. Unlike a
 * symbolic link, a junction needs no privilege on Windows, so an operator may
 * well have one.
 */
async function junctionsWork(): Promise<boolean> {
  if (Deno.build.os !== "windows") return false;
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-junction-probe-" });
  try {
    await Deno.mkdir(join(dir, "target"));
    symlinkSync(join(dir, "target"), join(dir, "junction"), "junction");
    return (await Deno.lstat(join(dir, "junction"))).isSymlink;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** True when no directory junction can be made here: junction tests pass it as `ignore`. */
export const CANNOT_JUNCTION: boolean = !(await junctionsWork());
