/**
 * Windows network shares and narrowing, where a UNC share can be made (the
 * Windows lane: see tests/_helpers/unc.ts). Deno 2.9 lets a program stat,
 * list or create folders on a share only while it holds every permission, so
 * revoking any kind breaks the share; a command whose paths are on a share
 * therefore keeps everything (lib/permissions/narrow.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeSampleRoot } from "../../scripts/sample_data.ts";
import { PERMISSION_KINDS } from "../../lib/permissions/mod.ts";
import { PRODUCT_FLAGS, runMain, runScript } from "../_helpers/cli.ts";
import { UNC_UNAVAILABLE, withUncShare } from "../_helpers/unc.ts";
import type { ProbeReport } from "./_probe_child.ts";

const UNC_CHILD = fileURLToPath(new URL("./_unc_child.ts", import.meta.url));
const PROBE_CHILD = fileURLToPath(new URL("./_probe_child.ts", import.meta.url));

// This fails when Deno stops needing every permission for a share: then commands working on
// one can be narrowed too (lib/permissions/narrow.ts).
Deno.test("after revoking even ffi and import alone, Deno refuses to stat a share's folder", {
  ignore: UNC_UNAVAILABLE !== false,
}, async () => {
  await withUncShare(async ({ unc, local }) => {
    await Deno.writeTextFile(join(local, "probe.txt"), "probe\n");
    const result = await runScript(UNC_CHILD, [unc], { permissions: PRODUCT_FLAGS });
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout);
    assert.equal(outcome.readFile, "ok");
    assert.match(outcome.stat, /^NotCapable: Requires all access to /);
  });
});

Deno.test("a command given a path on a share keeps every permission, and works there", {
  ignore: UNC_UNAVAILABLE !== false,
}, async () => {
  await withUncShare(async ({ unc, local }) => {
    await makeSampleRoot(join(local, "FusionData"));
    await Deno.writeTextFile(join(local, "probe.txt"), "probe\n");
    const result = await runScript(PROBE_CHILD, [local, "validate", "root", `${unc}\\FusionData`], {
      permissions: PRODUCT_FLAGS,
    });
    assert.equal(result.code, 0, result.stderr);
    const report: ProbeReport = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "");
    // 1: three of the five sample studies break the naming standard; the root was listed.
    assert.equal(report.code, 1, report.stderr);
    assert.deepEqual(
      report.probes,
      Object.fromEntries(PERMISSION_KINDS.map((kind) => [kind, "kept"])),
      report.stderr,
    );
  });
});

Deno.test("install init writes its templates to a share, keeping every permission", {
  ignore: UNC_UNAVAILABLE !== false,
}, async () => {
  await withUncShare(async ({ unc, local }) => {
    const result = await runMain(["install", "init", "--config-dir", `${unc}\\fusion-toolkit`], {
      permissions: PRODUCT_FLAGS,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      await Deno.readTextFile(join(local, "fusion-toolkit", "config.toml")),
      /\[backup\]/,
    );
    await Deno.stat(join(local, "fusion-toolkit", "recipients", "default.txt"));
  });
});
