/**
 * lib/audit against real backups (tests/backup/_fixture.ts): the share
 * folder and the S3 peer as the backup left them, then damaged the ways a
 * real archive gets damaged.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type AuditOptions, type AuditReport, runAudit } from "../../lib/audit/mod.ts";
import { COPY_JOURNAL_NAME } from "../../lib/layout/mod.ts";
import { ConfigError } from "../../lib/errors.ts";
import { Logger } from "../../lib/log/mod.ts";
import { SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { createS3Store } from "../../lib/storage/s3.ts";
import { sha256Hex } from "../../lib/storage/mod.ts";
import { appendRecord, readManifest } from "../../lib/manifest/mod.ts";
import { PEER_CREDENTIALS } from "../../peers/s3.ts";
import { type BackupWorld, MIB, withBackupWorld } from "../backup/_fixture.ts";

const A = "20250301_alice_lung_panel1";
const B = "20250302_bob_tonsil_run2";
const QPTIFF = `${A}/Scan1/${A}.qptiff`;

async function backUpTwo(world: BackupWorld): Promise<void> {
  await world.makeStudy(A, { qptiffBytes: 12 * MIB });
  await world.makeStudy(B, { tempFiles: 6 });
  const result = await world.run();
  assert.ok(result.outcomes.every((outcome) => outcome.ok), JSON.stringify(result.outcomes));
}

async function audit(
  world: BackupWorld,
  overrides: Partial<AuditOptions> = {},
): Promise<AuditReport> {
  const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
  try {
    return await runAudit({
      config: world.config,
      seed: 1,
      s3: false,
      store: () => store,
      logger: new Logger({ console: () => {} }),
      progress: { stage() {}, advance() {}, end() {} },
      ...overrides,
    });
  } finally {
    store.close();
  }
}

function copyOf(world: BackupWorld, study: string, path: string): string {
  return join(world.share, "fusion-01", study, ...path.split("/"));
}

function findings(report: AuditReport): string[] {
  return report.backups.flatMap((backup) =>
    backup.findings.map((finding) =>
      `${backup.backup} ${finding.place} ${finding.path}: ${finding.problem}`
    )
  );
}

Deno.test("intact backups: every share file read and every S3 object checked, no findings", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    world.peer.clearRequests();
    const report = await audit(world, { s3: true });
    assert.deepEqual(findings(report), []);
    assert.deepEqual(
      report.backups.map((b) => [b.backup, b.share, b.files, b.shareChecked, b.s3Checked]),
      [[`fusion-01/${A}`, "checked", 4, 4, 4], [`fusion-01/${B}`, "checked", 8, 8, 8]],
    );
    assert.equal(
      report.backups[0]?.shareBytes,
      12 * MIB + 128 + (await Deno.stat(copyOf(world, A, `${A}.xpd`))).size,
    );
    assert.equal(world.peer.count("GetObject"), 0, "S3 is checked by HeadObject, never downloaded");
    assert.equal(world.peer.count("HeadObject"), 4 + 8 + 2, "every object and both sidecars");
  });
});

Deno.test("bit rot, a missing file and an extra file on the share", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    const image = copyOf(world, A, QPTIFF);
    const bytes = await Deno.readFile(image);
    bytes[10 * MIB] = (bytes[10 * MIB] ?? 0) ^ 0x80;
    await Deno.writeFile(image, bytes);
    await Deno.remove(copyOf(world, B, `${B}.xpd`));
    await Deno.writeTextFile(copyOf(world, B, "stray.txt"), "someone's notes\n");
    // The copy journal a backup stopped right after `complete` may leave is the tool's own.
    await Deno.writeTextFile(copyOf(world, B, COPY_JOURNAL_NAME), "");
    const report = await audit(world);
    const found = findings(report);
    assert.equal(found.length, 2, found.join("\n"));
    assert.match(
      found[0] ?? "",
      new RegExp(
        `^fusion-01/${A} share ${QPTIFF}: changed: SHA-256 [0-9a-f]{12}…, the sidecar says [0-9a-f]{12}…$`,
      ),
    );
    assert.equal(found[1], `fusion-01/${B} share ${B}.xpd: is missing from the share`);
    assert.deepEqual(report.backups[1]?.notes, [
      `stray.txt is on the share but not in ${SIDECAR_NAME}`,
    ]);
  });
});

Deno.test("a missing sidecar on the share is a finding; S3 is then checked with the S3 sidecar", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    await Deno.remove(copyOf(world, A, SIDECAR_NAME));
    const report = await audit(world, { s3: true });
    assert.deepEqual(findings(report), [
      `fusion-01/${A} share ${SIDECAR_NAME}: is missing: the share copy cannot be verified`,
    ]);
    assert.equal(report.backups[0]?.s3Checked, 4);
  });
});

Deno.test("evicted backups are skipped on the share, and checked in S3 only with --s3", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    await Deno.remove(join(world.share, "fusion-01", A), { recursive: true });
    const shareOnly = await audit(world);
    assert.deepEqual(findings(shareOnly), []);
    assert.deepEqual(shareOnly.backups.map((b) => [b.share, b.s3Checked]), [
      ["evicted", undefined],
      ["checked", undefined],
    ]);
    await world.peer.removeObject(`fusion/fusion-01/${A}/${A}.xpd`);
    const withS3 = await audit(world, { s3: true });
    assert.deepEqual(findings(withS3), [
      `fusion-01/${A} s3 ${A}.xpd: s3://fusion-test/fusion/fusion-01/${A}/${A}.xpd does not exist`,
    ]);
    assert.equal(withS3.backups[0]?.s3Checked, 3);
  });
});

Deno.test("an object replaced in S3 and a lost one are findings; archived objects are checked too", async () => {
  await withBackupWorld(async (world) => {
    world.config = { ...world.config, s3: { ...world.config.s3, storageClass: "DEEP_ARCHIVE" } };
    await backUpTwo(world);
    const prefix = `fusion/fusion-01/${B}`;
    await world.peer.corruptObject(`${prefix}/${B}/Scan1/.temp/tile_00003.bin`);
    await world.peer.removeObject(`${prefix}/${B}.xpd`);
    const report = await audit(world, { s3: true });
    assert.deepEqual(findings(report), [
      `fusion-01/${B} s3 ${B}.xpd: s3://fusion-test/${prefix}/${B}.xpd does not exist`,
      `fusion-01/${B} s3 ${B}/Scan1/.temp/tile_00003.bin: s3://fusion-test/${prefix}/${B}/Scan1/.temp/tile_00003.bin: S3 holds no SHA-256 checksum for it`,
    ]);
    assert.equal(world.peer.storageClassOf(`fusion/fusion-01/${A}/${QPTIFF}`), "DEEP_ARCHIVE");
    assert.equal(report.backups[0]?.s3Checked, 4, "HeadObject works on archived objects");
  });
});

Deno.test("--sample reads that share of each backup's files, the same ones for the same seed", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    const first = await audit(world, { samplePct: 25, seed: 77, s3: true });
    assert.deepEqual(first.backups.map((b) => [b.files, b.shareChecked, b.s3Checked]), [
      [4, 1, 1],
      [8, 2, 2],
    ]);
    // Damage every file of B on the share: exactly the sampled ones are reported.
    for (let index = 0; index < 6; index++) {
      const tile = copyOf(world, B, `${B}/Scan1/.temp/tile_0000${index}.bin`);
      await Deno.writeTextFile(tile, "rot");
    }
    await Deno.writeTextFile(copyOf(world, B, `${B}.xpd`), "rot");
    await Deno.writeTextFile(copyOf(world, B, `${B}/Scan1/${B}.qptiff`), "rot");
    const again = await audit(world, { samplePct: 25, seed: 77 });
    const seen = again.backups[1]?.findings.map((finding) => finding.path);
    assert.equal(seen?.length, 2);
    const third = await audit(world, { samplePct: 25, seed: 77 });
    assert.deepEqual(third.backups[1]?.findings.map((finding) => finding.path), seen);
    const all = await audit(world);
    assert.equal(all.backups[1]?.findings.length, 8);
  });
});

Deno.test("a folder cleanup evicts while the audit reads it counts as evicted, not as damage", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    const report = await audit(world, {
      progress: {
        stage(name) {
          // Synchronously, so the folder is gone before its files are read.
          if (name === `fusion-01/${A}`) {
            Deno.removeSync(join(world.share, "fusion-01", A), { recursive: true });
          }
        },
        advance() {},
        end() {},
      },
    });
    assert.deepEqual(findings(report), []);
    assert.deepEqual(report.backups.map((b) => b.share), ["evicted during the audit", "checked"]);
  });
});

Deno.test("an unmounted share is a config error", async () => {
  await withBackupWorld(async (world) => {
    world.config = {
      ...world.config,
      truenas: {
        ...world.config.truenas,
        root: join(world.dir, "gone"),
        manifestRoot: join(world.dir, "gone", "_manifest"),
      },
    };
    await assert.rejects(
      audit(world),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^TrueNAS share not found at .*gone: is it mounted\?/.test(error.message),
    );
  });
});

/** Changes `path` of a share copy and its sidecar line to match, as a hand edit would. */
async function editConsistently(
  world: BackupWorld,
  study: string,
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const before = sha256Hex(await Deno.readFile(copyOf(world, study, path)));
  await Deno.writeFile(copyOf(world, study, path), bytes);
  const sidecar = copyOf(world, study, SIDECAR_NAME);
  const text = await Deno.readTextFile(sidecar);
  await Deno.writeTextFile(
    sidecar,
    text.replace(`${before}  ${path}\n`, `${sha256Hex(bytes)}  ${path}\n`),
  );
}

