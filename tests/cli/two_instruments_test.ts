/**
 * Two instruments, one share, one bucket: the backup tasks of two Fusion PCs
 * start at the same moment (both scheduled for 02:00 on the 1st). Two real
 * child processes run `backup run`, each with its own config (its own
 * `[backup] instrument` and source_root, the same share and bucket), with
 * the product's permissions and the real S3 peer on 127.0.0.1. Then checked:
 * both exit 0; every study of both is complete in the manifest, byte for
 * byte on the share and in S3, and gone from its source; each instrument's
 * manifest file holds only its own records, every line valid JSON, mirrored
 * to S3 as is; and a cleanup run afterwards weighs every backup of both.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { kindAt } from "../../lib/fs/mod.ts";
import { SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { parseManifestFileName, readManifest } from "../../lib/manifest/mod.ts";
import { makeSampleStudy, sampleConfigToml } from "../../scripts/sample_data.ts";
import { type S3Peer, startS3Peer } from "../../peers/s3.ts";
import { startVerifyingProxy } from "../../peers/verifying_proxy.ts";
import { type CliResult, PRODUCT_FLAGS, runMain, startMain } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { sha256, snapshot } from "../backup/_fixture.ts";

const OLD = new Date(Date.now() - 40 * 86_400_000);
const MIB = 1024 * 1024;

/** One PC: its instrument name, its source folder, its config, the studies it holds. */
interface Pc {
  readonly instrument: string;
  readonly source: string;
  readonly config: string;
  /** `{study: {relative path: sha256}}` before the backup. */
  readonly studies: Record<string, Record<string, string>>;
}

async function makePc(
  dir: string,
  instrument: string,
  share: string,
  peer: S3Peer,
  endpoint: string,
  studies: readonly string[],
): Promise<Pc> {
  const home = join(dir, instrument);
  const source = join(home, "FusionData");
  await Deno.mkdir(source, { recursive: true });
  const config = join(home, "config.toml");
  // An unreachable threshold: the cleanup at the end evicts every backup it can prove.
  const extra = "\n[cleanup]\nfree_threshold_pct = 99.9\n";
  await Deno.writeTextFile(
    config,
    sampleConfigToml({
      source,
      share,
      bucket: peer.bucket,
      endpoint,
      instrument,
      extra,
    }),
  );
  const snapshots: Record<string, Record<string, string>> = {};
  for (const [index, study] of studies.entries()) {
    // One multipart image per PC keeps each run busy well past the moment the other starts.
    const qptiffBytes = index === 0 ? 7 * MIB : 64 * 1024;
    const path = await makeSampleStudy(source, study, { mtime: OLD, qptiffBytes });
    snapshots[study] = await snapshot(path);
  }
  return { instrument, source, config, studies: snapshots };
}

async function output(child: Deno.ChildProcess): Promise<CliResult> {
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

// Backups of different instruments hold the share lock together (shared OS lock); each holds its
// own instrument's lock alone; cleanup, afterwards, takes the share lock alone.
Deno.test({
  name: "two instruments' backups started at the same moment on one share and bucket both succeed",
  async fn() {
    await withTempDir(async (dir) => {
      const peer = await startS3Peer();
      // Both PCs write through S3 as it behaves: checksums verified, conditional writes enforced.
      const proxy = await startVerifyingProxy(peer.endpoint);
      try {
        const share = join(dir, "truenas");
        await Deno.mkdir(share);
        const pcs = [
          await makePc(dir, "fusion-01", share, peer, proxy.endpoint, [
            "20250301_alice_lung_panel1",
            "20250302_bob_tonsil_run2",
            "20250303_carol_liver_pilot",
          ]),
          await makePc(dir, "fusion-02", share, peer, proxy.endpoint, [
            "20250301_dave_colon_trial",
            "20250302_bob_tonsil_run2", // the same study name on the other instrument
            "20250304_erin_skin_set1",
          ]),
        ];

        const children = await Promise.all(
          pcs.map((pc) =>
            startMain(["backup", "run", "--config", pc.config], {
              permissions: PRODUCT_FLAGS,
              env: peer.env,
            })
          ),
        );
        const results = await Promise.all(children.map(output));
        for (const [index, result] of results.entries()) {
          assert.equal(result.code, 0, `${pcs[index]?.instrument}: ${result.stderr}`);
          assert.match(result.stdout, /^3 studies: 3 backed up, 0 failed$/m);
        }

        // Every study of both: complete in the manifest, on the share and in S3, source gone.
        const manifestRoot = join(share, "_manifest");
        const manifest = await readManifest(manifestRoot);
        assert.deepEqual(manifest.warnings, []);
        for (const pc of pcs) {
          for (const [study, original] of Object.entries(pc.studies)) {
            const name = `${pc.instrument}/${study}`;
            const record = manifest.latest.get(name);
            assert.equal(record?.status, "complete", name);
            assert.notEqual(record?.source_deleted_at, null, name);
            assert.equal(record?.file_count, Object.keys(original).length, name);
            assert.equal(await kindAt(join(pc.source, study)), undefined, name);
            const onShare = await snapshot(join(share, pc.instrument, study));
            assert.ok(SIDECAR_NAME in onShare, name);
            delete onShare[SIDECAR_NAME];
            assert.deepEqual(onShare, original, name);
            for (const [path, sha256Hex] of Object.entries(original)) {
              const object = await peer.fetchObject(`fusion/${name}/${path}`);
              assert.equal(object.sha256Hex, sha256Hex, `${name}/${path} in S3`);
            }
          }
        }
        assert.equal(manifest.latest.size, 6);

        // One file per instrument (and month), holding only that instrument's records, each line
        // valid JSON; its S3 copy is the same bytes.
        const byInstrument = new Map<string, number>();
        for (const file of manifest.files) {
          const instrument = parseManifestFileName(basename(file))?.instrument;
          assert.ok(instrument !== undefined, `${file} is an instrument's file`);
          byInstrument.set(instrument, (byInstrument.get(instrument) ?? 0) + 1);
          const text = await Deno.readTextFile(file);
          assert.ok(text.endsWith("\n"), file);
          for (const line of text.slice(0, -1).split("\n")) {
            assert.equal(JSON.parse(line).instrument, instrument, `${file}: ${line}`);
          }
          const mirror = await peer.fetchObject(`fusion/_manifest/${basename(file)}`);
          assert.equal(mirror.sha256Hex, sha256(await Deno.readFile(file)), `${file} in S3`);
        }
        assert.deepEqual([...byInstrument.keys()].sort(), ["fusion-01", "fusion-02"]);

        // A cleanup from either PC weighs every backup of both instruments.
        const cleanup = await runMain(["cleanup", "run", "--config", pcs[0]?.config ?? ""], {
          permissions: PRODUCT_FLAGS,
          env: peer.env,
        });
        assert.equal(cleanup.code, 0, cleanup.stderr);
        for (const pc of pcs) {
          for (const study of Object.keys(pc.studies)) {
            assert.match(
              cleanup.stdout,
              new RegExp(`^${pc.instrument}/${study}\\s+\\S+Z\\s+\\d+\\s+.+\\s+evicted$`, "m"),
            );
            assert.equal(await kindAt(join(share, pc.instrument, study)), undefined);
          }
        }
        assert.doesNotMatch(cleanup.stdout, /not backups the manifest knows/);
      } finally {
        await proxy.stop();
        await peer.stop();
      }
    });
  },
});
