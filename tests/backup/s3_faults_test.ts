/**
 * A backup run against S3 that misbehaves for real: an endpoint that accepts
 * connections and never answers (peers/silent_tcp.ts), one that answers and
 * then goes quiet half-way through a request (the verifying proxy), and a
 * bucket that already holds objects the manifest no longer knows (the proxy
 * enforces If-None-Match as S3 does; the emulator ignores it). Each checks
 * the end state: records, sources, the share, the objects, and the run's
 * wall time bound (a correctness bound, not a benchmark).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { walk } from "../../lib/fs/mod.ts";
import { manifestFileName, readManifest } from "../../lib/manifest/mod.ts";
import { startSilentServer } from "../../peers/silent_tcp.ts";
import { startVerifyingProxy } from "../../peers/verifying_proxy.ts";
import { setTreeMtime } from "../../scripts/sample_data.ts";
import {
  type BackupWorld,
  copyTree,
  makeIdle,
  MIB,
  snapshot,
  withBackupWorld,
} from "./_fixture.ts";

const VALID = "20250301_alice_lung_panel1";
const BAD_EARLY = "20230229_carol_liver_pilot";
const BAD_LATE = "20230230_dave_skin_pilot";
const DAY = 86_400_000;

/** A study that fails validation (an impossible date and a stray file), `daysOld` idle. */
async function invalidStudy(world: BackupWorld, name: string, daysOld: number): Promise<string> {
  const path = await world.makeStudy(name);
  await Deno.writeTextFile(join(path, "notes.txt"), "x");
  await setTreeMtime(path, new Date(Date.now() - daysOld * DAY));
  return path;
}

/** `[s3]` pointing at `endpoint` with 1 s timeouts (the run keeps the default 5 attempts). */
function pointAt(world: BackupWorld, endpoint: string): void {
  world.config = {
    ...world.config,
    s3: { ...world.config.s3, endpoint, connectTimeoutSeconds: 1, idleTimeoutSeconds: 1 },
  };
}

async function latest(world: BackupWorld, study: string) {
  return (await readManifest(world.config.truenas.manifestRoot)).latest.get(`fusion-01/${study}`);
}

const MIRROR_KEY = `fusion/_manifest/${manifestFileName(new Date(), "fusion-01")}`;

Deno.test("S3 that accepts connections and never answers: one bounded wait per run, failed studies do not wait again, their records reach S3 at the next run", async () => {
  await withBackupWorld(async (world) => {
    // Oldest first: a study failing validation, the valid one, another failing one.
    const early = await invalidStudy(world, BAD_EARLY, 40);
    const valid = await world.makeStudy(VALID, { mtime: new Date(Date.now() - 30 * DAY) });
    const late = await invalidStudy(world, BAD_LATE, 20);
    const before = { early: await snapshot(early), valid: await snapshot(valid) };
    const silent = startSilentServer();
    try {
      pointAt(world, silent.endpoint);
      const began = performance.now();
      const result = await world.run();
      const seconds = (performance.now() - began) / 1000;

      assert.deepEqual(result.outcomes.map((o) => [o.study, o.ok, o.record?.status]), [
        [BAD_EARLY, false, "failed_validation"],
        [VALID, false, "failed_s3"],
        [BAD_LATE, false, "failed_validation"],
      ]);
      // Only the first mirror waited, for its 5 attempts; nothing after it was sent.
      assert.equal(silent.accepted, 5, "one connection per attempt of one request, then none");
      assert.ok(seconds < 60, `the run took ${seconds.toFixed(1)} s`);
      const [, upload] = result.outcomes;
      assert.match(
        upload?.error ?? "",
        /not tried: S3 did not answer earlier in this run \(cannot reach S3 at http:\/\/127\.0\.0\.1:\d+ \(ETIMEDOUT after 5 attempts\): check the network\/endpoint\)/,
      );
      // Nothing lost: every source as it was, the valid study's share copy proven.
      assert.deepEqual(await snapshot(early), before.early);
      assert.deepEqual(await snapshot(valid), before.valid);
      assert.notEqual((await latest(world, VALID))?.truenas_verified_at, null);
      // Every message true: no study is called complete; one warning says the mirror waits.
      assert.ok(!world.logLines.some((line) => /backup is complete/.test(line)));
      const behind = world.logLines.filter((line) =>
        /the manifest's copy in S3 may be behind the share's: S3 did not answer in this run/
          .test(line)
      );
      assert.equal(behind.length, 1, world.logLines.join("\n"));
      assert.equal(await world.object(MIRROR_KEY), undefined);
    } finally {
      await silent.stop();
    }

    // The next run takes no study (someone is working on all three again, so none is idle):
    // its end copies the manifest with the records the dead run could not mirror.
    for (const path of [early, valid, late]) await setTreeMtime(path, new Date());
    pointAt(world, world.peer.endpoint);
    const next = await world.run();
    assert.deepEqual(next.outcomes, []);
    const mirror = new TextDecoder().decode(await world.object(MIRROR_KEY));
    const shared = await Deno.readTextFile(
      join(world.config.truenas.manifestRoot, manifestFileName(new Date(), "fusion-01")),
    );
    assert.equal(mirror, shared);
    for (const study of [BAD_EARLY, BAD_LATE]) {
      assert.ok(mirror.includes(`"fusion-01/${study}"`), study);
    }
  });
});

