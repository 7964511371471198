/**
 * lib/restore against real backups: studies backed up by the real pipeline
 * to a share folder and the S3 peer (tests/backup/_fixture.ts), then
 * restored from either, with corruption, archive storage classes, --only and
 * the refusal to overwrite, and a stopped restore run again.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OperationFailedError, UsageError } from "../../lib/errors.ts";
import { Logger } from "../../lib/log/mod.ts";
import { appendRecord, type ManifestRecord, readManifest } from "../../lib/manifest/mod.ts";
import {
  PARTIAL_SUFFIX,
  readMirroredManifest,
  restoreBackup,
  type RestoreOptions,
  type RestoreOutcome,
} from "../../lib/restore/mod.ts";
import { SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { createS3Store } from "../../lib/storage/s3.ts";
import { sha256Hex } from "../../lib/storage/mod.ts";
import { shortDigest } from "../../lib/text/mod.ts";
import { symlinkSync } from "node:fs";
import { walk } from "../../lib/fs/mod.ts";
import { PEER_CREDENTIALS } from "../../peers/s3.ts";
import { type BackupWorld, MIB, snapshot, withBackupWorld } from "../backup/_fixture.ts";
import { CANNOT_JUNCTION, CANNOT_SYMLINK } from "../_helpers/links.ts";
import { manifestRecord } from "../_helpers/manifest.ts";

const A = "20250301_alice_lung_panel1";
const NAME = `fusion-01/${A}`;
const QPTIFF = `${A}/Scan1/${A}.qptiff`;
const EMPTY_DIR = `${A}/Scan1/notes`;

interface Restored {
  /** `{path: sha256}` of the study before its backup. */
  readonly original: Record<string, string>;
  readonly to: string;
  readonly logLines: string[];
  restore(overrides?: Partial<RestoreOptions>): Promise<RestoreOutcome>;
}

/** Backs up study A (two experiments, a 12 MiB multipart image, an empty folder). */
async function backedUp(world: BackupWorld): Promise<Restored> {
  const study = await world.makeStudy(A, { experiments: ["", "B"], qptiffBytes: 12 * MIB });
  await Deno.mkdir(join(study, ...EMPTY_DIR.split("/")));
  await world.makeStudy(A, { experiments: ["", "B"], qptiffBytes: 12 * MIB }); // restore mtimes
  const original = await snapshot(study);
  const result = await world.run();
  assert.equal(result.outcomes[0]?.ok, true, result.outcomes[0]?.error);
  const to = join(world.dir, "restored");
  await Deno.mkdir(to);
  const logLines: string[] = [];
  return {
    original,
    to,
    logLines,
    async restore(overrides = {}) {
      const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
      try {
        return await restoreBackup({
          config: world.config,
          name: NAME,
          to,
          tier: "Standard",
          days: 7,
          store: () => store,
          logger: new Logger({ console: (line) => logLines.push(line) }),
          command: "fusion-toolkit",
          progress: { stage() {}, advance() {}, end() {} },
          ...overrides,
        });
      } finally {
        store.close();
      }
    },
  };
}

async function partialFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of walk(dir)) {
    if (entry.name.endsWith(PARTIAL_SUFFIX)) found.push(entry.path);
  }
  return found;
}

async function isEmptyDir(path: string): Promise<boolean> {
  return (await Deno.stat(path)).isDirectory &&
    (await Array.fromAsync(Deno.readDir(path))).length === 0;
}

function shareFolder(world: BackupWorld): string {
  return join(world.share, "fusion-01", A);
}

Deno.test("from the share by default: every file back byte for byte, empty folders too", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore } = await backedUp(world);
    world.peer.clearRequests();
    const outcome = await restore();
    assert.equal(outcome.kind, "restored");
    if (outcome.kind !== "restored") return;
    assert.equal(outcome.source, "truenas");
    assert.equal(outcome.reason, `the share holds its verified copy at ${shareFolder(world)}`);
    assert.equal(outcome.destination, join(to, A));
    assert.equal(outcome.files, Object.keys(original).length);
    assert.deepEqual(outcome.problems, []);
    assert.equal(outcome.emptyDirs, 1);
    assert.deepEqual(await snapshot(join(to, A)), original);
    assert.ok(await isEmptyDir(join(to, A, ...EMPTY_DIR.split("/"))));
    assert.equal(world.peer.requests.length, 0, "the share alone needs no S3");
  });
});

