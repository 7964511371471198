/**
 * `cleanup run` as the scheduled task runs it: main.ts in a child process
 * with the product's permissions, backups made by `backup run` the same
 * way, the real S3 peer, and the real free space of the temp folder's file
 * system (statfs). The thresholds are chosen at the extremes (1%, 99.9%) so
 * the outcome does not depend on how full this machine's disk is.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readJobLog } from "../../lib/manifest/mod.ts";
import { makeSampleStudy } from "../../scripts/sample_data.ts";
import { runMain } from "../_helpers/cli.ts";
import { type CliWorld, withCliWorld } from "../_helpers/cli_world.ts";
import { holdShareLock } from "../_helpers/lock_holder.ts";
import { snapshot } from "../backup/_fixture.ts";

const A = "20250301_alice_lung_panel1";
const B = "20250302_bob_tonsil_run2";
const OLD = new Date(Date.now() - 40 * 86_400_000);

/** Backs up A and B with `backup run`. */
async function backUpTwo(world: CliWorld): Promise<void> {
  await makeSampleStudy(world.source, A, { mtime: OLD });
  await makeSampleStudy(world.source, B, { mtime: OLD });
  const backup = await world.run("backup", "run");
  assert.equal(backup.code, 0, backup.stderr);
}

/** Rewrites config.toml with `[cleanup] free_threshold_pct` (and more TOML). */
async function setThreshold(world: CliWorld, pct: number, extra = ""): Promise<void> {
  await world.writeConfig({ extra: `\n[cleanup]\nfree_threshold_pct = ${pct}\n${extra}` });
}

/** The files of a snapshot but the share's job log, which every run appends to. */
function withoutJobLog(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).filter(([path]) => !path.startsWith("_manifest/_jobs/")),
  );
}

async function ledgerLines(world: CliWorld): Promise<{ event: string; backup_name: string }[]> {
  const dir = join(world.share, "_manifest");
  const lines = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith("cleanup-")) continue;
    const text = await Deno.readTextFile(join(dir, entry.name));
    lines.push(...text.trim().split("\n").map((line) => JSON.parse(line)));
  }
  return lines;
}

Deno.test("cleanup run: above the threshold it says so; out of reach it evicts all it can, exit 0", async () => {
  await withCliWorld(async (world) => {
    await backUpTwo(world);
    await setThreshold(world, 1);
    const before = await snapshot(world.share);
    const calm = await world.run("cleanup", "run");
    assert.equal(calm.code, 0, calm.stderr);
    assert.match(
      calm.stdout,
      /^the share is \d+\.\d% free, at or above the 1% threshold: nothing to evict$/m,
    );
    assert.match(
      calm.stdout,
      /^freed 0 B: free .* \(threshold 1%\); 0 evicted, 0 failed, 0 kept$/m,
    );
    assert.match(calm.stderr, /cleanup run: using config .*config\.toml/);
    // Its one trace on the share: its line in the job log.
    assert.deepEqual(withoutJobLog(await snapshot(world.share)), withoutJobLog(before));
    const month = new Date().toISOString().slice(0, 7);
    const log = await readJobLog(join(world.share, "_manifest"), { from: "2000-01", to: month });
    assert.deepEqual(log.records.map((run) => [run.instrument, run.job, run.exit_code]), [
      ["fusion-01", "backup run", 0],
      ["fusion-01", "cleanup run", 0],
    ]);

    await setThreshold(world, 99.9);
    const full = await world.run("cleanup", "run");
    assert.equal(full.code, 0, full.stderr);
    assert.match(
      full.stdout,
      new RegExp(`^fusion-01/${A}\\s+\\S+Z\\s+5\\s+1\\.[0-9] KiB\\s+evicted$`, "m"),
    );
    assert.match(
      full.stdout,
      new RegExp(`^fusion-01/${B}\\s+\\S+Z\\s+5\\s+1\\.[0-9] KiB\\s+evicted$`, "m"),
    );
    assert.match(
      full.stdout,
      /^freed 3\.\d KiB: .* \(threshold 99\.9%\); 2 evicted, 0 failed, 0 kept; the threshold cannot be reached: nothing else on the share can be evicted$/m,
    );
    assert.match(
      full.stderr,
      /^warning: cleanup: the share stays below 99\.9% free .*: nothing else on it can be evicted/m,
    );
    await assert.rejects(Deno.stat(join(world.share, "fusion-01", A)), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(join(world.share, "fusion-01", B)), Deno.errors.NotFound);
    assert.deepEqual((await ledgerLines(world)).map((line) => line.event), [
      "eviction_started",
      "evicted",
      "eviction_started",
      "evicted",
    ]);
    // S3 keeps everything: cleanup only listed it.
    const operations = new Set(world.peer.requests.map((request) => request.operation));
    assert.ok(!operations.has("DeleteObject") && !operations.has("DeleteObjects"));
    assert.equal(
      (await world.peer.fetchObject(`fusion/fusion-01/${A}/_checksums.sha256`)).size > 0,
      true,
    );
  });
});

