/**
 * Narrowing the running process: revokes, for the rest of its life, every
 * kind of Deno permission a command does not keep.
 *
 * Revoking leaves Deno's allow-all *flag* as it was: on Windows, that flag
 * (not the grants) is what lets Deno 2.9 open a UNC path, so a command that
 * keeps `read`/`write` still reaches `\\truenas\share` after narrowing.
 *
 * @module
 */
import { type KeptKind, keptKinds, PERMISSION_KINDS, type PermissionRow } from "./table.ts";
import type { Config } from "../config/mod.ts";

/** Narrows the process to the kinds in `keep`. */
export type Narrow = (keep: ReadonlySet<KeptKind>) => void;

/** Revokes every kind of permission not in `keep`, whatever the process was started with. */
export const revokeAllBut: Narrow = (keep) => {
  for (const name of PERMISSION_KINDS) {
    if (!keep.has(name as KeptKind)) Deno.permissions.revokeSync({ name });
  }
};

/**
 * Narrows the process to `row` through `narrow` (by default for real); with
 * the loaded config's `hooks`, `run` goes too when the row keeps it only for
 * a hook the config does not set.
 */
export function narrowTo(
  row: PermissionRow,
  hooks?: Config["hooks"],
  narrow: Narrow = revokeAllBut,
): void {
  narrow(keptKinds(row, hooks));
}