Deno.test("from S3 when the share copy was evicted, and with --from s3: the same bytes", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore } = await backedUp(world);
    const viaFlag = await restore({ from: "s3" });
    assert.equal(viaFlag.kind === "restored" && viaFlag.source, "s3");
    assert.equal(viaFlag.reason, "--from s3");
    assert.deepEqual(await snapshot(join(to, A)), original);
    assert.ok(await isEmptyDir(join(to, A, ...EMPTY_DIR.split("/"))), "from the folder marker");

    await Deno.remove(join(to, A), { recursive: true });
    await Deno.remove(shareFolder(world), { recursive: true });
    world.peer.clearRequests();
    const auto = await restore();
    assert.equal(auto.source, "s3");
    assert.equal(
      auto.reason,
      `${shareFolder(world)} is no longer on the share (cleanup evicts old backups)`,
    );
    assert.deepEqual(await snapshot(join(to, A)), original);
    // The sidecar, then each file once; each 12 MiB image in 5 MiB ranges: its first GET and two
    // ranged GETs.
    const images = Object.keys(original).filter((path) => path.endsWith(".qptiff")).length;
    assert.equal(world.peer.count("GetObject"), Object.keys(original).length + 1 + 2 * images);
  });
});

Deno.test("a share that is not mounted: the manifest copy in S3 names the backup, S3 serves it", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore, logLines } = await backedUp(world);
    const gone = join(world.dir, "not-mounted");
    world.config = {
      ...world.config,
      truenas: { ...world.config.truenas, root: gone, manifestRoot: join(gone, "_manifest") },
    };
    const outcome = await restore({ name: A });
    assert.equal(outcome.source, "s3");
    assert.equal(outcome.reason, `the share is not reachable at ${gone}`);
    assert.equal(outcome.manifest, `s3://${world.peer.bucket}/fusion/_manifest/`);
    assert.ok(logLines.some((line) => line.includes("using the manifest copy s3://")));
    assert.deepEqual(await snapshot(join(to, A)), original);
  });
});

Deno.test("share not mounted: the S3 copies of every instrument's manifest, and of the old shared one, name the backups", async () => {
  await withBackupWorld(async (world) => {
    await backedUp(world);
    // A second instrument backs up to the same share and bucket, with its own manifest file.
    const own = world.config;
    const B = "20250302_bob_tonsil_run2";
    world.config = { ...own, backup: { ...own.backup, instrument: "fusion-02" } };
    const original = await snapshot(await world.makeStudy(B));
    assert.equal((await world.run()).outcomes[0]?.ok, true);
    const gone = join(world.dir, "not-mounted");
    world.config = {
      ...own,
      truenas: { ...own.truenas, root: gone, manifestRoot: join(gone, "_manifest") },
    };
    const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
    try {
      // What an earlier version mirrored: one file of the month for every instrument.
      const old = manifestRecord("fusion-03/20241201_carl_skin_old", {
        started_at: "2024-12-01T02:00:00Z",
      });
      await store.putBytes(
        "fusion/_manifest/2024-12.jsonl",
        jsonLines(old),
        "application/x-ndjson",
      );
      await store.putBytes("fusion/_manifest/notes.txt", jsonLines(old), "text/plain");
      const mirrored = [...(await store.listSizes("fusion/_manifest/")).keys()]
        .map((key) => key.replace(/^fusion\/_manifest\/\d{4}-\d{2}\./, "YYYY-MM."));
      assert.deepEqual(
        mirrored.sort(),
        [
          "YYYY-MM.fusion-01.jsonl",
          "YYYY-MM.fusion-02.jsonl",
          "YYYY-MM.jsonl",
          "fusion/_manifest/notes.txt",
        ].sort(),
      );

      const manifest = await readMirroredManifest(world.config, store);
      assert.deepEqual([...manifest.latest.keys()].sort(), [
        "fusion-01/20250301_alice_lung_panel1",
        `fusion-02/${B}`,
        "fusion-03/20241201_carl_skin_old",
      ]);
      assert.deepEqual(manifest.warnings, []);

      const to = join(world.dir, "restored-b");
      await Deno.mkdir(to);
      const outcome = await restoreBackup({
        config: world.config,
        name: `fusion-02/${B}`,
        to,
        tier: "Standard",
        days: 7,
        store: () => store,
        logger: new Logger({ console: () => {} }),
        command: "fusion-toolkit",
        progress: { stage() {}, advance() {}, end() {} },
      });
      assert.equal(outcome.source, "s3");
      assert.deepEqual(await snapshot(join(to, B)), original);
    } finally {
      store.close();
    }
  });
});

