/**
 * Cleanup runs in this process against real backups: made by `runBackup` to
 * a share folder and the real S3 peer, then perturbed the way things go
 * wrong. The free space is the one thing injected: the share folder is seen
 * as a disk of `shareBytes`, less the bytes of every file in it, so every
 * eviction really changes what the reader reports.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  EVICTING_DIR,
  type LedgerLine,
  needsOperator,
  readShareSpace,
} from "../../lib/cleanup/mod.ts";
import { COPY_JOURNAL_NAME, readSidecar, writeSidecar } from "../../lib/layout/mod.ts";
import { sha256Hex } from "../../lib/storage/mod.ts";
import { LockHeldError, OperationFailedError } from "../../lib/errors.ts";
import { kindAt } from "../../lib/fs/mod.ts";
import { parseManifestFileName, readManifest } from "../../lib/manifest/mod.ts";
import { lockShareForBackup, SHARE_LOCK_NAME, SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { holderPath, lockState } from "../../lib/fs/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import { snapshot } from "../backup/_fixture.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";
import {
  bytesUnder,
  type CleanupWorld,
  KIB,
  makeUndeletable,
  undeletableWorks,
  withCleanupWorld,
} from "./_fixture.ts";
import { closedEndpoint } from "../../peers/ports.ts";

const A = "20250105_alice_lung_panel1";
const B = "20250205_bob_tonsil_run2";
const C = "20250305_carol_liver_pilot";
const D = "20250405_dave_colon_trial";
const E = "20250505_erin_skin_set1";

function setThreshold(world: CleanupWorld, freeThresholdPct: number): void {
  world.config = { ...world.config, cleanup: { freeThresholdPct } };
}

/** Backs up four studies, one a month, and sets a threshold that two evictions meet. */
async function fourBackups(world: CleanupWorld): Promise<void> {
  await world.backUp(A, "2025-01-05");
  await world.backUp(B, "2025-02-05");
  await world.backUp(C, "2025-03-05");
  await world.backUp(D, "2025-04-05");
  // About 103 KiB per backup: 415 KiB used of 1000 KiB is 58% free; 75% needs two evictions.
  world.shareBytes = 1000 * KIB;
  setThreshold(world, 75);
}

