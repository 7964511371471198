/**
 * Backups whose earlier attempt left objects in S3 that the next attempt
 * cannot simply keep: the study changed between the attempts, or
 * `[s3] part_size_mb` changed. In-process runs against the S3 peer behind
 * the verifying proxy, which enforces If-None-Match and If-Match as S3 does;
 * the first attempt fails for real (a PUT S3 acknowledged but lost, found by
 * the confirm pass). End states: the bytes and attempt tags in S3, the
 * share, the manifest's history, the source, the messages.
 * (tests/cli/s3_heal_cli_test.ts kills a real process instead.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSidecar, SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { type ManifestRecord, readManifest } from "../../lib/manifest/mod.ts";
import { createS3Store } from "../../lib/storage/s3.ts";
import { PEER_CREDENTIALS } from "../../peers/s3.ts";
import type { VerifyingProxy } from "../../peers/verifying_proxy.ts";
import { sampleBytes } from "../../scripts/sample_data.ts";
import {
  type BackupWorld,
  copyTree,
  makeIdle,
  MIB,
  sha256,
  snapshot,
  withBackupWorld,
} from "./_fixture.ts";

const S = "20250301_alice_lung_panel1";
const PREFIX = `fusion/fusion-01/${S}`;
const TILE = (n: number) => `${S}/Scan1/.temp/tile_0000${n}.bin`;
const IMAGE = `${S}/Scan1/${S}.qptiff`;
const LATE = `${S}/Scan1/.temp/tile_late.bin`;

/** A run whose attempt starts a minute later than a run now would: another `started_at`. */
function later(world: BackupWorld) {
  return world.run({ clock: () => new Date(Date.now() + 60_000) });
}

/** A first attempt that uploads everything but loses `lost` in S3: `failed_s3` at the confirm pass. */
async function failedAttempt(world: BackupWorld, proxy: VerifyingProxy, lost: string) {
  proxy.loseNextPuts(1, `${PREFIX}/${lost}`);
  const [outcome] = (await world.run()).outcomes;
  assert.equal(outcome?.record?.status, "failed_s3");
  assert.equal(outcome?.step, "confirm");
  return outcome?.record as ManifestRecord;
}

/** Every object of the study: stored path → its SHA-256, and the attempt tag it carries. */
async function objects(
  world: BackupWorld,
): Promise<Record<string, { sha256: string; attempt: string | undefined; etag: string }>> {
  const store = createS3Store({ ...world.config.s3, endpoint: world.peer.endpoint }, {
    credentials: PEER_CREDENTIALS,
  });
  try {
    const found: Record<string, { sha256: string; attempt: string | undefined; etag: string }> = {};
    for (const key of (await store.listSizes(`${PREFIX}/`)).keys()) {
      const head = await store.headObject(key);
      found[key.slice(PREFIX.length + 1)] = {
        sha256: (await world.peer.fetchObject(key)).sha256Hex,
        attempt: head?.attempt,
        etag: head?.etag ?? "",
      };
    }
    return found;
  } finally {
    store.close();
  }
}

function tagOf(record: ManifestRecord): string {
  return `instrument=fusion-01;started_at=${record.started_at};revision=${record.revision ?? 1}`;
}

/** The backup's records, as `started_at: status, status, …` per attempt. */
async function attempts(world: BackupWorld): Promise<Map<string, string[]>> {
  const manifest = await readManifest(world.config.truenas.manifestRoot);
  const byAttempt = new Map<string, string[]>();
  for (const record of manifest.records) {
    if (record.backup_name !== `fusion-01/${S}`) continue;
    byAttempt.set(record.started_at, [
      ...(byAttempt.get(record.started_at) ?? []),
      record.status,
    ]);
  }
  return byAttempt;
}

/** The writes of one key the proxy answered: `<condition> <status>`. */
function writes(proxy: VerifyingProxy, path: string, operation = "PutObject"): string[] {
  return proxy.requests.filter((request) =>
    request.key === `${PREFIX}/${path}` && request.operation === operation
  ).map((request) => `${request.condition?.replace(/"[^"]*"/, "<etag>")} ${request.status}`);
}