Deno.test("S3 that answers, then goes quiet half-way through an upload: failed_s3 within the bound, nothing claimed", async () => {
  await withBackupWorld(async (world) => {
    const proxy = await startVerifyingProxy(world.peer.endpoint);
    try {
      const valid = await world.makeStudy(VALID, {
        qptiffBytes: 2 * MIB,
        mtime: new Date(Date.now() - 30 * DAY),
      });
      const bad = await invalidStudy(world, BAD_LATE, 20);
      const before = await snapshot(valid);
      pointAt(world, proxy.endpoint);
      world.config = { ...world.config, s3: { ...world.config.s3, concurrency: 1 } };
      proxy.stallAfter(1);
      const began = performance.now();
      const result = await world.run();
      const seconds = (performance.now() - began) / 1000;
      assert.deepEqual(result.outcomes.map((o) => [o.study, o.ok, o.record?.status]), [
        [VALID, false, "failed_s3"],
        [BAD_LATE, false, "failed_validation"],
      ]);
      assert.match(result.outcomes[0]?.error ?? "", /ETIMEDOUT after 5 attempts/);
      // One object went up; the next hung and was given up; nothing was sent after it.
      assert.equal(proxy.requests.length, 1);
      assert.equal(new Set(proxy.stalled.map((request) => request.key)).size, 1);
      assert.ok(seconds < 60, `the run took ${seconds.toFixed(1)} s`);
      assert.deepEqual(await snapshot(valid), before);
      assert.ok(await Deno.stat(bad));
      assert.ok(!world.logLines.some((line) => /backup is complete/.test(line)));
    } finally {
      await proxy.stop();
    }
  });
});

Deno.test("a lost manifest: objects in S3 are never replaced; the same bytes are confirmed and kept, other bytes (tagged by an attempt the manifest does not list) fail the study naming the object", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    const study = await world.makeStudy(VALID, { qptiffBytes: 7 * MIB });
    const kept = join(world.dir, "kept");
    await copyTree(study, kept);
    assert.equal((await world.run()).outcomes[0]?.ok, true);
    const stored = await objectsOf(world);
    assert.ok(Object.keys(stored).length >= 5);

    // The share copy evicted, the manifest lost; the study comes back with the same bytes.
    const forget = async () => {
      await Deno.remove(join(world.share, "fusion-01", VALID), { recursive: true });
      await Deno.remove(world.config.truenas.manifestRoot, { recursive: true });
    };
    await forget();
    await copyTree(kept, study);
    await makeIdle(study);
    const again = await world.run();
    assert.equal(again.outcomes[0]?.ok, true, again.outcomes[0]?.error);
    assert.ok(world.logLines.some((line) => /were already in S3 from an earlier run/.test(line)));
    assert.deepEqual(await objectsOf(world), stored, "every object as it was");

    // Again, but one file now holds other bytes: refused by S3, named, never replaced.
    await forget();
    await copyTree(kept, study);
    // A small file: its PUT is the write S3 refuses (a large one is looked up first).
    const changed = (await Array.fromAsync(walk(study))).find((entry) =>
      entry.kind === "file" && /[\\/]\.temp[\\/]/.test(entry.path)
    );
    assert.ok(changed !== undefined);
    const bytes = await Deno.readFile(join(study, changed.path));
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await Deno.writeFile(join(study, changed.path), bytes);
    await makeIdle(study);
    const before = await snapshot(study);
    const refused = await world.run();
    const [outcome] = refused.outcomes;
    assert.equal(outcome?.record?.status, "failed_s3");
    assert.equal(outcome?.step, "upload");
    const key = `fusion/fusion-01/${VALID}/${changed.path.replaceAll("\\", "/")}`;
    assert.ok(
      outcome?.error?.includes(
        `s3://${world.peer.bucket}/${key} already holds another object (`,
      ),
      outcome?.error,
    );
    // Its tag names the first backup's attempt, which the manifest (lost) no longer lists.
    assert.match(
      outcome?.error ?? "",
      /: it was written by the attempt started \S+Z \(revision 1\), which the manifest does not list \(a lost manifest, or \[truenas\] manifest_root changed\?\): a backup never replaces it — point manifest_root at the manifest that lists that attempt$/,
    );
    assert.deepEqual(await objectsOf(world), stored, "every object as it was");
    assert.deepEqual(await snapshot(study), before, "the source is kept");
    assert.ok(
      proxy.requests.some((r) => r.key === key && r.status === 412),
      "S3 itself refused the write",
    );
  });
});