Deno.test("the oldest proven backups are evicted until the threshold is met; the dry run plans exactly that", async () => {
  await withCleanupWorld(0, async (world) => {
    await fourBackups(world);
    const before = await snapshot(world.share);
    world.peer.clearRequests();

    const preview = await world.preview();
    assert.deepEqual(await snapshot(world.share), before, "the dry run deletes nothing");
    assert.deepEqual(
      preview.plan.evictions.map((item) => item.candidate.backupName),
      [`fusion-01/${A}`, `fusion-01/${B}`],
    );
    assert.equal(preview.plan.reached, true);
    assert.equal(preview.plan.notNeeded, 2);
    assert.equal(preview.lockHolder, undefined);

    const result = await world.cleanup();
    assert.deepEqual(
      result.evictions.map((outcome) => [outcome.backupName, outcome.ok]),
      [[`fusion-01/${A}`, true], [`fusion-01/${B}`, true]],
    );
    assert.equal(needsOperator(result), false);
    assert.equal(await kindAt(world.studyOnShare(A)), undefined);
    assert.equal(await kindAt(world.studyOnShare(B)), undefined);
    assert.equal(await kindAt(join(world.share, "fusion-01", EVICTING_DIR)), undefined);
    for (const study of [C, D]) {
      const kept = Object.entries(before).filter(([path]) =>
        path.startsWith(`fusion-01/${study}/`)
      );
      const now = await snapshot(world.share);
      for (const [path, digest] of kept) assert.equal(now[path], digest, path);
    }
    assert.ok(result.after.freeBytes >= 750 * KIB);
    const month = new Date().toISOString().slice(0, 7);
    const ledgerFile = join(world.config.truenas.manifestRoot, `cleanup-${month}.jsonl`);
    const freed = result.evictions.reduce((sum, outcome) => sum + outcome.freedBytes, 0);
    assert.equal(freed, result.evictions.reduce((sum, outcome) => sum + outcome.bytes, 0));
    // The reader sees the files go, and the ledger's lines arrive on the same share.
    assert.equal(
      result.after.freeBytes - result.before.freeBytes,
      freed - (await Deno.stat(ledgerFile)).size,
    );

    // S3 was only listed: one listing per candidate assessed, nothing written or deleted.
    assert.deepEqual([...new Set(world.peer.requests.map((r) => r.operation))], ["ListObjects"]);
    assert.equal(world.peer.requests.length, 4, "two listings for the dry run, two for the run");

    const ledger = await world.ledger();
    assert.deepEqual(ledger.map((line) => [line.event, line.backup_name]), [
      ["eviction_started", `fusion-01/${A}`],
      ["evicted", `fusion-01/${A}`],
      ["eviction_started", `fusion-01/${B}`],
      ["evicted", `fusion-01/${B}`],
    ]);
    const latest = (await readManifest(world.config.truenas.manifestRoot)).latest;
    const evictedA = ledger[1] as LedgerLine;
    assert.equal(evictedA.path, world.studyOnShare(A));
    assert.equal(evictedA.completed_at, latest.get(`fusion-01/${A}`)?.completed_at);
    assert.equal(evictedA.s3_uri, `s3://fusion-test/fusion/fusion-01/${A}/`);
    assert.equal(evictedA.files, 5, "four files and the sidecar");
    assert.equal(evictedA.files, result.evictions[0]?.files);
    assert.equal(evictedA.bytes, result.evictions[0]?.bytes);
    assert.equal(evictedA.share_bytes, 1000 * KIB);
    // Measured before its eviction_started line was written, and after the folder went.
    assert.equal(
      evictedA.free_after_bytes! - evictedA.free_before_bytes,
      evictedA.bytes - new TextEncoder().encode(`${JSON.stringify(ledger[0])}\n`).length,
    );
    assert.equal(evictedA.free_before_pct, Math.round(evictedA.free_before_bytes / 102.4) / 100);
    assert.equal(evictedA.resumed, false);
    assert.equal(evictedA.host, "test-host");
    assert.equal(evictedA.error, null);
    assert.match(evictedA.evicted_at ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // The manifest keeps its records: the backups are still complete, in S3.
    assert.equal(latest.get(`fusion-01/${A}`)?.status, "complete");
  });
});

Deno.test("a share of two instruments and an earlier version's shared manifest: cleanup weighs every backup, oldest first", async () => {
  await withCleanupWorld(0, async (world) => {
    const own = world.config;
    const as = (instrument: string) => {
      world.config = { ...own, backup: { ...own.backup, instrument } };
    };
    await world.backUp(A, "2025-01-05");
    // A was backed up by an earlier version: its records are in the month's shared file.
    const root = own.truenas.manifestRoot;
    await Deno.rename(join(root, "2025-01.fusion-01.jsonl"), join(root, "2025-01.jsonl"));
    as("fusion-02");
    await world.backUp(B, "2025-02-05");
    as("fusion-01");
    await world.backUp(C, "2025-03-05");
    as("fusion-02");
    await world.backUp(D, "2025-04-05");
    assert.deepEqual(
      (await readManifest(root)).files.map((file) => file.slice(root.length + 1)),
      [
        "2025-01.jsonl",
        "2025-02.fusion-02.jsonl",
        "2025-03.fusion-01.jsonl",
        "2025-04.fusion-02.jsonl",
      ],
    );
    // About 103 KiB per backup: 415 KiB used of 1000 KiB is 58% free; 85% needs three evictions.
    world.shareBytes = 1000 * KIB;
    setThreshold(world, 85);

    const result = await world.cleanup();
    assert.deepEqual(
      result.evictions.map((outcome) => [outcome.backupName, outcome.ok]),
      [[`fusion-01/${A}`, true], [`fusion-02/${B}`, true], [`fusion-01/${C}`, true]],
    );
    assert.deepEqual(result.unknown, []);
    assert.equal(await kindAt(join(world.share, "fusion-02", B)), undefined);
    assert.equal(await kindAt(join(world.share, "fusion-02", D)), "dir");
  });
});

const F = "20250405_fay_kidney_failed";
const G = "20250420_gus_heart_extra";
const H = "20250425_hal_brain_resized";

/** Rewrites the manifest as a crash between upload and `complete` leaves it for `study`. */
async function crashBeforeComplete(world: CleanupWorld, study: string): Promise<void> {
  const dir = world.config.truenas.manifestRoot;
  for await (const entry of Deno.readDir(dir)) {
    if (parseManifestFileName(entry.name) === undefined) continue;
    const path = join(dir, entry.name);
    const lines = (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
    const kept = lines.filter((line) => {
      const record = JSON.parse(line);
      return record.run_name !== study || record.status === "in_progress";
    });
    await Deno.writeTextFile(path, kept.map((line) => `${line}\n`).join(""));
  }
}

/** A backup that fails at the upload (S3 unreachable): its share copy and sidecar stay. */
async function failedUpload(world: CleanupWorld, study: string, day: string): Promise<void> {
  const at = new Date(`${day}T02:00:00Z`);
  const source = await world.makeStudy(study, {
    qptiffBytes: 100 * KIB,
    mtime: new Date(at.getTime() - 30 * 86_400_000),
  });
  const working = world.config;
  const endpoint = closedEndpoint();
  world.config = { ...working, s3: { ...working.s3, endpoint } };
  const result = await world.run({ clock: () => at });
  world.config = working;
  assert.equal(result.outcomes[0]?.record?.status, "failed_s3");
  // The operator moved the study away, so later backups do not retry it.
  await Deno.remove(source, { recursive: true });
}

function subtree(files: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([path]) => path.startsWith(prefix)));
}