async function rewrite(study: string, path: string, bytes: Uint8Array): Promise<void> {
  await Deno.writeFile(join(study, path), bytes);
}

Deno.test("a study that changed after an attempt that uploaded its files and list: the next run replaces exactly that attempt's objects, with If-Match, and completes", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    const study = await world.makeStudy(S, { qptiffBytes: 12 * MIB, tempFiles: 4 });
    const first = await failedAttempt(world, proxy, TILE(3));
    const left = await objects(world);
    assert.equal(left[SIDECAR_NAME]?.attempt, tagOf(first), "the list went up, tagged");
    assert.equal(left[TILE(3)], undefined, "the lost PUT");

    // Between the attempts the study changes: a tile and the image rewritten, a tile added.
    await rewrite(study, TILE(0), sampleBytes(100, 901));
    await rewrite(study, IMAGE, sampleBytes(12 * MIB, 902));
    await rewrite(study, LATE, sampleBytes(70, 903));
    await makeIdle(study);
    const expected = await snapshot(study);
    delete expected[".fusion-toolkit.lock"];

    const logStart = world.logLines.length;
    const [outcome] = (await later(world)).outcomes;
    assert.equal(outcome?.ok, true, outcome?.error);
    assert.equal(outcome?.record?.status, "complete");
    assert.notEqual(outcome?.record?.source_deleted_at, null);
    await assert.rejects(Deno.stat(study), Deno.errors.NotFound);

    // S3 holds exactly the new source and its list, each object tagged by who wrote it.
    const now = await objects(world);
    const second = tagOf(outcome?.record as ManifestRecord);
    const share = join(world.share, "fusion-01", S);
    const list = await Deno.readFile(join(share, SIDECAR_NAME));
    assert.deepEqual(
      Object.fromEntries(
        parseSidecar(new TextDecoder().decode(list)).map((e) => [e.path, e.sha256Hex]),
      ),
      expected,
    );
    assert.equal(now[SIDECAR_NAME]?.sha256, sha256(list));
    delete now[SIDECAR_NAME];
    assert.deepEqual(
      Object.fromEntries(Object.entries(now).map(([p, o]) => [p, o.sha256])),
      expected,
    );
    for (const path of [TILE(0), IMAGE, LATE, TILE(3)]) {
      assert.equal(now[path]?.attempt, second, `${path}: written by the second attempt`);
    }
    for (const path of [TILE(1), TILE(2), `${S}.xpd`]) {
      assert.equal(now[path]?.attempt, tagOf(first), `${path}: the first attempt's, kept`);
      assert.equal(now[path]?.etag, left[path]?.etag);
    }

    // Replaced only with If-Match on the ETag judged; the unchanged objects were not sent again.
    assert.deepEqual(writes(proxy, TILE(0)), ["If-None-Match: * 200", "If-Match: <etag> 200"]);
    assert.deepEqual(writes(proxy, IMAGE, "CompleteMultipartUpload"), [
      "If-None-Match: * 200",
      "If-Match: <etag> 200",
    ]);
    assert.deepEqual(writes(proxy, SIDECAR_NAME), [
      "If-None-Match: * 200",
      "If-None-Match: * 412",
      "If-Match: <etag> 200",
    ]);
    assert.deepEqual(writes(proxy, TILE(1)), ["If-None-Match: * 200"]);

    const log = world.logLines.slice(logStart);
    const replaced = log.filter((line) => / replaced: /.test(line));
    assert.deepEqual(
      replaced.map((line) => /s3:\/\/\S+/.exec(line)?.[0]).sort(),
      [IMAGE, SIDECAR_NAME, TILE(0)].map((path) => `s3://fusion-test/${PREFIX}/${path}`).sort(),
    );
    for (const line of replaced) {
      assert.ok(
        line.endsWith(
          `: it held other content; it was written by the attempt started ${first.started_at} ` +
            "(revision 1) of this backup, which never completed (its last record: failed_s3)",
        ),
        line,
      );
    }
    // The manifest keeps both attempts: the failed one as it ended, then the complete one.
    const history = await attempts(world);
    assert.deepEqual([...history.keys()], [first.started_at, outcome?.record?.started_at]);
    assert.equal(history.get(first.started_at)?.at(-1), "failed_s3");
    assert.equal(history.get(outcome?.record?.started_at ?? "")?.at(-1), "complete");
  });
});

