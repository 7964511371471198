/**
 * A real UNC share (`\\host\share`) for tests, where one can be made without
 * a server: under Wine, `\\host\share\x` is the folder
 * `$WINEPREFIX/dosdevices/unc/host/share/x`, so creating that folder (through
 * Wine's `Z:` drive, the Linux root) makes the share. On real Windows a share
 * needs an SMB server and an administrator, and on Linux UNC paths mean
 * nothing; there {@linkcode UNC_UNAVAILABLE} says why tests using it are
 * ignored.
 *
 * Deno 2.9 on Windows refuses UNC paths to a program without `--allow-all`
 * (denoland/deno#26045), whatever `--allow-read`/`--allow-write` say. So a
 * test fills the share through its local folder, with the permissions of its
 * group, and hands the UNC path to the program under test.
 *
 * @module
 */

import { WINE_PREFIX } from "./wine.ts";

/** Why no UNC share can be made here, or `false` when {@linkcode withUncShare} works. */
export const UNC_UNAVAILABLE: string | false = WINE_PREFIX !== undefined
  ? false
  : Deno.build.os === "windows"
  ? "a UNC share on real Windows needs an SMB server; the Wine lane maps one to a folder"
  : "UNC paths exist only on Windows (the Wine lane runs these tests)";

/** A share and the local folder behind it. */
export interface UncShare {
  /** `\\fusion-test-<random>\share`. */
  readonly unc: string;
  /** The same folder by a local path (`Z:\...`), usable without `--allow-all`. */
  readonly local: string;
}

/**
 * Runs `body` with a fresh, empty share, removed afterwards whatever happens.
 *
 * @throws {Error} when {@linkcode UNC_UNAVAILABLE} is set.
 */
export async function withUncShare<T>(body: (share: UncShare) => Promise<T>): Promise<T> {
  if (WINE_PREFIX === undefined) throw new Error(`no UNC share here: ${UNC_UNAVAILABLE}`);
  const host = `fusion-test-${crypto.randomUUID().slice(0, 8)}`;
  const hostDir = `Z:${WINE_PREFIX.replaceAll("/", "\\")}\\dosdevices\\unc\\${host}`;
  await Deno.mkdir(`${hostDir}\\share`, { recursive: true });
  try {
    return await body({ unc: `\\\\${host}\\share`, local: `${hostDir}\\share` });
  } finally {
    await Deno.remove(hostDir, { recursive: true }).catch(() => {});
  }
}