Deno.test("the gates keep what is not proven; unknown folders are reported and never deleted", async () => {
  await withCleanupWorld(0, async (world) => {
    const key = (study: string, path: string) => `fusion/fusion-01/${study}/${path}`;
    // A: its share copy lost the sidecar, so what S3 must hold is unknown.
    await world.backUp(A, "2025-01-05");
    await Deno.remove(join(world.studyOnShare(A), SIDECAR_NAME));
    // B: S3 lost one of its files.
    await world.backUp(B, "2025-02-05");
    await world.deleteObject(key(B, `${B}/Scan1/${B}.qptiff`));
    // C: the backup crashed after the upload, before recording `complete`.
    await world.backUp(C, "2025-03-05");
    await crashBeforeComplete(world, C);
    // F: the upload failed.
    await failedUpload(world, F, "2025-04-05");
    // G: someone added a file to the share copy after the backup.
    await world.backUp(G, "2025-04-20");
    await Deno.writeTextFile(join(world.studyOnShare(G), `${G}.fpr`), "added later\n");
    // H: an object in S3 has the wrong size.
    await world.backUp(H, "2025-04-25");
    const resized = await fetch(
      `${world.peer.endpoint}/${world.peer.bucket}/${key(H, `${H}.xpd`)}`,
      { method: "PUT", body: "<xpd/>" },
    );
    await resized.body?.cancel();
    // E: a good backup, the newest, whose run stopped just after recording `complete`, before
    // removing its copy journal.
    await world.backUp(E, "2025-05-05");
    await Deno.writeTextFile(
      join(world.studyOnShare(E), COPY_JOURNAL_NAME),
      '{"path":"x","size":1,"mtime":0,"sha256":"00"}\n',
    );
    // Not backups the manifest knows.
    const stray = join(world.share, "fusion-01", "20250601_zed_unknown_x");
    await Deno.mkdir(stray);
    await Deno.writeTextFile(join(stray, "data.bin"), "not in the manifest\n");
    const otherLab = join(world.share, "other-lab", "2024_archive");
    await Deno.mkdir(otherLab, { recursive: true });
    await Deno.writeTextFile(join(otherLab, "old.bin"), "someone else's\n");
    // A link too, where this account can make one (see CANNOT_SYMLINK).
    const link = join(world.share, "fusion-01", "shortcut");
    if (!CANNOT_SYMLINK) await Deno.symlink(world.studyOnShare(E), link);
    await Deno.writeTextFile(join(world.share, "README.txt"), "the lab's share\n");

    const before = await snapshot(world.share);
    world.shareBytes = (await bytesUnder(world.share)) + 10 * KIB;
    setThreshold(world, 99);
    world.peer.clearRequests();
    const result = await world.cleanup();

    assert.deepEqual(
      result.evictions.map((outcome) => [outcome.backupName, outcome.ok]),
      [[`fusion-01/${E}`, true]],
    );
    const reasons = Object.fromEntries(
      result.skipped.map((item) => [item.candidate.backupName.slice(10), item.reason]),
    );
    assert.deepEqual(Object.keys(reasons), [A, B, C, F, G, H], "oldest first");
    assert.match(reasons[A]!, /^it has no _checksums\.sha256, so what S3 must hold is unknown$/);
    assert.match(
      reasons[B]!,
      new RegExp(
        `^S3 lacks 1 of 5 files under s3://fusion-test/fusion/fusion-01/${B}/: ${B}/Scan1/${B}\\.qptiff$`,
      ),
    );
    assert.match(reasons[C]!, /^its latest manifest record is in_progress/);
    assert.match(reasons[F]!, /^its latest manifest record is failed_s3: .*cannot reach S3/);
    assert.match(
      reasons[G]!,
      new RegExp(`^it holds 1 file not listed in _checksums\\.sha256, so not in S3: ${G}\\.fpr$`),
    );
    assert.match(
      reasons[H]!,
      new RegExp(
        `S3 holds 1 file of the wrong size .*: ${H}\\.xpd \\(6 bytes in S3, \\d+ on the share\\)$`,
      ),
    );
    assert.equal(result.plan.reached, false);
    assert.equal(needsOperator(result), true);
    assert.ok(
      world.logLines.some((line) =>
        /^error: cleanup: the share stays below 99% free .*: the safety gates kept 6 backups/
          .test(line)
      ),
    );
    assert.deepEqual(result.unknown, [
      { path: stray, reason: "the manifest has no backup of this name" },
      ...(CANNOT_SYMLINK ? [] : [{ path: link, reason: "a symlink, not a backup folder" }]),
      { path: otherLab, reason: "the manifest has no backup of this name" },
    ]);

    // Everything but E is exactly as it was; the link was not followed.
    const after = await snapshot(world.share);
    const withoutE = Object.fromEntries(
      Object.entries(before).filter(([path]) =>
        !path.startsWith(`fusion-01/${E}/`) && !path.startsWith("_manifest/")
      ),
    );
    assert.deepEqual(
      Object.fromEntries(Object.entries(after).filter(([path]) => !path.startsWith("_manifest/"))),
      withoutE,
    );
    if (!CANNOT_SYMLINK) assert.equal((await Deno.lstat(link)).isSymlink, true);
    assert.deepEqual(subtree(after, `fusion-01/${A}/`), subtree(before, `fusion-01/${A}/`));
    // Only the candidates that passed the share gates were looked up in S3: B, H and E.
    assert.deepEqual(
      world.peer.requests.map((request) => request.operation),
      ["ListObjects", "ListObjects", "ListObjects"],
    );
  });
});