Deno.test("a file and its sidecar line changed together on the share: a finding against the manifest's sidecar_sha256", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    const bytes = await Deno.readFile(copyOf(world, A, `${A}.xpd`));
    bytes[0] = (bytes[0] ?? 0) ^ 0x01;
    await editConsistently(world, A, `${A}.xpd`, bytes);
    const pattern = `^fusion-01/${A} share ${SIDECAR_NAME}: is not the one the manifest record ` +
      `describes: its ${SIDECAR_NAME} has SHA-256 [0-9a-f]{12}…, the manifest recorded ` +
      "[0-9a-f]{12}… \\(the list was changed after the backup\\)$";
    const shareOnly = findings(await audit(world));
    assert.equal(shareOnly.length, 1, shareOnly.join("\n"));
    assert.match(shareOnly[0] ?? "", new RegExp(pattern));
    // With --s3 the S3 copy, still the backup's, differs from the share's sidecar as well.
    const withS3 = findings(await audit(world, { s3: true }));
    assert.equal(withS3.length, 3, withS3.join("\n"));
    assert.match(withS3[0] ?? "", new RegExp(pattern));
    assert.match(withS3[1] ?? "", new RegExp(`^fusion-01/${A} s3 ${A}\\.xpd: .*the sidecar says`));
    assert.match(
      withS3[2] ?? "",
      new RegExp(`^fusion-01/${A} s3 ${SIDECAR_NAME}: .* differs from the share's`),
    );
  });
});

