/**
 * `backup run` as a user runs it (main.ts in a child process with the
 * product's permissions), S3 being the peer behind the verifying proxy,
 * which enforces If-None-Match and If-Match as S3 does: a run killed after
 * it uploaded the study's files, the study changed before the next run, and
 * the next run ends the backup by itself. (tests/backup/s3_heal_test.ts has
 * the in-process cases.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { readManifest, timestamp } from "../../lib/manifest/mod.ts";
import { makeSampleStudy, sampleBytes, setTreeMtime } from "../../scripts/sample_data.ts";
import { PRODUCT_FLAGS, startMain } from "../_helpers/cli.ts";
import { withCliWorld } from "../_helpers/cli_world.ts";
import { waitFor } from "../_helpers/wait.ts";
import { snapshot } from "../backup/_fixture.ts";

const STUDY = "20250301_alice_lung_panel1";
const PREFIX = `fusion/fusion-01/${STUDY}`;
const MIB = 1024 * 1024;
const OLD = new Date(Date.now() - 40 * 86_400_000);
const TILE = `${STUDY}/Scan1/.temp/tile_00000.bin`;
const IMAGE = `${STUDY}/Scan1/${STUDY}.qptiff`;
const LATE = `${STUDY}/Scan1/.temp/tile_late.bin`;

Deno.test("SIGKILL after the files went up, then the study changed: the next run replaces the killed attempt's objects with If-Match and completes, exit 0", async () => {
  await withCliWorld(async (world) => {
    const proxy = world.proxy;
    let release = () => {};
    const released = new Promise<void>((resolve) => release = resolve);
    try {
      const study = await makeSampleStudy(world.source, STUDY, {
        qptiffBytes: 12 * MIB,
        tempFiles: 4,
        mtime: OLD,
      });
      // The file list goes up after every file: hold it, and kill the run there.
      let held = false;
      proxy.interceptRequests(async (request) => {
        if (request.operation !== "PutObject" || request.key !== `${PREFIX}/${SIDECAR_NAME}`) {
          return "forward";
        }
        held = true;
        await released;
        return "fail";
      });
      const child = await startMain(["backup", "run", "--config", world.config], {
        permissions: PRODUCT_FLAGS,
        env: world.peer.env,
      });
      const output = child.output();
      await waitFor(() => Promise.resolve(held), "the file list's upload, after every file");
      child.kill("SIGKILL");
      await output;
      release();
      proxy.interceptRequests(undefined);
      const manifestRoot = join(world.share, "_manifest");
      const killed = (await readManifest(manifestRoot)).latest.get(`fusion-01/${STUDY}`);
      assert.equal(killed?.status, "in_progress");
      assert.ok(
        proxy.requests.some((r) => r.key === `${PREFIX}/${IMAGE}` && r.status === 200),
        "the image went up before the kill",
      );

      // The instrument rewrites a tile and the image, and adds a tile; the study idles again.
      await Deno.writeFile(join(study, TILE), sampleBytes(100, 911));
      await Deno.writeFile(join(study, IMAGE), sampleBytes(12 * MIB, 912));
      await Deno.writeFile(join(study, LATE), sampleBytes(70, 913));
      // Written later than the first run's files, and idle since (a rewrite changes the time).
      await setTreeMtime(study, new Date(OLD.getTime() + 86_400_000));
      const expected = await snapshot(study);
      delete expected[".fusion-toolkit.lock"];

      // started_at has whole seconds: the next run starts in a later one, as a monthly run does.
      await waitFor(
        () => Promise.resolve(timestamp(new Date()) > (killed?.started_at ?? "")),
        "the next second",
      );
      const result = await world.run("backup", "run");
      assert.equal(result.code, 0, result.stderr);
      const replaced = result.stderr.split("\n").filter((line) => / replaced: /.test(line));
      assert.deepEqual(
        replaced.map((line) => /s3:\/\/\S+/.exec(line)?.[0]).sort(),
        [IMAGE, TILE].map((path) => `s3://fusion-test/${PREFIX}/${path}`).sort(),
      );
      for (const line of replaced) {
        assert.match(
          line,
          new RegExp(
            `replaced: it held other content; it was written by the attempt started ` +
              `${killed?.started_at} \\(revision 1\\) of this backup, which never completed ` +
              "\\(its last record: in_progress\\)$",
          ),
        );
      }
      for (const path of [TILE, IMAGE]) {
        const conditions = proxy.requests.filter((r) =>
          r.key === `${PREFIX}/${path}` && /^(PutObject|CompleteMultipartUpload)$/.test(r.operation)
        ).map((r) => `${r.condition?.replace(/"[^"]*"/, "<etag>")} ${r.status}`);
        assert.deepEqual(conditions, ["If-None-Match: * 200", "If-Match: <etag> 200"], path);
      }

      // End states: the source deleted, S3 holding exactly the new study, the manifest both attempts.
      await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
      for (const [path, digest] of Object.entries(expected)) {
        const object = await world.peer.fetchObject(`${PREFIX}/${path}`);
        assert.equal(object.sha256Hex, digest, `${path} in S3 is the new source`);
      }
      const manifest = await readManifest(manifestRoot);
      const records = manifest.records.filter((r) => r.backup_name === `fusion-01/${STUDY}`);
      assert.deepEqual(
        [...new Set(records.map((r) => r.started_at))].length,
        2,
        "the killed attempt and the one that completed",
      );
      assert.equal(
        records.filter((r) => r.started_at === killed?.started_at).at(-1)?.status,
        "in_progress",
      );
      const latest = manifest.latest.get(`fusion-01/${STUDY}`);
      assert.equal(latest?.status, "complete");
      assert.notEqual(latest?.source_deleted_at, null);
    } finally {
      release();
      proxy.interceptRequests(undefined);
    }
  });
});