/** `{key: sha256}` of every object of the study in the peer. */
async function objectsOf(world: BackupWorld): Promise<Record<string, string>> {
  const objects: Record<string, string> = {};
  const listing = await fetch(
    `${world.peer.endpoint}/${world.peer.bucket}?list-type=2&prefix=fusion/fusion-01/`,
  );
  const xml = await listing.text();
  for (const [, key] of xml.matchAll(/<Key>([^<]+)<\/Key>/g)) {
    if (key === undefined) continue;
    objects[key] = (await world.peer.fetchObject(key)).sha256Hex;
  }
  return objects;
}

Deno.test("a failed study whose manifest mirror S3 refuses says what happened, not that a backup is complete", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    const bad = await invalidStudy(world, BAD_LATE, 20);
    const before = await snapshot(bad);
    proxy.denyAccess(true);
    const result = await world.run();
    assert.deepEqual(result.outcomes.map((o) => [o.study, o.record?.status]), [
      [BAD_LATE, "failed_validation"],
    ]);
    const warnings = world.logLines.filter((line) => line.startsWith("warning:"));
    assert.match(
      warnings[0] ?? "",
      /^warning: copying the manifest \d{4}-\d{2}\.fusion-01\.jsonl to S3 failed: access denied by S3 for PutObject .*; the record is on the share, and the end of this run or the next run copies it$/,
    );
    assert.match(
      warnings[1] ?? "",
      /^warning: the manifest's copy in S3 may be behind the share's: access denied by S3 for ListObjectsV2 .*; the next run copies it$/,
    );
    assert.ok(!world.logLines.some((line) => /backup is complete/.test(line)));
    assert.deepEqual(await snapshot(bad), before);
    assert.equal((await latest(world, BAD_LATE))?.status, "failed_validation");
  });
});

Deno.test("objects sent in a run are confirmed by S3's own checksum and one listing, not a HeadObject each", async () => {
  await withBackupWorld(async (world) => {
    await world.makeStudy(VALID, { tempFiles: 40 });
    const result = await world.run();
    assert.equal(result.outcomes[0]?.ok, true, result.outcomes[0]?.error);
    // Counted as the client sent them (the proxy asks the peer on its own to enforce conditions).
    const sent = (operation: string) =>
      world.proxy.requests.filter((request) => request.operation === operation).length;
    assert.equal(sent("HeadObject"), 0);
    // The study's prefix, and the manifest mirror's folder at the end of the run.
    assert.equal(sent("ListObjects"), 2);
  });
});

Deno.test("an object S3 acknowledged but does not hold fails the confirm pass, named; the source is kept", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    const study = await world.makeStudy(VALID);
    const before = await snapshot(study);
    proxy.loseNextPuts(1, `fusion/fusion-01/${VALID}/`);
    const [outcome] = (await world.run()).outcomes;
    assert.equal(outcome?.record?.status, "failed_s3");
    assert.equal(outcome?.step, "confirm");
    assert.match(
      outcome?.error ?? "",
      new RegExp(
        `^1 uploaded object is not in S3's listing of s3://fusion-test/fusion/fusion-01/${VALID}/: ` +
          `fusion/fusion-01/${VALID}/\\S+$`,
      ),
    );
    assert.equal(outcome?.record?.s3_verified_at, null);
    assert.deepEqual(await snapshot(study), before);
  });
});

Deno.test("a store that does not name the checksum it computed: each object sent is confirmed by HeadObject", async () => {
  await withBackupWorld(async (world) => {
    const proxy = world.proxy;
    await world.makeStudy(VALID, { qptiffBytes: 7 * MIB });
    proxy.hideChecksums(true);
    const [outcome] = (await world.run()).outcomes;
    assert.equal(outcome?.ok, true, outcome?.error);
    // Every file and the sidecar (no folder is empty), and the look before the large file's parts.
    assert.equal(proxy.count("HeadObject"), (outcome?.files ?? 0) + 1 + 1);
  });
});
