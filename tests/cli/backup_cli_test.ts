/**
 * `backup run` and `manifest show` as a user runs them: main.ts in a child
 * process with the product's permissions, the real S3 peer on 127.0.0.1, and
 * SIGKILL from outside in the middle of the copy and of the upload.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readManifest } from "../../lib/manifest/mod.ts";
import { parseSidecar, SIDECAR_NAME } from "../../lib/storage/mod.ts";
import { makeSampleStudy, sampleConfigToml, setTreeMtime } from "../../scripts/sample_data.ts";
import { type S3Peer, startS3Peer } from "../peers/s3.ts";
import { type CliResult, PRODUCT_FLAGS, runMain, startMain } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { snapshot } from "../backup/_fixture.ts";

/** Exactly what the compiled exe is granted: a permission the backup lacks fails here. */
const PERMISSIONS = PRODUCT_FLAGS;
const STUDY = "20250301_alice_lung_panel1";
const MIB = 1024 * 1024;
const OLD = new Date(Date.now() - 40 * 86_400_000);

interface World {
  readonly dir: string;
  readonly source: string;
  readonly share: string;
  readonly config: string;
  readonly peer: S3Peer;
  run(...args: string[]): Promise<CliResult>;
}

async function withWorld(body: (world: World) => Promise<void>, extraToml = ""): Promise<void> {
  await withTempDir(async (dir) => {
    const peer = await startS3Peer();
    peer.clearRequests(); // the bucket's creation is not the tool's doing
    try {
      const source = join(dir, "FusionData");
      const share = join(dir, "truenas");
      await Deno.mkdir(source);
      await Deno.mkdir(share);
      const config = join(dir, "config.toml");
      await Deno.writeTextFile(
        config,
        sampleConfigToml({
          source,
          share,
          bucket: peer.bucket,
          endpoint: peer.endpoint,
          extra: extraToml,
        }),
      );
      await body({
        dir,
        source,
        share,
        config,
        peer,
        run: (...args) =>
          runMain([...args, "--config", config], { permissions: PERMISSIONS, env: peer.env }),
      });
    } finally {
      await peer.stop();
    }
  });
}

Deno.test("backup run: exit 0, a summary table on stdout, one line per study in the log", async () => {
  await withWorld(async (world) => {
    await makeSampleStudy(world.source, STUDY, { mtime: OLD });
    const result = await world.run("backup", "run");
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^${STUDY}\\s+complete\\s+4\\s+1\\.2 KiB\\s+source deleted$`, "m"),
    );
    assert.match(result.stdout, /^1 study: 1 backed up, 0 failed$/m);
    assert.match(result.stderr, /backup run: using config .*config\.toml/);
    const logs = join(world.dir, "logs");
    const [log] = await Array.fromAsync(Deno.readDir(logs));
    assert.ok(log !== undefined);
    const text = await Deno.readTextFile(join(logs, log.name));
    assert.match(
      text,
      new RegExp(`INFO    ${STUDY}: complete, 4 files, \\d+ bytes, source deleted`),
    );

    const shown = await runMain(["manifest", "show", join(world.share, "_manifest")], {
      permissions: ["--allow-read"],
    });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(`^fusion-01/${STUDY}\\s+complete\\s+4\\s+1\\.2 KiB`, "m"),
    );
    const json = await runMain(["manifest", "show", join(world.share, "_manifest"), "-f", "json"], {
      permissions: ["--allow-read"],
    });
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.backups[`fusion-01/${STUDY}`].status, "complete");
    assert.notEqual(parsed.backups[`fusion-01/${STUDY}`].source_deleted_at, null);
  });
});

Deno.test("backup run: a failed study exits 1 and keeps its source", async () => {
  await withWorld(async (world) => {
    const bad = await makeSampleStudy(world.source, "20230229_carol_liver_pilot", { mtime: OLD });
    const before = await snapshot(bad);
    const result = await world.run("backup", "run");
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /20230229_carol_liver_pilot\s+failed_validation\s+0\s+0 B\s+validate: naming standard: R1/,
    );
    assert.match(result.stdout, /1 study: 0 backed up, 1 failed/);
    assert.deepEqual(await snapshot(bad), before);
  });
});

Deno.test("backup run: usage and environment errors get one stderr line and the right code", async () => {
  await withWorld(async (world) => {
    const hook = await world.run("backup", "run");
    assert.equal(hook.code, 1);
    assert.match(
      hook.stderr,
      /^error: the backup hook .* failed with exit code 9; backup did not run$/m,
    );
  }, `\n[hooks]\nbackup = [${JSON.stringify(Deno.execPath())}, "eval", "Deno.exit(9)"]\n`);
  await withWorld(async (world) => {
    await Deno.writeTextFile(
      join(world.share, ".cleanup.lock"),
      JSON.stringify({ hostname: "nas", pid: 7, started_at: "t" }),
    );
    const held = await world.run("backup", "run");
    assert.equal(held.code, 2);
    assert.match(held.stderr, /^error: the share is locked by nas pid 7 since t/m);
    const missing = await runMain(["backup", "run", "--config", join(world.dir, "nope.toml")], {
      permissions: PERMISSIONS,
    });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: config file not found: .*nope\.toml/);
    await Deno.remove(world.share, { recursive: true });
    const unmounted = await world.run("backup", "run");
    assert.equal(unmounted.code, 2);
    assert.match(unmounted.stderr, /^error: TrueNAS share not found at .*: is it mounted\?/m);
  });
});

Deno.test("backup run --dry-run prints the plan and changes nothing", async () => {
  await withWorld(async (world) => {
    await makeSampleStudy(world.source, STUDY, { mtime: OLD });
    const before = await snapshot(world.dir);
    const result = await world.run("backup", "run", "--dry-run");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^backup plan \(dry run: nothing was written anywhere\)$/m);
    assert.match(result.stdout, /^share lock: free$/m);
    assert.match(
      result.stdout,
      new RegExp(`^${STUDY}\\s+ok\\s+4\\s+1\\.2 KiB\\s+.*truenas.fusion-01.${STUDY}$`, "m"),
    );
    assert.match(
      result.stdout,
      new RegExp(`s3://${world.peer.bucket}/fusion/fusion-01/${STUDY}/$`, "m"),
    );
    assert.match(result.stdout, /^would back up 1 study, 4 files, 1\.2 KiB; 0 would fail$/m);
    const after = await snapshot(world.dir);
    delete after[Object.keys(after).find((path) => path.startsWith("logs/")) ?? ""];
    assert.deepEqual(after, before);
    assert.equal(world.peer.requests.length, 0);
  });
});