Deno.test("records of an earlier version (no sidecar_sha256): a note, and a total that disagrees is still a finding", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    const manifest = await readManifest(world.config.truenas.manifestRoot);
    const latest = manifest.latest.get(`fusion-01/${A}`);
    assert.ok(latest !== undefined);
    const { sidecar_sha256: _, ...earlier } = latest;
    await appendRecord(world.config.truenas.manifestRoot, earlier);
    const intact = await audit(world);
    assert.deepEqual(findings(intact), []);
    assert.deepEqual(intact.backups[0]?.notes, [
      `the manifest record of fusion-01/${A} holds no sidecar_sha256 (written by an earlier ` +
      `version, or before its share copy was verified): ${SIDECAR_NAME} itself could not be ` +
      "checked against the manifest; its file count and bytes were",
    ]);
    assert.deepEqual(intact.backups[1]?.notes, []);

    const grown = new Uint8Array([...await Deno.readFile(copyOf(world, A, `${A}.xpd`)), 0x0a]);
    await editConsistently(world, A, `${A}.xpd`, grown);
    assert.deepEqual(findings(await audit(world)), [
      `fusion-01/${A} share ${SIDECAR_NAME}: is not the one the manifest record describes: its ` +
      `files hold ${latest.total_bytes + 1} bytes, the manifest recorded ${latest.total_bytes}`,
    ]);
  });
});

Deno.test("an S3 sidecar replaced with one that matches its own metadata: findings against the share's and the manifest's", async () => {
  await withBackupWorld(async (world) => {
    await backUpTwo(world);
    const key = `fusion/fusion-01/${B}/${SIDECAR_NAME}`;
    const text = new TextDecoder().decode(await world.object(key));
    const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
    try {
      // Replaced outside the backup's conditional writes, as a person or another program could.
      await store.replaceBytes(
        key,
        new TextEncoder().encode(`${text}${"0".repeat(64)}  extra.bin\n`),
        "text/plain; charset=utf-8",
      );
    } finally {
      store.close();
    }
    const found = findings(await audit(world, { s3: true }));
    assert.equal(found.length, 2, found.join("\n"));
    assert.match(
      found[0] ?? "",
      new RegExp(`^fusion-01/${B} s3 ${SIDECAR_NAME}: .* differs from the share's`),
    );
    assert.match(
      found[1] ?? "",
      new RegExp(
        `^fusion-01/${B} s3 ${SIDECAR_NAME}: is not the one the manifest record describes: its ` +
          `${SIDECAR_NAME} has SHA-256 [0-9a-f]{12}…, the manifest recorded [0-9a-f]{12}…`,
      ),
    );
  });
});