function jsonLines(...records: ManifestRecord[]): Uint8Array {
  return new TextEncoder().encode(records.map((record) => `${JSON.stringify(record)}\n`).join(""));
}

Deno.test("--only restores the matching files and folders; a pattern matching nothing is a usage error", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore } = await backedUp(world);
    const outcome = await restore({ only: ["**/*.qptiff"] });
    assert.equal(outcome.kind === "restored" && outcome.files, 2);
    assert.deepEqual(
      Object.keys(await snapshot(join(to, A))).sort(),
      Object.keys(original).filter((path) => path.endsWith(".qptiff")).sort(),
    );
    const other = join(world.dir, "other");
    await Deno.mkdir(other);
    const folder = await restore({ only: [`${A}/Scan1`], from: "s3", to: other });
    assert.equal(folder.kind === "restored" && folder.files, 3, "the image and two tiles");
    assert.deepEqual(
      Object.keys(await snapshot(join(other, A))).sort(),
      Object.keys(original).filter((path) => path.startsWith(`${A}/Scan1/`)).sort(),
    );
    assert.ok(await isEmptyDir(join(other, A, ...EMPTY_DIR.split("/"))));
    await assert.rejects(
      restore({ only: ["*.nothing"] }),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message === `--only '*.nothing' matches none of the 8 files of ${NAME}`,
    );
  });
});

Deno.test("refuses to overwrite: a file that differs from the backup is a usage error, nothing written", async () => {
  await withBackupWorld(async (world) => {
    const { to, restore } = await backedUp(world);
    await Deno.mkdir(join(to, A, A, "Scan1"), { recursive: true });
    await Deno.writeTextFile(join(to, A, ...QPTIFF.split("/")), "mine");
    const before = await snapshot(to);
    for (const from of ["truenas", "s3"] as const) {
      await assert.rejects(
        restore({ from }),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message ===
            `${join(to, A, ...QPTIFF.split("/"))} already exists and differs from the backup: ` +
              "restore never overwrites; restore into another --to folder, or move it away " +
              "(nothing was written)",
      );
    }
    assert.deepEqual(await snapshot(to), before);

    await Deno.remove(join(to, A, ...QPTIFF.split("/")));
    await Deno.mkdir(join(to, A, ...QPTIFF.split("/")));
    await assert.rejects(
      restore(),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message.startsWith(`${join(to, A, ...QPTIFF.split("/"))} exists and is not a file:`),
    );
    await assert.rejects(
      restore({ to: join(world.dir, "no-such-folder") }),
      /--to .*no-such-folder: no such folder; create it first/,
    );
  });
});

