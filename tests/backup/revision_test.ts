/**
 * A study that changed after its backup was complete: in-process runs
 * against the real S3 peer. The change happens for real while the first run
 * copies (the run's afterCopy point writes into the source); the end states
 * are read from the share, from S3, from the manifest, and through restore,
 * audit and cleanup's gates. (tests/cli/selfheal_cli_test.ts makes the same
 * change from outside a running process.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runAudit } from "../../lib/audit/mod.ts";
import { readShareCopy, s3Gate, shareGate } from "../../lib/cleanup/mod.ts";
import { listName, parseSidecar, SIDECAR_NAME, studyPathOf } from "../../lib/layout/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import { readManifest } from "../../lib/manifest/mod.ts";
import { restoreBackup, type RestoreSource } from "../../lib/restore/mod.ts";
import { createS3Store } from "../../lib/storage/s3.ts";
import { PEER_CREDENTIALS } from "../../peers/s3.ts";
import { type BackupWorld, makeIdle, sha256, snapshot, withBackupWorld } from "./_fixture.ts";

const A = "20250301_alice_lung_panel1";
const PREFIX = `fusion/fusion-01/${A}`;
const CHANGED = `${A}/Scan1/.temp/tile_00001.bin`;
const ADDED = `${A}/Scan1/.temp/tile_late.bin`;
const REMOVED = `${A}/Scan1/.temp/tile_00002.bin`;

/** Every object under the study's prefix: key → SHA-256 of its bytes. */
async function objects(world: BackupWorld): Promise<Record<string, string>> {
  const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
  try {
    const found: Record<string, string> = {};
    for (const key of (await store.listSizes(`${PREFIX}/`)).keys()) {
      const bytes = await world.object(key);
      assert.ok(bytes !== undefined);
      found[key.slice(PREFIX.length + 1)] = sha256(bytes);
    }
    return found;
  } finally {
    store.close();
  }
}

/** Checks every line of a file list against the bytes in `folder`, as `sha256sum -c` does. */
async function checkList(folder: string, name: string): Promise<Record<string, string>> {
  const listed: Record<string, string> = {};
  for (const entry of parseSidecar(await Deno.readTextFile(join(folder, name)))) {
    const bytes = await Deno.readFile(join(folder, ...entry.path.split("/")));
    assert.equal(sha256(bytes), entry.sha256Hex, `${name}: ${entry.path}`);
    listed[entry.path] = entry.sha256Hex;
  }
  return listed;
}

/** What a study holds as `{study path: sha256}` when restored from `from`. */
async function restored(world: BackupWorld, from: RestoreSource): Promise<Record<string, string>> {
  const to = await Deno.makeTempDir({ dir: world.dir, prefix: `restored-${from}-` });
  const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
  try {
    const outcome = await restoreBackup({
      config: world.config,
      name: `fusion-01/${A}`,
      to,
      from,
      tier: "Standard",
      days: 1,
      store: () => store,
      logger: new Logger({ console: () => {} }),
      command: "fusion-toolkit",
      progress: { stage() {}, advance() {}, end() {} },
    });
    assert.equal(outcome.kind, "restored");
    assert.deepEqual(outcome.problems, []);
  } finally {
    store.close();
  }
  return await snapshot(join(to, A));
}

/**
 * Backs study A up completely, but its source is kept: a file is touched, not changed, during
 * the copy, so the delete step sees a new time. Returns the study's path.
 */
async function completeKeepingSource(world: BackupWorld): Promise<string> {
  const study = await world.makeStudy(A);
  const tile = join(study, ...CHANGED.split("/"));
  const first = await world.run({
    afterCopy: async () => {
      const now = new Date();
      await Deno.utime(tile, now, now);
    },
  });
  assert.equal(first.outcomes[0]?.step, "delete source");
  return study;
}