Deno.test("[s3] part_size_mb changed while a backup was unfinished: its objects in the old parts are proven part by part and kept, not sent again", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    await world.makeStudy(S, { qptiffBytes: 12 * MIB, tempFiles: 2 });
    const first = await failedAttempt(world, proxy, TILE(1));
    const before = await objects(world);
    const parts = proxy.count("UploadPart");
    assert.equal(parts, 3, "12 MiB in parts of 5 MiB");

    world.config = { ...world.config, s3: { ...world.config.s3, partSizeMb: 6 } };
    const logStart = world.logLines.length;
    const [outcome] = (await later(world)).outcomes;
    assert.equal(outcome?.ok, true, outcome?.error);
    assert.equal(proxy.count("UploadPart"), parts, "no part sent again");
    assert.equal(proxy.count("GetObjectAttributes"), 1, "the image's own parts, read once");
    const after = await objects(world);
    assert.deepEqual(after[IMAGE], before[IMAGE], "the same object, tag and all");
    assert.equal(after[IMAGE]?.attempt, tagOf(first));
    const log = world.logLines.slice(logStart).join("\n");
    assert.match(
      log,
      new RegExp(
        `${S}: s3://fusion-test/${PREFIX}/${IMAGE.replaceAll(".", "\\.")} was already in S3 in 3 ` +
          "parts of other sizes \\(5242880, 2097152 bytes; \\[s3\\] part_size_mb or " +
          "multipart_threshold_mb changed since\\): S3's checksum of each part matched the file " +
          "cut the same way; kept",
      ),
    );
    assert.doesNotMatch(log, / replaced: /);
  });
});

Deno.test("[s3] part_size_mb changed and S3 does not list an object's parts: only the unfinished attempt's own object is sent again", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    const study = await world.makeStudy(S, { qptiffBytes: 12 * MIB, tempFiles: 2 });
    const expected = await snapshot(study);
    const first = await failedAttempt(world, proxy, TILE(1));
    world.config = { ...world.config, s3: { ...world.config.s3, partSizeMb: 6 } };
    proxy.interceptRequests((request) =>
      request.operation === "GetObjectAttributes" ? "fail" : "forward"
    );
    const logStart = world.logLines.length;
    const [outcome] = (await later(world)).outcomes;
    assert.equal(outcome?.ok, true, outcome?.error);
    const after = await objects(world);
    assert.equal(after[IMAGE]?.sha256, expected[IMAGE]);
    assert.equal(after[IMAGE]?.attempt, tagOf(outcome?.record as ManifestRecord));
    assert.deepEqual(writes(proxy, IMAGE, "CompleteMultipartUpload"), [
      "If-None-Match: * 200",
      "If-Match: <etag> 200",
    ]);
    const line = world.logLines.slice(logStart).find((entry) => / replaced: /.test(entry));
    assert.match(
      line ?? "",
      new RegExp(
        `replaced: it has this file's size and sha256 metadata in 3 parts of another size, which ` +
          `could not be proven to hold its bytes: S3 did not list its parts \\(.*\\); it was ` +
          `written by the attempt started ${first.started_at} \\(revision 1\\) of this backup, ` +
          "which never completed \\(its last record: failed_s3\\)$",
      ),
    );
  });
});