Deno.test("run again after a restore stopped midway: files already there are checked and kept, only the rest fetched", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore, logLines } = await backedUp(world);
    assert.equal((await restore({ from: "s3" })).kind, "restored");
    // What a stop leaves: some files not yet restored, one half-written under its temporary name.
    const unrestored = [QPTIFF, `${A}_B.xpd`];
    for (const path of unrestored) await Deno.remove(join(to, A, ...path.split("/")));
    await Deno.writeTextFile(join(to, A, ...QPTIFF.split("/")) + PARTIAL_SUFFIX, "half");

    world.peer.clearRequests();
    const outcome = await restore({ from: "s3" });
    assert.equal(outcome.kind, "restored");
    if (outcome.kind !== "restored") return;
    assert.equal(outcome.files, unrestored.length);
    assert.equal(outcome.alreadyThere, Object.keys(original).length - unrestored.length);
    assert.deepEqual(outcome.problems, []);
    assert.deepEqual(await snapshot(join(to, A)), original);
    assert.deepEqual(await partialFiles(to), []);
    // The sidecar, then only the two missing files (the image in several ranged GETs).
    const prefix = `fusion/fusion-01/${A}`;
    assert.deepEqual(
      [...new Set(world.peer.requests.filter((r) => r.operation === "GetObject").map((r) => r.key))]
        .sort(),
      [`${prefix}/${SIDECAR_NAME}`, ...unrestored.map((path) => `${prefix}/${path}`)].sort(),
    );
    assert.equal(world.peer.count("HeadObject"), unrestored.length);
    assert.ok(
      logLines.some((line) =>
        line.includes(
          `${Object.keys(original).length - unrestored.length} of 8 files are already in`,
        )
      ),
    );

    // Everything there already: nothing fetched, nothing rewritten.
    world.peer.clearRequests();
    const again = await restore();
    assert.equal(again.kind === "restored" && again.alreadyThere, Object.keys(original).length);
    assert.equal(again.kind === "restored" && again.files, 0);
    assert.equal(world.peer.requests.length, 0);
  });
});

Deno.test("bit rot on the share is caught: that file is not restored, no partial file stays", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore, logLines } = await backedUp(world);
    const copy = join(shareFolder(world), ...QPTIFF.split("/"));
    const bytes = await Deno.readFile(copy);
    bytes[7 * MIB] = (bytes[7 * MIB] ?? 0) ^ 0x01;
    await Deno.writeFile(copy, bytes);
    const outcome = await restore();
    assert.equal(outcome.kind === "restored" && outcome.files, Object.keys(original).length - 1);
    assert.equal(outcome.problems.length, 1);
    assert.equal(outcome.problems[0]?.path, QPTIFF);
    assert.match(
      outcome.problems[0]?.problem ?? "",
      /^the share copy's SHA-256 is [0-9a-f]{12}…, the sidecar says [0-9a-f]{12}…: the copy on the share changed \(bit rot\?\); restore it with --from s3$/,
    );
    const restored = await snapshot(join(to, A));
    assert.equal(restored[QPTIFF], undefined);
    delete original[QPTIFF];
    assert.deepEqual(restored, original);
    assert.deepEqual(await partialFiles(to), []);
    assert.ok(
      logLines.some((line) => line.startsWith(`error: ${NAME}: ${QPTIFF} was not restored`)),
    );
    // The remedy the message gives works: that one file from S3.
    const fixed = await restore({ from: "s3", only: [QPTIFF] });
    assert.deepEqual(fixed.problems, []);
  });
});

Deno.test("a corrupted or missing S3 object is caught against the sidecar and the object's metadata", async () => {
  await withBackupWorld(async (world) => {
    const { to, restore } = await backedUp(world);
    const prefix = `fusion/fusion-01/${A}`;
    await world.peer.corruptObject(`${prefix}/${A}.xpd`, 3);
    await world.peer.removeObject(`${prefix}/${A}_B.xpd`);
    const outcome = await restore({ from: "s3" });
    assert.deepEqual(outcome.problems.map((problem) => problem.path), [`${A}.xpd`, `${A}_B.xpd`]);
    assert.match(
      outcome.problems[0]?.problem ?? "",
      /^the downloaded SHA-256 is [0-9a-f]{12}…, the sidecar says [0-9a-f]{12}… \(s3:\/\/fusion-test\/.*\.xpd\)$/,
    );
    assert.equal(
      outcome.problems[1]?.problem,
      `s3://fusion-test/${prefix}/${A}_B.xpd does not exist`,
    );
    await assert.rejects(Deno.stat(join(to, A, `${A}.xpd`)), Deno.errors.NotFound);
    assert.deepEqual(await partialFiles(to), []);
    assert.equal(outcome.kind === "restored" && outcome.files, 6);
  });
});