Deno.test("a study that changed during its backup gets revision 2 beside the proven copy; nothing is replaced or stored twice", async () => {
  await withBackupWorld(async (world) => {
    const study = await world.makeStudy(A, { tempFiles: 4, qptiffBytes: 64 * 1024 });
    const first = await world.run({
      // The instrument writes a new tile while the backup copies. (A tile rewritten in place at
      // this point would not get this far: the upload reads the source, and S3 refuses bytes
      // that differ from the SHA-256 the copy hashed — failed_s3, tested in run_test.ts.)
      afterCopy: async () => {
        await Deno.writeFile(join(study, ...ADDED.split("/")), new Uint8Array(100).fill(5));
      },
    });
    const [kept] = first.outcomes;
    assert.equal(kept?.ok, false);
    assert.equal(kept?.step, "delete source");
    assert.match(
      kept?.error ?? "",
      /the source changed during the backup \(.*\); it was kept — once it is idle again, a run backs up what changed as revision 2$/,
    );
    assert.equal(kept?.record?.status, "complete");
    const folder = join(world.share, "fusion-01", A);
    const revision1 = await snapshot(folder);
    const objects1 = await objects(world);

    // Later, before the next run, a tile is rewritten and another deleted on the instrument.
    await Deno.writeFile(join(study, ...CHANGED.split("/")), new Uint8Array(64).fill(9));
    await Deno.remove(join(study, ...REMOVED.split("/")));
    await makeIdle(study);
    const state2 = await snapshot(study);
    world.peer.clearRequests();
    const second = await world.run();
    const [revised] = second.outcomes;
    assert.equal(revised?.ok, true, revised?.error);
    assert.equal(revised?.sourceDeleted, true);
    assert.match(
      revised?.note ?? "",
      /^revision 2 \(1 added, 1 changed, 1 removed\); source deleted$/,
    );
    await assert.rejects(Deno.stat(study), Deno.errors.NotFound);

    // The share: revision 1 is byte for byte what it was; only what changed was added, apart.
    const now = await snapshot(folder);
    for (const [path, digest] of Object.entries(revision1)) assert.equal(now[path], digest, path);
    const added = Object.keys(now).filter((path) => !(path in revision1)).sort();
    assert.deepEqual(added, [
      listName(2),
      `_revisions/2/${CHANGED}`,
      `_revisions/2/${ADDED}`,
    ]);
    // Both lists check out against the folder, as `sha256sum -c <list>` would there.
    await checkList(folder, SIDECAR_NAME);
    const listed2 = await checkList(folder, listName(2));
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(listed2).map(([stored, digest]) => [studyPathOf(stored), digest]),
      ),
      state2,
      "revision 2's list is the study as the second run found it",
    );

    // S3: every object of revision 1 is untouched; the new ones are the share's additions.
    const objects2 = await objects(world);
    for (const [key, digest] of Object.entries(objects1)) assert.equal(objects2[key], digest, key);
    assert.deepEqual(Object.keys(objects2).filter((key) => !(key in objects1)).sort(), added);
    for (const key of Object.keys(objects1)) {
      assert.ok(
        !world.peer.requests.some((r) =>
          r.key === `${PREFIX}/${key}` &&
          /^(PutObject|UploadPart|CreateMultipartUpload)$/.test(r.operation)
        ),
        `${key} was not written again`,
      );
    }

    // The manifest: revision 1 complete (source kept), then revision 2 complete, source deleted.
    const manifest = await readManifest(world.config.truenas.manifestRoot);
    const history = manifest.records.filter((r) => r.run_name === A && r.status === "complete")
      .map((r) => [r.revision ?? 1, r.source_deleted_at !== null]);
    assert.deepEqual(history, [[1, false], [2, false], [2, true]]);
    const latest = manifest.latest.get(`fusion-01/${A}`);
    assert.equal(latest?.file_count, Object.keys(state2).length);
    // What each revision stored: the first every file (no field), revision 2 its two files.
    const storedBytes = (await Promise.all(
      added.filter((path) => path.startsWith("_revisions/")).map((path) =>
        Deno.stat(join(folder, ...path.split("/"))).then((info) => info.size)
      ),
    )).reduce((sum, size) => sum + size, 0);
    assert.equal(storedBytes, 164);
    assert.deepEqual(
      manifest.records.filter((r) => r.run_name === A && r.status === "complete")
        .map((r) => [r.stored_file_count, r.stored_bytes]),
      [[undefined, undefined], [2, storedBytes], [2, storedBytes]],
    );
    // Each revision's records hold the SHA-256 of its own list: the same bytes in S3.
    assert.deepEqual(
      manifest.records.filter((r) => r.run_name === A && r.status === "complete")
        .map((r) => r.sidecar_sha256),
      [now[SIDECAR_NAME], now[listName(2)], now[listName(2)]],
    );
    assert.equal(objects2[SIDECAR_NAME], now[SIDECAR_NAME]);
    assert.equal(objects2[listName(2)], now[listName(2)]);

    // Restore gives the study as revision 2 holds it, from the share and from S3 alike.
    assert.deepEqual(await restored(world, "truenas"), state2);
    assert.deepEqual(await restored(world, "s3"), state2);

    // Audit finds nothing wrong; cleanup's gates prove the revised backup evictable.
    const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
    try {
      const report = await runAudit({
        config: world.config,
        s3: true,
        seed: 1,
        store: () => store,
        logger: new Logger({ console: () => {} }),
        progress: { stage() {}, advance() {}, end() {} },
      });
      assert.deepEqual(report.backups.map((b) => [b.backup, b.findings, b.notes]), [
        [`fusion-01/${A}`, [], []],
      ]);
      assert.ok(latest !== undefined);
      const copy = await readShareCopy(folder, 2);
      assert.equal(shareGate(copy, latest), undefined);
      const sizes = await store.listSizes(`${PREFIX}/`);
      assert.equal(
        s3Gate(copy, { bucket: world.peer.bucket, keyPrefix: `${PREFIX}/`, sizes }, latest),
        undefined,
      );
    } finally {
      store.close();
    }
  });
});

