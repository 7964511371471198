/**
 * `deno task demo`: the main job on built-in sample data, end to end. Builds
 * a sample instrument folder (studies that pass the naming standard and
 * studies that break it), a folder standing in for the TrueNAS share, and a
 * local S3 server (the same emulator the tests use, on 127.0.0.1); then runs
 * the real CLI: `validate root`, `backup run --dry-run`, `backup run`,
 * `manifest show`, prints where every copy is, then `cleanup run --dry-run`
 * and `cleanup run` with a threshold no disk meets.
 *
 * Usage: `deno task demo [--keep]` (`--keep` leaves the sample folders in place).
 *
 * @module
 */
import { join } from "node:path";
import { denoIo, runCli } from "../lib/cli/mod.ts";
import { walk } from "../lib/fs/mod.ts";
import { createS3Store } from "../lib/storage/s3.ts";
import { PEER_CREDENTIALS, startS3Peer } from "../peers/s3.ts";
import { makeSampleRoot, sampleConfigToml, setTreeMtime } from "./sample_data.ts";

async function step(args: string[]): Promise<number> {
  console.log(`\n$ fusion-toolkit ${args.join(" ")}`);
  const code = await runCli(args, { io: denoIo() });
  console.log(`(exit ${code})`);
  return code;
}

async function main(): Promise<number> {
  const keep = Deno.args.includes("--keep");
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-demo-" });
  const peer = await startS3Peer({ bucket: "lab-fusion-archive" });
  try {
    const source = join(dir, "FusionData");
    const share = join(dir, "truenas");
    await makeSampleRoot(source);
    // The studies finished a month ago, so the monthly backup takes them.
    await setTreeMtime(source, new Date(Date.now() - 30 * 86_400_000));
    await Deno.mkdir(share);
    const config = join(dir, "config.toml");
    const writeConfig = (extra = "") =>
      Deno.writeTextFile(
        config,
        sampleConfigToml({ source, share, bucket: peer.bucket, endpoint: peer.endpoint, extra }),
      );
    await writeConfig();
    for (const [name, value] of Object.entries(peer.env)) Deno.env.set(name, value);

    console.log(`instrument folder: ${source}`);
    console.log(`TrueNAS share:     ${share}`);
    console.log(
      `S3:                ${peer.endpoint} (a local S3 emulator), bucket lab-fusion-archive`,
    );
    console.log("two studies follow the naming standard; three break it on purpose.");

    const codes = [
      await step(["validate", "root", source]),
      await step(["backup", "run", "--config", config, "--dry-run"]),
      await step(["backup", "run", "--config", config]),
      await step(["manifest", "show", join(share, "_manifest")]),
    ];

    console.log("\nwhere the copies are:");
    for await (const entry of walk(share)) {
      if (entry.kind === "file") console.log(`  share  ${join(share, entry.path)}`);
    }
    const store = createS3Store(peer.settings, { credentials: PEER_CREDENTIALS });
    try {
      const objects = await store.listSizes("fusion/");
      for (const [key, size] of [...objects].sort()) {
        console.log(`  s3     ${store.uri(key)} (${size} bytes)`);
      }
    } finally {
      store.close();
    }
    console.log("\nleft on the instrument (failed validation, kept for a person to fix):");
    const kept = (await Array.fromAsync(Deno.readDir(source))).map((entry) => entry.name).sort();
    for (const name of kept) console.log(`  ${join(source, name)}`);

    console.log(
      "\nthe share fills up: a cleanup whose threshold (99.9% free) no disk meets evicts every " +
        "backup the gates prove complete and in S3, oldest first; S3 keeps its copy.",
    );
    await writeConfig("\n[cleanup]\nfree_threshold_pct = 99.9\n");
    codes.push(
      await step(["cleanup", "run", "--config", config, "--dry-run"]),
      await step(["cleanup", "run", "--config", config]),
    );
    console.log("\nleft on the share (the manifest and the cleanup ledger):");
    for await (const entry of walk(share)) {
      if (entry.kind === "file") console.log(`  share  ${join(share, entry.path)}`);
    }

    console.log("\nthe operator's Monday screen (exit 1: the failed studies need a person):");
    codes.push(await step(["status", "--config", config]));

    // Failing studies are the point of the demo: validate, the backup and status exit 1 for them.
    const expected = codes.join(",") === "1,1,1,0,0,0,1";
    console.log(
      expected ? "\ndemo finished as expected." : `\ndemo: unexpected exit codes ${codes}.`,
    );
    return expected ? 0 : 1;
  } finally {
    await peer.stop();
    if (keep) console.log(`sample data kept in ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
}

Deno.exit(await main());