Deno.test("DEEP_ARCHIVE: the first call requests retrieval and writes nothing; a later one completes", async () => {
  await withBackupWorld(async (world) => {
    world.config = { ...world.config, s3: { ...world.config.s3, storageClass: "DEEP_ARCHIVE" } };
    const { original, to, restore } = await backedUp(world);
    await Deno.remove(shareFolder(world), { recursive: true });
    const files = Object.keys(original).length;

    const first = await restore({ tier: "Bulk", days: 3 });
    assert.equal(first.kind, "waiting");
    if (first.kind !== "waiting") return;
    assert.deepEqual([...first.archived], [["DEEP_ARCHIVE", files]]);
    assert.equal(first.started, files);
    assert.equal(first.inProgress, 0);
    assert.equal(first.typicalWait, "within 48 hours");
    assert.equal(world.peer.restoreRequests.length, files);
    assert.ok(world.peer.restoreRequests.every((r) => r.tier === "Bulk" && r.days === 3));
    assert.deepEqual(await snapshot(to), {}, "nothing written");

    const second = await restore({ tier: "Bulk", days: 3 });
    assert.equal(second.kind === "waiting" && second.inProgress, files);
    assert.equal(world.peer.restoreRequests.length, files, "no second request");

    world.peer.finishRestores();
    const third = await restore();
    assert.equal(third.kind, "restored");
    assert.deepEqual(await snapshot(join(to, A)), original);
    assert.ok(await isEmptyDir(join(to, A, ...EMPTY_DIR.split("/"))));
  });
});

Deno.test("a sidecar path or a manifest study name that could leave the destination is refused", async () => {
  await withBackupWorld(async (world) => {
    const { to, restore } = await backedUp(world);
    const sidecar = join(shareFolder(world), SIDECAR_NAME);
    await Deno.writeTextFile(sidecar, `${"0".repeat(64)}  ../../escape\n`, { append: true });
    await assert.rejects(
      restore(),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        error.message ===
          `${SIDECAR_NAME} of ${NAME} lists '../../escape' (a '..' path segment): refusing to ` +
            "restore a path that could land outside the destination",
    );
    assert.deepEqual(await snapshot(to), {});

    // A manifest record whose study name is not a folder name is refused too.
    const [good] = (await readManifest(world.config.truenas.manifestRoot)).records;
    assert.ok(good !== undefined);
    await appendRecord(world.config.truenas.manifestRoot, {
      ...good,
      backup_name: "fusion-01/evil",
      run_name: "../../evil",
    });
    await assert.rejects(
      restore({ name: "fusion-01/evil" }),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        error.message.startsWith(
          "the manifest names fusion-01/evil with '../../evil', which is not a folder name",
        ),
    );
    assert.deepEqual(
      await snapshot(world.dir).then((files) =>
        Object.keys(files).filter((path) => path.includes("evil"))
      ),
      [],
    );
  });
});

/**
 * Changes `path` of the share copy to `bytes` and its sidecar line to their digest, the way a
 * hand edit (or a tool that "repairs" checksums) would: every file still matches the sidecar.
 */
async function editConsistently(
  world: BackupWorld,
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const file = join(shareFolder(world), ...path.split("/"));
  const before = sha256Hex(await Deno.readFile(file));
  await Deno.writeFile(file, bytes);
  const sidecar = join(shareFolder(world), SIDECAR_NAME);
  const text = await Deno.readTextFile(sidecar);
  assert.ok(text.includes(`${before}  ${path}\n`));
  await Deno.writeTextFile(
    sidecar,
    text.replace(`${before}  ${path}\n`, `${sha256Hex(bytes)}  ${path}\n`),
  );
}