Deno.test("a share copy whose file list was rewritten after the backup is kept, though every size agrees", async () => {
  await withCleanupWorld(0, async (world) => {
    await world.backUp(A, "2025-01-05");
    await world.backUp(B, "2025-02-05");
    // A's image changed on the share, its line in the list with it: the per-file digests, the
    // count, every size (on the share and in S3) agree. Only the list's own digest tells.
    const folder = world.studyOnShare(A);
    const image = `${A}/Scan1/${A}.qptiff`;
    const bytes = await Deno.readFile(join(folder, image));
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await Deno.writeFile(join(folder, image), bytes);
    const list = (await readSidecar(folder)) ?? [];
    await writeSidecar(
      folder,
      list.map((entry) => entry.path === image ? { ...entry, sha256Hex: sha256Hex(bytes) } : entry),
    );
    const before = await snapshot(folder);
    world.shareBytes = (await bytesUnder(world.share)) + 10 * KIB;
    setThreshold(world, 99);
    const result = await world.cleanup();

    assert.deepEqual(
      result.evictions.map((outcome) => [outcome.backupName, outcome.ok]),
      [[`fusion-01/${B}`, true]],
    );
    assert.deepEqual(result.skipped.map((item) => item.candidate.backupName), [`fusion-01/${A}`]);
    assert.match(
      result.skipped[0]?.reason ?? "",
      /^its _checksums\.sha256 has SHA-256 [0-9a-f]{12}…, the manifest recorded [0-9a-f]{12}… \(the list was changed after the backup\)$/,
    );
    assert.deepEqual(await snapshot(folder), before, "A's share copy is untouched");
  });
});

