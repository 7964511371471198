/**
 * Resuming a backup that stopped part-way, in-process against the real S3
 * peer: the copy journal, which copies are kept, and what goes to S3 again.
 * (tests/cli/backup_cli_test.ts kills a real process mid-copy and mid-upload.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  COPY_JOURNAL_NAME,
  CopyJournal,
  readCopyJournal,
  removeCopyJournal,
  SIDECAR_NAME,
} from "../../lib/layout/mod.ts";
import { readManifest } from "../../lib/manifest/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { MIB, snapshot, withBackupWorld } from "./_fixture.ts";

const A = "20250301_alice_lung_panel1";

Deno.test("the copy journal keeps the latest line per file and survives a torn line", async () => {
  await withTempDir(async (dir) => {
    {
      using journal = await CopyJournal.open(dir);
      await journal.append({ path: "a", size: 1, mtime: 5, sha256Hex: "aa" });
    }
    // A line as older versions wrote it, with the S3 part digests (now cut at the read-back).
    await Deno.writeTextFile(
      join(dir, COPY_JOURNAL_NAME),
      `${
        JSON.stringify({
          path: "b/c",
          size: 2,
          mtime: 6,
          sha256: "bb",
          partSize: 5 * MIB,
          parts: [],
        })
      }\n`,
      { append: true },
    );
    {
      using journal = await CopyJournal.open(dir);
      await journal.append({ path: "a", size: 3, mtime: 7, sha256Hex: "cc" });
    }
    await Deno.writeTextFile(join(dir, COPY_JOURNAL_NAME), '{"path": "d", "si', { append: true });
    const journal = await readCopyJournal(dir);
    assert.deepEqual([...journal.keys()], ["a", "b/c"]);
    assert.deepEqual(journal.get("a"), { path: "a", size: 3, mtime: 7, sha256Hex: "cc" });
    assert.deepEqual(journal.get("b/c"), { path: "b/c", size: 2, mtime: 6, sha256Hex: "bb" });
    await removeCopyJournal(dir);
    assert.deepEqual(await readCopyJournal(dir), new Map());
    await removeCopyJournal(dir);
  });
});

Deno.test("a re-run keeps verified copies, recopies a damaged copy and a changed file", async () => {
  await withBackupWorld(async (world) => {
    const study = await world.makeStudy(A, { experiments: ["", "B"], tempFiles: 4 });
    // A run stopped after the copy (like a crash: a stop keeps its verified copies).
    const stopping = new AbortController();
    const stop = await world.run({
      signal: stopping.signal,
      afterCopy: () => Promise.resolve(stopping.abort()),
    });
    assert.equal(stop.outcomes[0]?.ok, false);
    const destination = join(world.share, "fusion-01", A);
    const journal = await readCopyJournal(destination);
    const files = Object.keys(await snapshot(study));
    assert.equal(journal.size, files.length, "every copied file is in the journal");

    // Damage one copy on the share; change one source file (same size, another time).
    const damaged = `${A}/Scan1/.temp/tile_00001.bin`;
    await Deno.writeFile(join(destination, damaged), new Uint8Array(64));
    const changed = `${A}_B/Scan1/.temp/tile_00002.bin`;
    await Deno.writeFile(join(study, changed), new Uint8Array(64).fill(7));
    const old = new Date(Date.now() - 20 * 86_400_000);
    await Deno.utime(join(study, changed), old, old);
    const expected = await snapshot(study);

    const logStart = world.logLines.length;
    const result = await world.run();
    assert.equal(result.outcomes[0]?.ok, true, result.outcomes[0]?.error);
    const log = world.logLines.slice(logStart).join("\n");
    assert.match(
      log,
      new RegExp(`${A}: copied 2 files, 128 bytes .*; kept ${files.length - 2} files`),
      "the damaged copy and the changed file are copied again, nothing else",
    );

    const onShare = await snapshot(destination);
    delete onShare["_checksums.sha256"];
    assert.deepEqual(onShare, expected);
    const latest = (await readManifest(world.config.truenas.manifestRoot)).latest.get(
      `fusion-01/${A}`,
    );
    assert.equal(latest?.status, "complete");
  });
});

Deno.test("a re-run after a stop before S3 keeps every copy and uploads everything once", async () => {
  await withBackupWorld(async (world) => {
    const study = await world.makeStudy(A, { qptiffBytes: 7 * MIB, tempFiles: 3 });
    const files = await snapshot(study);
    const stopping = new AbortController();
    await world.run({
      signal: stopping.signal,
      afterCopy: () => Promise.resolve(stopping.abort()),
    });
    const destination = join(world.share, "fusion-01", A);
    const damaged = `${A}/Scan1/.temp/tile_00001.bin`;
    await Deno.writeFile(join(destination, damaged), new Uint8Array(64));
    world.peer.clearRequests();
    const logStart = world.logLines.length;
    const result = await world.run();
    assert.equal(result.outcomes[0]?.ok, true, result.outcomes[0]?.error);
    const log = world.logLines.slice(logStart).join("\n");
    const count = Object.keys(files).length;
    assert.match(
      log,
      new RegExp(`${A}: copied 1 files, 64 bytes .*; kept ${count - 1} files, \\d+ bytes already`),
    );
    assert.match(log, new RegExp(`${A}: read back 1 files, 64 bytes`));
    assert.match(log, new RegExp(`${A}: uploaded ${count} files`));
    assert.equal(world.peer.count("UploadPart"), 2, "the 7 MiB image went up in two parts");
    const onShare = await snapshot(destination);
    delete onShare["_checksums.sha256"];
    assert.deepEqual(onShare, files);
    await assert.rejects(Deno.stat(join(destination, COPY_JOURNAL_NAME)), Deno.errors.NotFound);
  });
});

Deno.test("a failed copy takes back only what it wrote: an earlier run's verified copies stay for the next", async () => {
  await withBackupWorld(async (world) => {
    const study = await world.makeStudy(A, { tempFiles: 4 });
    const stopping = new AbortController();
    await world.run({
      signal: stopping.signal,
      afterCopy: () => Promise.resolve(stopping.abort()),
    });
    const destination = join(world.share, "fusion-01", A);
    const earlier = await snapshot(destination);
    // One source file changes, so the next attempt copies it again; then its read-back fails.
    const changed = `${A}/Scan1/.temp/tile_00002.bin`;
    await Deno.writeFile(join(study, changed), new Uint8Array(64).fill(3));
    const old = new Date(Date.now() - 20 * 86_400_000);
    await Deno.utime(join(study, changed), old, old);
    const failed = await world.run({
      afterCopy: async (folder) => {
        await Deno.writeFile(join(folder, changed), new Uint8Array(64).fill(4));
      },
    });
    assert.equal(failed.outcomes[0]?.step, "read-back");
    const left = await snapshot(destination);
    assert.equal(left[changed], undefined, "the copy this attempt wrote is gone");
    for (const [path, digest] of Object.entries(earlier)) {
      if (path === changed || path === COPY_JOURNAL_NAME) continue;
      assert.equal(left[path], digest, `${path}, copied and verified by the earlier run, stays`);
    }
    const result = await world.run();
    assert.equal(result.outcomes[0]?.ok, true, result.outcomes[0]?.error);
  });
});

Deno.test("a file list changed on the share after it was sealed is never sent: failed_s3, source kept, and the next run seals and sends the proven one", async () => {
  await withBackupWorld(async (world) => {
    const study = await world.makeStudy(A, { tempFiles: 3 });
    const source = await snapshot(study);
    const list = join(world.share, "fusion-01", A, SIDECAR_NAME);
    const listKey = `fusion/fusion-01/${A}/${SIDECAR_NAME}`;
    // While the files go up (several at once), something on the share rewrites the sealed list, once.
    let sealedList: Promise<string> | undefined;
    world.proxy.interceptRequests(async (request) => {
      if (
        sealedList === undefined && request.operation === "PutObject" && request.key !== listKey
      ) {
        sealedList = Deno.readTextFile(list);
        const text = await sealedList;
        await Deno.writeTextFile(list, text.replace(/^./, (c) => c === "0" ? "1" : "0"));
      }
      return "forward" as const;
    });
    const [failed] = (await world.run()).outcomes;
    world.proxy.interceptRequests(undefined);
    const sealed = await sealedList;
    assert.ok(sealed !== undefined && sealed !== "", "the list was sealed, then rewritten");
    assert.equal(failed?.step, "upload");
    assert.equal(failed?.record?.status, "failed_s3");
    assert.match(
      failed?.error ?? "",
      /^_checksums\.sha256 on the share now has SHA-256 [0-9a-f]{64}, not the [0-9a-f]{64} it was written with: it changed there after it was sealed; the next run writes it again from the proven copies$/,
    );
    assert.equal(await world.object(listKey), undefined, "the changed list never went to S3");
    assert.deepEqual(await snapshot(study), source, "source kept");

    const [healed] = (await world.run()).outcomes;
    assert.equal(healed?.ok, true, healed?.error);
    assert.equal(healed?.record?.status, "complete");
    assert.equal(await Deno.readTextFile(list), sealed, "the list on the share is the proven one");
    assert.equal(new TextDecoder().decode(await world.object(listKey)), sealed);
    await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
  });
});