/** Appends the latest record of the backup again, as a version before sidecar_sha256 wrote it. */
async function recordAsEarlierVersion(world: BackupWorld): Promise<ManifestRecord> {
  const latest = (await readManifest(world.config.truenas.manifestRoot)).latest.get(NAME);
  assert.ok(latest?.sidecar_sha256 !== undefined && latest.sidecar_sha256 !== null);
  const { sidecar_sha256: _, ...earlier } = latest;
  await appendRecord(world.config.truenas.manifestRoot, earlier);
  return earlier;
}

Deno.test("a file and its sidecar line changed together on the share: refused by the manifest's sidecar_sha256, nothing written; --from s3 restores the backup", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore } = await backedUp(world);
    const recorded = (await readManifest(world.config.truenas.manifestRoot)).latest.get(NAME)
      ?.sidecar_sha256;
    const xpd = `${A}.xpd`;
    const bytes = await Deno.readFile(join(shareFolder(world), xpd));
    bytes[0] = (bytes[0] ?? 0) ^ 0x01; // the same size: only the sidecar's digest tells
    await editConsistently(world, xpd, bytes);
    const edited = sha256Hex(await Deno.readFile(join(shareFolder(world), SIDECAR_NAME)));
    await assert.rejects(
      restore(),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        error.message ===
          `the share copy of ${NAME} is not the one its manifest record describes: its ` +
            `${SIDECAR_NAME} has SHA-256 ${shortDigest(edited)}, the manifest recorded ` +
            `${shortDigest(recorded ?? "")} (the list was changed after the backup); restore it ` +
            "from S3 with --from s3 (nothing was written)",
    );
    assert.deepEqual(await snapshot(to), {});
    assert.deepEqual(await Array.fromAsync(Deno.readDir(to)), [], "not even a folder");

    // The remedy the message gives works, and brings back the backup's bytes, not the edit.
    const fromS3 = await restore({ from: "s3" });
    assert.deepEqual(fromS3.problems, []);
    assert.deepEqual(await snapshot(join(to, A)), original);
  });
});

Deno.test("a record of an earlier version (no sidecar_sha256): said in a note; file count and bytes are still checked", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore } = await backedUp(world);
    await recordAsEarlierVersion(world);
    const note = `the manifest record of ${NAME} holds no sidecar_sha256 (written by an earlier ` +
      `version, or before its share copy was verified): ${SIDECAR_NAME} itself could not be ` +
      "checked against the manifest; its file count and bytes were";
    const intact = await restore();
    assert.deepEqual(intact.notes, [note]);
    assert.deepEqual(await snapshot(join(to, A)), original);
    await Deno.remove(join(to, A), { recursive: true });

    // A file grown and its sidecar line changed to match: the bytes disagree.
    const xpd = `${A}.xpd`;
    const grown = new Uint8Array([...await Deno.readFile(join(shareFolder(world), xpd)), 0x0a]);
    await editConsistently(world, xpd, grown);
    const total = (await readManifest(world.config.truenas.manifestRoot)).latest.get(NAME)
      ?.total_bytes ?? 0;
    await assert.rejects(
      restore(),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        error.message ===
          `the share copy of ${NAME} is not the one its manifest record describes: its files ` +
            `hold ${total + 1} bytes, the manifest recorded ${total}; restore it from S3 with ` +
            "--from s3 (nothing was written)",
    );
    // A file and its sidecar line both gone: the count disagrees.
    const sidecar = join(shareFolder(world), SIDECAR_NAME);
    const lines = (await Deno.readTextFile(sidecar)).split("\n").filter((line) =>
      !line.endsWith(`  ${xpd}`)
    );
    await Deno.writeTextFile(sidecar, lines.join("\n"));
    await Deno.remove(join(shareFolder(world), xpd));
    await assert.rejects(
      restore(),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        error.message.includes(
          `: its ${SIDECAR_NAME} lists ${Object.keys(original).length - 1} files, the manifest ` +
            `recorded ${Object.keys(original).length}; restore it from S3 with --from s3`,
        ),
    );
    assert.deepEqual(await snapshot(to), {});
  });
});

