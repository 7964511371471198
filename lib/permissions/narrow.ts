/**
 * Narrowing the running process: revokes, for the rest of its life, every
 * kind of Deno permission a command does not keep; on Windows, only where
 * that cannot break the command.
 *
 * Deno 2.9 on Windows lets a program stat, list, create, rename, copy into
 * or ask the free space of a path on a share (`\\truenas\share`; a drive
 * letter mapped to one too, by denoland/deno#24703) only while it holds
 * every permission: with `--allow-all`, and nothing revoked since. Revoking
 * any single kind, even `ffi`, makes those calls fail with "Requires all
 * access" (measured under Wine: tests/permissions/unc_test.ts), while
 * opening a file there still works. Under Wine the same revocation also
 * makes opening a file fail (os error 234) once its folder's path passes 260
 * characters; real Windows is unproven. So on Windows the commands that work
 * on the share keep everything (their row's `windows` says why), and so does
 * any other command whose paths include a network share; the debug log says
 * so.
 *
 * @module
 */
import { win32 } from "node:path";
import type { Config } from "../config/mod.ts";
import { type KeptKind, keptKinds, PERMISSION_KINDS, type PermissionRow } from "./table.ts";

/** Narrows the process to the kinds in `keep`. */
export type Narrow = (keep: ReadonlySet<KeptKind>) => void;

/** Revokes every kind of permission not in `keep`, whatever the process was started with. */
export const revokeAllBut: Narrow = (keep) => {
  for (const name of PERMISSION_KINDS) {
    if (!keep.has(name as KeptKind)) Deno.permissions.revokeSync({ name });
  }
};

/** What a command's narrowing depends on. */
export interface NarrowFacts {
  /** The paths it works on: on Windows, one on a network share keeps every permission. */
  readonly paths?: readonly string[];
  /** The loaded config's hooks: without the row's hook, `run` goes too. */
  readonly hooks?: Config["hooks"];
}

/** What {@linkcode narrowTo} did: the kinds kept, or why it kept everything. */
export type Narrowed =
  | { readonly kept: ReadonlySet<KeptKind> }
  | { readonly keptAll: string };

/**
 * Whether `path`, as spelled, is a UNC path (`\\host\share`, `//host/share`,
 * `\\?\UNC\host\share`) rather than a drive path (`C:\`, `\\?\C:\`). Pure.
 */
export function isUncSpelling(path: string): boolean {
  return /^[\\/]{2}/.test(path) && !/^[\\/]{2}[?.][\\/][A-Za-z]:/.test(path);
}

/**
 * Whether the Windows path `path` is on a network share: spelled as UNC, or
 * on a drive whose real path is UNC (a mapped share). A drive that does not
 * exist yet counts as a share: a `[hooks]` command may map it later.
 */
function isOnShare(path: string): boolean {
  const absolute = win32.resolve(path);
  if (isUncSpelling(absolute)) return true;
  for (let at = absolute;; at = win32.dirname(at)) {
    try {
      return isUncSpelling(Deno.realPathSync(at));
    } catch {
      // Not there (yet): ask its parent, up to the drive's root.
      if (win32.dirname(at) === at) return true;
    }
  }
}

/** The first of `paths` on a network share, on Windows; undefined elsewhere. */
export function networkPathAmong(paths: readonly string[]): string | undefined {
  if (Deno.build.os !== "windows") return undefined;
  return paths.find(isOnShare);
}

/**
 * The paths of a config that a command off the share works on: its folder,
 * Fusion.log, the recipients, the SMTP CA file. The share and the studies
 * belong to the commands whose row keeps everything on Windows anyway.
 */
export function configPaths(config: Config): string[] {
  const paths = [config.dir, config.monitor.logPath, config.notify.recipientsDir];
  if (config.notify.smtpCaFile !== undefined) paths.push(config.notify.smtpCaFile);
  // An unset log_path is "": no path.
  return paths.filter((path) => path !== "");
}

/**
 * Narrows the process to `row` through `narrow` (by default for real), given
 * the `facts` known so far; on Windows not at all for a row that says why,
 * nor when one of its paths is on a network share.
 */
export function narrowTo(
  row: PermissionRow,
  facts: NarrowFacts = {},
  narrow: Narrow = revokeAllBut,
): Narrowed {
  if (Deno.build.os === "windows" && row.windows !== undefined) return { keptAll: row.windows };
  const networkPath = networkPathAmong(facts.paths ?? []);
  if (networkPath !== undefined) {
    return {
      keptAll: `${networkPath} is on a network share, which Deno 2.9 on Windows reaches only ` +
        "while every permission is held",
    };
  }
  const kept = keptKinds(row, facts.hooks);
  narrow(kept);
  return { kept };
}
