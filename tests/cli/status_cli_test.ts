/** `status` as an operator runs it, after a real `backup run`: main.ts with the product's permissions. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSampleStudy, sampleConfigToml } from "../../scripts/sample_data.ts";
import { startS3Peer } from "../../peers/s3.ts";
import { PRODUCT_FLAGS, runMain } from "../_helpers/cli.ts";
import { holdShareLock } from "../_helpers/lock_holder.ts";
import { withTempDir } from "../_helpers/temp.ts";

Deno.test("status after a backup: the run, the share, nothing to do; a running job and a crash's lock are shown, neither needs a person", async () => {
  await withTempDir(async (dir) => {
    const peer = await startS3Peer();
    try {
      const source = join(dir, "FusionData");
      const share = join(dir, "truenas");
      await Deno.mkdir(share);
      await makeSampleStudy(source, "20250301_alice_lung_panel1", {
        mtime: new Date(Date.now() - 40 * 86_400_000),
      });
      const config = join(dir, "config.toml");
      await Deno.writeTextFile(
        config,
        sampleConfigToml({ source, share, bucket: peer.bucket, endpoint: peer.endpoint }),
      );
      const run = (...args: string[]) =>
        runMain([...args, "--config", config], { permissions: PRODUCT_FLAGS, env: peer.env });
      assert.equal((await run("backup", "run")).code, 0);
      await run("backup", "run", "--dry-run"); // a dry run is not recorded

      const status = await run("status");
      assert.equal(status.code, 0, status.stdout + status.stderr);
      assert.match(
        status.stdout,
        /^ {2}backup run {4}\d{4}-\d\d-\d\d \d\d:\d\d UTC {2}ok: 1 study backed up$/m,
      );
      assert.match(status.stdout, /: no studies$/m);
      assert.match(status.stdout, /^Needs attention \(0\)$/m);
      assert.match(status.stdout, /free of .*; cleanup evicts below 20%/);
      assert.match(
        status.stdout,
        /^ {2}s3:\/\/fusion-test: versioning off: turning it on is recommended/m,
      );
      assert.match(status.stdout, /the monitor has not run yet/);
      assert.match(status.stdout, /^Running now \(0\)$/m);
      assert.match(status.stdout, /^Locks left by runs that stopped \(0\)$/m);

      // A cleanup that crashed left its holder file: shown, and the next job takes it over.
      await Deno.writeTextFile(
        join(share, ".cleanup.lock.holder"),
        JSON.stringify({ hostname: "nas", pid: 7, started_at: "t", command: "cleanup run" }),
      );
      const crashed = await run("status", "-f", "json");
      assert.equal(crashed.code, 0, crashed.stdout);
      assert.deepEqual(JSON.parse(crashed.stdout).stale_locks, [
        `${join(share, ".cleanup.lock.holder")} (left by cleanup running since t, pid 7 on nas)`,
      ]);
      // Another instrument's backup runs now (and took that lock over on its way in).
      const other = await holdShareLock(
        share,
        "backup",
        "pc-2",
        "2025-05-01T02:00:00Z",
        "fusion-02",
      );
      try {
        const json = await run("status", "-f", "json");
        assert.equal(json.code, 0, json.stdout);
        const report = JSON.parse(json.stdout);
        assert.equal(report.attention_needed, false);
        assert.deepEqual(report.running, [
          `backup running since 2025-05-01T02:00:00Z, pid ${other.pid} on pc-2 (fusion-02)`,
        ]);
        assert.deepEqual(report.stale_locks, []);
        assert.equal(report.runs["backup run"].summary, "1 study backed up");
        assert.deepEqual(report.s3, { bucket: "fusion-test", versioning: "off", problem: null });
        const text = await run("status");
        assert.match(text.stdout, /^Running now \(1\)$/m);
      } finally {
        await other.release();
      }
    } finally {
      await peer.stop();
    }
  });
});