Deno.test("an object no attempt in the manifest can be proven to have written (no tag: an earlier version's) is never replaced: failed_s3 naming it, the source kept", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    const study = await world.makeStudy(S, { tempFiles: 3 });
    await failedAttempt(world, proxy, TILE(2));
    // What an earlier version left at a key: other bytes, no attempt tag.
    const key = `${PREFIX}/${TILE(0)}`;
    const theirs = sampleBytes(80, 904);
    const direct = createS3Store({ ...world.config.s3, endpoint: world.peer.endpoint }, {
      credentials: PEER_CREDENTIALS,
    });
    try {
      await direct.replaceBytes(key, theirs, "application/octet-stream");
    } finally {
      direct.close();
    }
    await rewrite(study, TILE(0), sampleBytes(90, 905));
    await makeIdle(study);
    const source = await snapshot(study);
    const [outcome] = (await later(world)).outcomes;
    assert.equal(outcome?.record?.status, "failed_s3");
    assert.equal(outcome?.step, "upload");
    assert.ok(
      outcome?.error?.startsWith(
        `uploading ${TILE(0)}: s3://fusion-test/${key} already holds another object (`,
      ),
      outcome?.error,
    );
    assert.match(
      outcome?.error ?? "",
      /\): it names no backup attempt \(it was written by an earlier version of fusion-toolkit, or by another program\), so nothing proves it is an unfinished attempt of this backup: a backup never replaces it — if the manifest that lists its backup was lost or \[truenas\] manifest_root changed, point manifest_root at it; otherwise rename the study folder to back it up under a new name$/,
    );
    assert.equal((await world.peer.fetchObject(key)).sha256Hex, sha256(theirs), "untouched");
    assert.ok(!proxy.requests.some((r) => r.key === key && r.condition?.startsWith("If-Match")));
    const now = await snapshot(study);
    delete now[".fusion-toolkit.lock"];
    delete source[".fusion-toolkit.lock"];
    assert.deepEqual(now, source, "the source is kept");
  });
});

Deno.test("a revision whose attempt failed, and the study changed again: that revision's own objects are replaced, the complete revision's are untouched", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    const study = await world.makeStudy(S, { tempFiles: 3 });
    const kept = join(world.dir, "kept");
    await copyTree(study, kept);
    const [one] = (await world.run()).outcomes;
    assert.equal(one?.record?.status, "complete", one?.error);
    const revisionOne = await objects(world);
    // The study comes back to the instrument, and a tile is rewritten.
    await copyTree(kept, study);
    await rewrite(study, TILE(0), sampleBytes(100, 906));

    // Revision 2 stores that tile under _revisions/2/, and fails: its list is lost in S3.
    await makeIdle(study);
    proxy.loseNextPuts(1, `${PREFIX}/_checksums.r2.sha256`);
    const [two] = (await later(world)).outcomes;
    assert.equal(two?.record?.status, "failed_s3");
    assert.equal(two?.record?.revision, 2);
    const stored = `_revisions/2/${TILE(0)}`;
    assert.equal((await objects(world))[stored]?.attempt, tagOf(two?.record as ManifestRecord));

    // The tile changes again, another with it: revision 2 again, by a new attempt.
    await rewrite(study, TILE(0), sampleBytes(110, 907));
    await rewrite(study, TILE(1), sampleBytes(120, 908));
    await makeIdle(study);
    const expected = await snapshot(study);
    const logStart = world.logLines.length;
    const [again] = (await world.run({ clock: () => new Date(Date.now() + 120_000) })).outcomes;
    assert.equal(again?.ok, true, again?.error);
    assert.equal(again?.record?.revision, 2);
    assert.equal(again?.record?.status, "complete");

    const now = await objects(world);
    for (const [path, object] of Object.entries(revisionOne)) {
      assert.deepEqual(now[path], object, `${path}: revision 1's object, untouched`);
    }
    assert.equal(now[stored]?.sha256, expected[TILE(0)]);
    assert.equal(now[`_revisions/2/${TILE(1)}`]?.sha256, expected[TILE(1)]);
    assert.equal(now[stored]?.attempt, tagOf(again?.record as ManifestRecord));
    assert.deepEqual(writes(proxy, stored), ["If-None-Match: * 200", "If-Match: <etag> 200"]);
    const replaced = world.logLines.slice(logStart).filter((line) => / replaced: /.test(line));
    assert.equal(replaced.length, 1, replaced.join("\n"));
    assert.match(
      replaced[0] ?? "",
      new RegExp(
        `/${stored.replaceAll(".", "\\.")} replaced: it held other content; it was written by ` +
          `the attempt started ${two?.record?.started_at} \\(revision 2\\) of this backup, ` +
          "which never completed \\(its last record: failed_s3\\)$",
      ),
    );
  });
});