Deno.test("the S3 sidecar replaced with one that matches its own metadata: refused by the manifest's sidecar_sha256", async () => {
  await withBackupWorld(async (world) => {
    const { original, to, restore } = await backedUp(world);
    const key = `fusion/fusion-01/${A}/${SIDECAR_NAME}`;
    const text = new TextDecoder().decode(await world.object(key));
    const [first = ""] = text.split("\n");
    const forged = text.replace(first, `${"0".repeat(64)}${first.slice(64)}`);
    const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
    try {
      // Replaced outside the backup's conditional writes, with the sha256 metadata of these bytes.
      await store.replaceBytes(key, new TextEncoder().encode(forged), "text/plain; charset=utf-8");
    } finally {
      store.close();
    }
    world.peer.clearRequests();
    await assert.rejects(
      restore({ from: "s3" }),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        new RegExp(
          `^the S3 copy of ${NAME} is not the one its manifest record describes: its ` +
            `${RegExp.escape(SIDECAR_NAME)} has SHA-256 [0-9a-f]{12}…, the manifest recorded ` +
            "[0-9a-f]{12}… \\(the list was changed after the backup\\); restore it from the share " +
            "with --from truenas \\(nothing was written\\)$",
        ).test(error.message),
    );
    assert.equal(world.peer.count("GetObject"), 1, "only the sidecar was read");
    assert.deepEqual(await snapshot(to), {});
    // The share's copy, which the manifest vouches for, still restores.
    assert.deepEqual((await restore()).problems, []);
    assert.deepEqual(await snapshot(join(to, A)), original);
  });
});

/** The refusal of a link in the destination, for `path`. */
function linkRefused(path: string): (error: unknown) => boolean {
  return (error: unknown) =>
    error instanceof UsageError &&
    error.message ===
      `${path} is a symbolic link or junction: restore never writes through a link, whose ` +
        "target may lie outside --to; restore into another --to folder, or move the link away " +
        "(nothing was written)";
}

/**
 * A destination whose folders lead outside `to` through a link made by `link`: the study folder
 * itself, then a folder inside it; from either source, nothing is written outside or inside.
 */
async function refusesLinkedFolders(
  world: BackupWorld,
  link: (target: string, path: string) => void,
): Promise<void> {
  const { to, restore } = await backedUp(world);
  const outside = join(world.dir, "outside");
  await Deno.mkdir(outside);
  link(outside, join(to, A));
  for (const from of ["truenas", "s3"] as const) {
    await assert.rejects(restore({ from }), linkRefused(join(to, A)));
  }
  assert.deepEqual(await Array.fromAsync(Deno.readDir(outside)), [], "nothing written outside");

  await Deno.remove(join(to, A));
  await Deno.mkdir(join(to, A, A), { recursive: true });
  link(outside, join(to, A, A, "Scan1"));
  for (const from of ["truenas", "s3"] as const) {
    await assert.rejects(restore({ from }), linkRefused(join(to, A, A, "Scan1")));
  }
  assert.deepEqual(await Array.fromAsync(Deno.readDir(outside)), [], "nothing written outside");
  assert.deepEqual(await snapshot(to), {}, "nothing written inside either");
  // --only choosing files that need no linked folder still restores them.
  const xpd = await restore({ only: [`${A}.xpd`] });
  assert.deepEqual(xpd.problems, []);
  assert.deepEqual(Object.keys(await snapshot(to)), [`${A}/${A}.xpd`]);
}

Deno.test({
  name:
    "a folder in the destination that is a symbolic link to outside --to: refused, nothing written outside",
  ignore: CANNOT_SYMLINK,
  fn: () =>
    withBackupWorld((world) =>
      refusesLinkedFolders(world, (target, path) => Deno.symlinkSync(target, path, { type: "dir" }))
    ),
});

Deno.test({
  name:
    "a folder in the destination that is a Windows junction to outside --to: refused the same way",
  ignore: CANNOT_JUNCTION,
  fn: () =>
    withBackupWorld((world) =>
      refusesLinkedFolders(world, (target, path) => symlinkSync(target, path, "junction"))
    ),
});