/** Parts the peer accepted (a part cut off by the kill is answered with an error, or not at all). */
function storedParts(peer: S3Peer): number {
  return peer.requests.filter((r) => r.operation === "UploadPart" && r.status === 200).length;
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 6000; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function size(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return -1;
  }
}

/** Kills a backup when `moment` holds, then checks the lock, the refusal and the recovery. */
async function killAndRecover(world: World, moment: () => Promise<boolean>, what: string) {
  const study = await makeSampleStudy(world.source, STUDY, { qptiffBytes: 400 * MIB, mtime: OLD });
  const before = await snapshot(study);
  const child = await startMain(["backup", "run", "--config", world.config], {
    permissions: PERMISSIONS,
    env: world.peer.env,
  });
  const output = child.output();
  await waitFor(moment, what);
  child.kill("SIGKILL");
  const killed = await output;
  // Windows has no signals: Deno ends the process with TerminateProcess, which leaves an exit code.
  if (Deno.build.os === "windows") assert.ok(killed.signal === null && killed.code !== 0);
  else assert.equal(killed.signal, "SIGKILL");

  const after = await snapshot(study);
  assert.ok(".fusion-toolkit.lock" in after, "the study lock is left behind");
  delete after[".fusion-toolkit.lock"];
  assert.deepEqual(after, before, "the source is intact");
  const refused = await world.run("backup", "run");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: stale study lock found: .*\.fusion-toolkit\.lock/m);
  assert.match(refused.stderr, /The share lock .*\.cleanup\.lock is held too/);

  await Deno.remove(join(study, ".fusion-toolkit.lock"));
  await Deno.remove(join(world.share, ".cleanup.lock"));
  await setTreeMtime(study, OLD);
  const parts = storedParts(world.peer);
  const recovered = await world.run("backup", "run");
  assert.equal(recovered.code, 0, recovered.stderr);
  await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
  const copy = join(world.share, "fusion-01", STUDY);
  const sidecar = parseSidecar(await Deno.readTextFile(join(copy, SIDECAR_NAME)));
  const onShare = await snapshot(copy);
  delete onShare[SIDECAR_NAME];
  assert.deepEqual(onShare, before);
  assert.deepEqual(Object.fromEntries(sidecar.map((e) => [e.path, e.sha256Hex])), before);
  const latest = (await readManifest(join(world.share, "_manifest"))).latest.get(
    `fusion-01/${STUDY}`,
  );
  assert.equal(latest?.status, "complete");
  assert.notEqual(latest?.source_deleted_at, null);
  return { partsBefore: parts, partsAfter: storedParts(world.peer) };
}

Deno.test("SIGKILL mid-copy: the lock stays, the next run refuses, and after cleanup a run completes", async () => {
  await withWorld(async (world) => {
    const image = join(world.share, "fusion-01", STUDY, STUDY, "Scan1", `${STUDY}.qptiff`);
    await killAndRecover(world, async () => {
      const bytes = await size(image);
      return bytes > 0 && bytes < 400 * MIB;
    }, "the copy to be half-way");
  });
});

Deno.test("SIGKILL mid-upload: after cleanup the next run resumes the upload and completes", async () => {
  await withWorld(async (world) => {
    const { partsBefore, partsAfter } = await killAndRecover(
      world,
      () => Promise.resolve(storedParts(world.peer) >= 5),
      "five parts to be uploaded",
    );
    const total = 80; // 400 MiB in 5 MiB parts
    assert.ok(partsBefore >= 5 && partsBefore < total, `killed after ${partsBefore} parts`);
    assert.equal(partsAfter - partsBefore, total - partsBefore, "only the missing parts were sent");
  });
});
