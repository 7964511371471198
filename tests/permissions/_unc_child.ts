/**
 * Child process of unc_test.ts, started with `--allow-all`: revokes only ffi
 * and import, kinds most commands never use, through the product's
 * `revokeAllBut`, then tries to open a file on the share and to stat the
 * share's folder, and prints what each did as one JSON line.
 *
 * Usage: `_unc_child.ts <folder on a share holding probe.txt>`.
 *
 * @module
 */
import { join } from "node:path";
import { revokeAllBut } from "../../lib/permissions/mod.ts";

const [folder] = Deno.args;
if (folder === undefined) throw new Error("usage: _unc_child.ts <folder on a share>");

async function attempt(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
    return "ok";
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

revokeAllBut(new Set(["read", "write", "net", "env", "sys", "run"]));
console.log(JSON.stringify({
  readFile: await attempt(() => Deno.readTextFile(join(folder, "probe.txt"))),
  stat: await attempt(() => Deno.stat(folder)),
}));