Deno.test("a study still equal to its complete backup is only deleted: no revision, nothing sent again", async () => {
  await withBackupWorld(async (world) => {
    const study = await completeKeepingSource(world);
    const folder = join(world.share, "fusion-01", A);
    const share = await snapshot(folder);
    await makeIdle(study);
    world.peer.clearRequests();
    const logStart = world.logLines.length;
    const second = await world.run();
    assert.equal(second.outcomes[0]?.ok, true, second.outcomes[0]?.error);
    assert.equal(second.outcomes[0]?.note, "source deleted (its backup was already complete)");
    await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
    assert.deepEqual(await snapshot(folder), share, "the share copy is untouched");
    assert.deepEqual(
      world.peer.requests.filter((r) => r.operation === "PutObject" || r.operation === "UploadPart")
        .map((r) => r.key.replace(/\d{4}-\d{2}\.fusion-01\.jsonl$/, "M.jsonl")),
      ["fusion/_manifest/M.jsonl", "fusion/_manifest/M.jsonl"],
      "only the manifest went to S3",
    );
    assert.match(
      world.logLines.slice(logStart).join("\n"),
      new RegExp(
        `${A}: unchanged since its complete backup \\(revision 1, .*every file's SHA-256 matches`,
      ),
    );
    const latest = (await readManifest(world.config.truenas.manifestRoot)).latest.get(
      `fusion-01/${A}`,
    );
    assert.equal(latest?.status, "complete");
    assert.equal(latest?.revision, undefined);
    assert.notEqual(latest?.source_deleted_at, null);
  });
});