Deno.test("already above the threshold: nothing is assessed or deleted, and the run says so", async () => {
  await withCleanupWorld(0, async (world) => {
    await world.backUp(A, "2025-01-05");
    world.shareBytes = 10_000 * KIB;
    setThreshold(world, 20);
    const before = await snapshot(world.share);
    world.peer.clearRequests();
    const result = await world.cleanup();
    assert.equal(result.plan.alreadyAbove, true);
    assert.deepEqual(result.evictions, []);
    assert.deepEqual(result.skipped, []);
    assert.equal(needsOperator(result), false);
    assert.deepEqual(await snapshot(world.share), before);
    assert.equal(world.peer.requests.length, 0, "S3 is not even listed");
    assert.deepEqual(await lockState(join(world.share, SHARE_LOCK_NAME)), { state: "free" });
  });
});

Deno.test("with no manifest nothing on the share can be proven: all of it is reported, none deleted", async () => {
  await withCleanupWorld(0, async (world) => {
    await fourBackups(world);
    const before = await snapshot(world.share);
    world.config = {
      ...world.config,
      truenas: { ...world.config.truenas, manifestRoot: join(world.dir, "elsewhere") },
    };
    const result = await world.cleanup();
    assert.deepEqual(result.evictions, []);
    // The old manifest folder is now an ordinary folder: its files are listed too.
    assert.deepEqual(
      result.unknown.filter((entry) => entry.reason === "the manifest has no backup of this name")
        .map((entry) => entry.path),
      [A, B, C, D].map((study) => world.studyOnShare(study)),
    );
    assert.equal(result.unknown.length, 8);
    assert.ok(
      world.logLines.some((line) =>
        line.startsWith(`warning: cleanup: no manifest files in ${join(world.dir, "elsewhere")}`)
      ),
    );
    assert.deepEqual(await snapshot(world.share), before);
  });
});