Deno.test("cleanup run --dry-run prints the exact plan; the run then does it and exits 1 for a gated backup", async () => {
  await withCliWorld(async (world) => {
    await backUpTwo(world);
    // B's S3 copy lost a file; a folder the manifest does not know sits beside them.
    const missing = `fusion/fusion-01/${B}/${B}/Scan1/${B}.qptiff`;
    const deleted = await fetch(`${world.peer.endpoint}/${world.peer.bucket}/${missing}`, {
      method: "DELETE",
    });
    await deleted.body?.cancel();
    assert.equal(deleted.status, 204);
    const stray = join(world.share, "fusion-01", "old-scans");
    await Deno.mkdir(stray);
    await Deno.writeTextFile(join(stray, "scan.bin"), "mine\n");
    await setThreshold(world, 99.9);
    const before = await snapshot(world.share);

    const dry = await world.run("cleanup", "run", "--dry-run");
    assert.equal(dry.code, 1, dry.stderr);
    assert.deepEqual(await snapshot(world.share), before, "the dry run deletes nothing");
    const lines = dry.stdout.split("\n");
    assert.equal(lines[0], "cleanup plan (dry run: nothing was deleted)");
    assert.equal(lines[1], "hook: none");
    assert.equal(lines[2], "share lock: free");
    assert.match(lines[3]!, /^share: .* free \(\d+\.\d%\); the 99\.9% threshold asks for .* free$/);
    assert.equal(lines[4], "would evict, oldest first:");
    assert.match(lines[5]!, /^backup\s+completed\s+files\s+size\s+free after$/);
    assert.match(
      lines[7]!,
      new RegExp(`^fusion-01/${A}\\s+\\S+Z\\s+5\\s+1\\.\\d KiB\\s+\\d+\\.\\d%$`),
    );
    // A's 4 files and its _checksums.sha256, which the note under the table names.
    assert.equal(lines[8], "files and size include each backup's _checksums.sha256");
    assert.equal(lines[9], "kept on the share:");
    assert.equal(
      lines[10],
      `  fusion-01/${B}: S3 lacks 1 of 5 files under s3://fusion-test/fusion/fusion-01/${B}/: ` +
        `${B}/Scan1/${B}.qptiff`,
    );
    assert.equal(lines[11], "not backups the manifest knows (never deleted):");
    assert.equal(lines[12], `  ${stray}: the manifest has no backup of this name`);
    assert.match(
      lines[13]!,
      /^would evict 1 backup, freeing 1\.\d KiB: free .* \(threshold 99\.9%\); the threshold cannot be reached while the gates keep 1 backup \(the run would exit 1\)$/,
    );

    const run = await world.run("cleanup", "run");
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(`^fusion-01/${A}\\s+\\S+Z\\s+5\\s+1\\.\\d KiB\\s+evicted$`, "m"),
    );
    assert.ok(run.stdout.includes(lines[10]!), "the same reason as planned");
    assert.ok(run.stdout.includes(lines[12]!));
    assert.ok(run.stdout.includes(`${lines[8]!}\n`), "the same note under the run's table");
    assert.match(
      run.stdout,
      /; 1 evicted, 0 failed, 1 kept; the threshold cannot be reached while the gates keep 1 backup \(exit 1\)$/m,
    );
    assert.match(
      run.stderr,
      /^error: cleanup: the share stays below 99\.9% free .*: the safety gates kept 1 backup that would be needed/m,
    );
    await assert.rejects(Deno.stat(join(world.share, "fusion-01", A)), Deno.errors.NotFound);
    const after = await snapshot(world.share);
    for (const [path, digest] of Object.entries(before)) {
      if (path.startsWith(`fusion-01/${B}/`) || path.startsWith("fusion-01/old-scans/")) {
        assert.equal(after[path], digest, path);
      }
    }
  });
});

Deno.test("cleanup run: a failing hook exits 1, a held lock and a missing share exit 2, each with one line", async () => {
  await withCliWorld(async (world) => {
    const hook = await world.run("cleanup", "run");
    assert.equal(hook.code, 1);
    assert.match(
      hook.stderr,
      /^error: the cleanup hook .* failed with exit code 9; cleanup did not run$/m,
    );
  }, `\n[hooks]\ncleanup = [${JSON.stringify(Deno.execPath())}, "eval", "Deno.exit(9)"]\n`);
  await withCliWorld(
    async (world) => {
      const backup = await holdShareLock(
        world.share,
        "backup",
        "fusion-pc",
        "2025-05-01T02:00:00Z",
      );
      try {
        const held = await world.run("cleanup", "run");
        assert.equal(held.code, 2);
        assert.match(
          held.stderr,
          new RegExp(
            "^error: the share is in use: backup running since 2025-05-01T02:00:00Z, pid " +
              `${backup.pid} on fusion-pc \\(fusion-01\\) \\(.*\\.cleanup\\.lock\\); waited \\d+ s`,
            "m",
          ),
        );
        const dry = await world.run("cleanup", "run", "--dry-run");
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(
          dry.stdout,
          /^share lock: held \(backup running since 2025-05-01T02:00:00Z, pid \d+ on fusion-pc \(fusion-01\)\) — the run would wait up to 0 min for it, then stop \(exit 2\)$/m,
        );
      } finally {
        await backup.release();
      }
      await Deno.remove(world.share, { recursive: true });
      for (const args of [["cleanup", "run"], ["cleanup", "run", "--dry-run"]]) {
        const unmounted = await world.run(...args);
        assert.equal(unmounted.code, 2);
        assert.match(unmounted.stderr, /^error: TrueNAS share not found at .*: is it mounted\?/m);
      }
    },
    "",
    "lock_wait_minutes = 0\n",
  );
  const help = await runMain(["cleanup", "run", "--help"], { permissions: [] });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--dry-run\s+print the exact plan; delete nothing/);
});
