/**
 * Whether this test process is Deno's Windows build under Wine: the Windows
 * lane, whose scripts/wine/run.sh sets WINEPREFIX (Wine shows the Linux
 * environment to Windows programs). Tests use it only to ignore what Wine
 * itself cannot do, saying what that is, or to reach the prefix's folders.
 *
 * @module
 */

function readWinePrefix(): string | undefined {
  if (Deno.build.os !== "windows") return undefined;
  // Groups without env access simply run as on real Windows.
  const access = Deno.permissions.querySync({ name: "env", variable: "WINEPREFIX" });
  return access.state === "granted" ? Deno.env.get("WINEPREFIX") : undefined;
}

/** The Linux folder of the Wine prefix (its `C:` drive and devices), under Wine only. */
export const WINE_PREFIX: string | undefined = readWinePrefix();

/** True when running under Wine; false on real Windows and elsewhere. */
export const UNDER_WINE: boolean = WINE_PREFIX !== undefined;