Deno.test("a backup holding the share stops the run after its wait (exit 2); a failing hook with exit 1; nothing is deleted", async () => {
  await withCleanupWorld(0, async (world) => {
    await fourBackups(world);
    world.config = { ...world.config, truenas: { ...world.config.truenas, lockWaitMinutes: 0 } };
    const held = await lockShareForBackup({
      root: world.share,
      holder: {
        hostname: "fusion-pc",
        pid: 77,
        started_at: "2025-05-01T02:00:00Z",
        command: "backup run",
      },
      waitMs: 0,
      logger: new Logger({ console: () => {} }),
    }, "fusion-02");
    const before = await snapshot(world.share);
    delete before[".backup-fusion-02.lock.holder"]; // the holder's own, gone when it lets go
    try {
      await assert.rejects(world.cleanup(), (error: unknown) => {
        assert.ok(error instanceof LockHeldError);
        assert.match(
          error.message,
          /^the share is in use: backup running since 2025-05-01T02:00:00Z, pid 77 on fusion-pc \(fusion-02\)/,
        );
        return true;
      });
      const preview = await world.preview();
      assert.match(preview.lockHolder ?? "", /^backup running since .*, pid 77 on fusion-pc/);
    } finally {
      await held.release();
    }
    world.config = {
      ...world.config,
      hooks: { backup: [], cleanup: [Deno.execPath(), "eval", "Deno.exit(4)"] },
    };
    await assert.rejects(world.cleanup(), (error: unknown) => {
      assert.ok(error instanceof OperationFailedError);
      assert.match(error.message, /cleanup hook .* failed with exit code 4; cleanup did not run/);
      return true;
    });
    assert.deepEqual(await snapshot(world.share), before);
    assert.deepEqual(await lockState(join(world.share, SHARE_LOCK_NAME)), { state: "free" });
    await assert.rejects(
      Deno.stat(holderPath(join(world.share, SHARE_LOCK_NAME))),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("S3 unreachable: no backup is evicted, and S3 is asked once, not once per backup", async () => {
  await withCleanupWorld(0, async (world) => {
    await fourBackups(world);
    const before = await snapshot(world.share);
    const endpoint = closedEndpoint();
    const { createS3Store } = await import("../../lib/storage/s3.ts");
    const store = createS3Store(
      { ...world.config.s3, endpoint },
      {
        credentials: { accessKeyId: "x", secretAccessKey: "y" },
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      },
    );
    try {
      const result = await world.cleanup({ s3: store });
      assert.deepEqual(result.evictions, []);
      assert.equal(result.skipped.length, 4);
      assert.match(result.skipped[0]!.reason, /^S3 could not be checked: cannot reach S3 at /);
      for (const item of result.skipped.slice(1)) {
        assert.match(item.reason, /^S3 was not checked: cannot reach S3 at /);
      }
      assert.equal(needsOperator(result), true);
      assert.deepEqual(await snapshot(world.share), before);
    } finally {
      store.close();
    }
  });
});

const CAN_BLOCK_DELETION = await undeletableWorks();

Deno.test({
  name: "a deletion that fails half-way is reported; the next run finishes it",
  // A real fault: as root `chattr +i` (needs an ext4/xfs/btrfs temp folder), otherwise a folder
  // without write permission. Where neither holds, no real deletion failure can be provoked.
  ignore: !CAN_BLOCK_DELETION,
  fn: async () => {
    await withCleanupWorld(0, async (world) => {
      await fourBackups(world);
      const blocked = join(world.studyOnShare(A), A, "Scan1", `${A}.qptiff`);
      const leftover = join(world.share, "fusion-01", EVICTING_DIR, A);
      const blockedWhenMoved = join(leftover, A, "Scan1", `${A}.qptiff`);
      const undo = await makeUndeletable(blocked);
      let undone = false;
      try {
        const first = await world.cleanup();
        const [failed, ...others] = first.evictions;
        assert.equal(failed?.backupName, `fusion-01/${A}`);
        assert.equal(failed?.ok, false);
        // As root only the immutable image stays; otherwise the folder without write permission
        // keeps every entry in it: the image and the .temp folder (emptied of its tiles).
        const kept = Deno.uid() === 0 ? "1 entry" : "2 entries";
        assert.match(
          failed?.error ?? "",
          new RegExp(
            `^deleted 4 files \\(\\d+ bytes\\), but ${kept} could not be deleted ` +
              `\\((?:Operation not permitted|Permission denied) .*: remove '.*${A}\\.qptiff'${
                Deno.uid() === 0 ? "" : "; .*: remove '.*\\.temp'"
              }\\); the rest stays in .*${EVICTING_DIR}.*${A} and the next cleanup run deletes it`,
          ),
        );
        // The plan went on without A: B and C make up for it.
        assert.deepEqual(
          others.map((outcome) => [outcome.backupName, outcome.ok]),
          [[`fusion-01/${B}`, true], [`fusion-01/${C}`, true]],
        );
        assert.equal(needsOperator(first), true);
        assert.equal(await kindAt(world.studyOnShare(A)), undefined, "moved away whole, at once");
        assert.deepEqual(Object.keys(await snapshot(leftover)), [`${A}/Scan1/${A}.qptiff`]);
        const ledger = await world.ledger();
        assert.deepEqual(ledger.slice(0, 2).map((line) => [line.event, line.backup_name]), [
          ["eviction_started", `fusion-01/${A}`],
          ["eviction_failed", `fusion-01/${A}`],
        ]);
        assert.equal(ledger[1]?.evicted_at, null);
        assert.equal(ledger[1]?.evicting_path, leftover);
        assert.match(ledger[1]?.error ?? "", /could not be deleted/);

        // The dry run shows what is left, to be deleted first.
        const preview = await world.preview();
        assert.deepEqual(
          preview.leftovers.map((item) => [item.path, item.files, item.originalPath]),
          [[leftover, 1, world.studyOnShare(A)]],
        );
        assert.equal(
          preview.plan.space.freeBytes,
          preview.space.freeBytes + preview.leftovers[0]!.bytes,
        );

        // The operator fixes the permission; the next run deletes what is left, first thing.
        await undo(blockedWhenMoved);
        undone = true;
        const second = await world.cleanup();
        assert.deepEqual(
          second.evictions.map((outcome) => [outcome.backupName, outcome.ok, outcome.resumed]),
          [[`fusion-01/${A}`, true, true]],
        );
        assert.equal(second.evictions[0]?.files, 1);
        assert.equal(needsOperator(second), false);
        assert.equal(await kindAt(join(world.share, "fusion-01", EVICTING_DIR)), undefined);
        const resumed = (await world.ledger()).at(-1);
        assert.equal(resumed?.event, "evicted");
        assert.equal(resumed?.resumed, true);
        assert.equal(resumed?.path, world.studyOnShare(A));
        assert.equal(resumed?.completed_at, "2025-01-05T02:00:00Z");
        assert.equal(await kindAt(world.studyOnShare(D)), "dir", "the newest backup stays");
      } finally {
        // Wherever the test stopped, the temp folder must be removable.
        if (!undone) await undo(blockedWhenMoved).catch(() => undo());
      }
    });
  },
});

Deno.test({
  name: "a folder that cannot be moved aside is not touched at all",
  ignore: !CAN_BLOCK_DELETION,
  fn: async () => {
    await withCleanupWorld(0, async (world) => {
      await fourBackups(world);
      const before = await snapshot(world.studyOnShare(A));
      const undo = await makeUndeletable(world.studyOnShare(A));
      try {
        const result = await world.cleanup();
        assert.equal(result.evictions[0]?.ok, false);
        assert.match(
          result.evictions[0]?.error ?? "",
          new RegExp(`^could not move .*${A} to .*${EVICTING_DIR}.*: .*; nothing was deleted$`),
        );
        assert.deepEqual(await snapshot(world.studyOnShare(A)), before);
        const ledger = await world.ledger();
        assert.deepEqual(ledger.slice(0, 2).map((line) => line.event), [
          "eviction_started",
          "eviction_failed",
        ]);
      } finally {
        await undo();
      }
    });
  },
});

// df is a Unix program; on Windows the same reader (statfs) is checked by the status tests.
Deno.test("the real free-space reader agrees with df", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-statfs-" });
  try {
    await Deno.writeTextFile(join(dir, "file"), "x");
    const space = await readShareSpace(dir);
    const df = await new Deno.Command("df", {
      args: ["-B1", "--output=size,avail", dir],
      stdout: "piped",
    }).output();
    assert.ok(df.success);
    const [size, avail] = new TextDecoder().decode(df.stdout).trim().split("\n")[1]!.trim()
      .split(/\s+/).map(Number);
    assert.equal(space.totalBytes, size);
    // Other processes write to the same disk between the two readings.
    assert.ok(
      Math.abs(space.freeBytes - avail!) < 256 * 1024 * 1024,
      `${space.freeBytes} ${avail}`,
    );
    assert.ok(space.freeBytes > 0 && space.freeBytes < space.totalBytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