Deno.test("a base list damaged on the share, or gone from it with its S3 copy damaged too, fails the compare: nothing recorded, source and backup untouched", async () => {
  await withBackupWorld(async (world) => {
    const study = await completeKeepingSource(world);
    await makeIdle(study);
    const folder = join(world.share, "fusion-01", A);
    const list = join(folder, SIDECAR_NAME);
    const good = await Deno.readFile(list);
    await Deno.writeFile(list, new TextEncoder().encode("not a list line\n"), { append: true });
    const manifestBefore = await readManifest(world.config.truenas.manifestRoot);
    const sourceBefore = await snapshot(study);
    const shareBefore = await snapshot(folder);
    const lines = good.filter((byte) => byte === 0x0a).length;
    const writes = () =>
      world.peer.requests.filter((r) => /Put|Upload|Delete|Copy/.test(r.operation))
        .map((r) => `${r.operation} ${r.key}`);
    world.peer.clearRequests();

    const damaged = await world.run();
    assert.equal(damaged.outcomes[0]?.step, "compare");
    assert.match(
      damaged.outcomes[0]?.error ?? "",
      new RegExp(
        `file list of its complete backup \\(${SIDECAR_NAME}\\) cannot be read on the share: .*` +
          `line ${lines + 1} is not '<sha256>  <path>'; the source was kept`,
      ),
    );
    assert.deepEqual(writes(), [], "nothing written to S3");
    await Deno.remove(list);
    await world.peer.corruptObject(`${PREFIX}/${SIDECAR_NAME}`);
    world.peer.clearRequests();
    const gone = await world.run();
    assert.equal(gone.outcomes[0]?.step, "compare");
    assert.match(gone.outcomes[0]?.error ?? "", /in S3 \(.*\) does not match its sha256 metadata/);

    // Nothing recorded, nothing sent or deleted: the next run, with the list back, goes on.
    const manifestAfter = await readManifest(world.config.truenas.manifestRoot);
    assert.deepEqual(manifestAfter.latest, manifestBefore.latest);
    assert.deepEqual(await snapshot(study), sourceBefore);
    const { [SIDECAR_NAME]: _removedByThisTest, ...shareRest } = shareBefore;
    assert.deepEqual(await snapshot(folder), shareRest, "the share copy is untouched");
    assert.deepEqual(writes(), [], "nothing written to S3");
    await Deno.writeFile(list, good);
    const mended = await world.run();
    assert.equal(mended.outcomes[0]?.ok, true, mended.outcomes[0]?.error);
    assert.equal(mended.outcomes[0]?.note, "source deleted (its backup was already complete)");
  });
});

Deno.test("a large file an earlier revision holds, lost from S3 and rewritten after the compare, is refused part by part when sent again", async () => {
  await withBackupWorld(async (world) => {
    const image = `${A}/Scan1/${A}.qptiff`;
    const imageKey = `${PREFIX}/${image}`;
    const study = await world.makeStudy(A, { qptiffBytes: 12 * 1024 * 1024, tempFiles: 2 });
    const first = await world.run({
      afterCopy: async () => {
        await Deno.writeFile(join(study, ...ADDED.split("/")), new Uint8Array(100).fill(5));
      },
    });
    assert.equal(first.outcomes[0]?.step, "delete source", "revision 1 complete, source kept");
    // The image's object is lost from S3 behind the tool's back.
    const deleted = await fetch(`${world.peer.endpoint}/${world.peer.bucket}/${imageKey}`, {
      method: "DELETE",
    });
    await deleted.body?.cancel();
    assert.ok(deleted.ok);
    await makeIdle(study);
    // The instrument rewrites the image (same size) after the run compared it, as it is sent again.
    const imagePath = join(study, ...image.split("/"));
    const original = await Deno.readFile(imagePath);
    world.proxy.interceptRequests(async (request) => {
      if (request.operation === "CreateMultipartUpload" && request.key === imageKey) {
        world.proxy.interceptRequests(undefined);
        const rewritten = original.slice();
        rewritten[0] = (rewritten[0] ?? 0) ^ 0xff;
        await Deno.writeFile(imagePath, rewritten);
      }
      return "forward" as const;
    });
    const [outcome] = (await world.run()).outcomes;
    assert.equal(outcome?.ok, false);
    assert.equal(outcome?.step, "upload");
    assert.equal(outcome?.record?.status, "failed_s3");
    assert.equal(
      await world.object(imageKey),
      undefined,
      "no object holds other bytes under the image's recorded SHA-256",
    );
    assert.notEqual(await Deno.stat(imagePath).catch(() => undefined), undefined, "source kept");
  });
});
