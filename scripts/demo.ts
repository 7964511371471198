/**
 * `deno task demo`: the main job on built-in sample data, end to end, told as
 * a story. Builds a sample instrument folder (studies that pass the naming
 * standard and studies that break it on purpose), a folder standing in for
 * the TrueNAS share, a local S3 server (the same emulator the tests use, on
 * 127.0.0.1) and a sample Fusion.log; then runs the real CLI step by step.
 * Each step says beforehand what it shows and which exit code it ends with,
 * so an `exit 1` reads as the point of the step, not as a failure of the demo.
 *
 * The share is a temp folder on whatever disk the machine has, so the demo
 * gives the CLI a share of a size it sets (see {@linkcode pretendShare}),
 * and says so: cleanup then evicts exactly the oldest backup.
 *
 * To add a step, append one to {@linkcode STEPS}.
 *
 * Usage: `deno task demo [--keep]` (`--keep` leaves the sample folders in place).
 *
 * @module
 */
import { join } from "node:path";
import type { SpaceReader } from "../lib/cleanup/mod.ts";
import { denoIo, runCli } from "../lib/cli/mod.ts";
import { walk } from "../lib/fs/mod.ts";
import { localCalendar, monthOf } from "../lib/report/mod.ts";
import { createS3Store } from "../lib/storage/s3.ts";
import { formatBytes } from "../lib/text/mod.ts";
import { PEER_CREDENTIALS, type S3Peer, startS3Peer } from "../peers/s3.ts";
import { makeSampleRoot, sampleConfigToml, setTreeMtime } from "./sample_data.ts";
import { writeSampleFusionLog } from "./sample_log.ts";

/** The cleanup threshold the demo's config sets: the share should stay at least this free. */
const FREE_THRESHOLD_PCT = 50;

/** What the steps share: the sample folders, the config and the S3 peer. */
interface Demo {
  readonly dir: string;
  readonly source: string;
  readonly share: string;
  readonly config: string;
  readonly peer: S3Peer;
  /** The pretend size of the share, bytes; set by the step before cleanup (roomy until then). */
  shareCapacity: number | undefined;
}

/** One step of the story. */
interface Step {
  readonly title: string;
  /** What the step shows; a step whose command exits non-zero says why, before it runs. */
  readonly explain: (demo: Demo) => string | Promise<string>;
  /** The fusion-toolkit command, without the program name. */
  readonly command?: (demo: Demo) => string[];
  /** The exit code the command ends with when all goes as the story says. */
  readonly expect?: number;
  /** What to show after the command (or instead of one). */
  readonly show?: (demo: Demo) => Promise<void>;
}

async function filesUnder(root: string): Promise<{ path: string; bytes: number }[]> {
  const files = [];
  for await (const entry of walk(root)) {
    if (entry.kind === "file") {
      files.push({ path: entry.path, bytes: (await Deno.stat(join(root, entry.path))).size });
    }
  }
  return files;
}

/** The pretend share's size until the step before cleanup sets it: roomy, as a new share is. */
const ROOMY_SHARE_BYTES = 1024 ** 4;

/**
 * The demo's share: it holds `demo.shareCapacity` bytes in all, and is as
 * full as the folder standing in for it. (The real reader asks the file
 * system; a temp folder shares a disk of any size with everything else.)
 */
function pretendShare(demo: Demo): SpaceReader {
  return async (root) => {
    const capacity = demo.shareCapacity ?? ROOMY_SHARE_BYTES;
    const used = (await filesUnder(root)).reduce((sum, file) => sum + file.bytes, 0);
    return { freeBytes: Math.max(capacity - used, 0), totalBytes: capacity };
  };
}

/** Bytes of each backup folder on the share (`<instrument>/<study>`). */
async function backupSizes(share: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const file of await filesUnder(share)) {
    const [instrument, study] = file.path.split("/");
    if (instrument === "_manifest" || study === undefined) continue;
    const name = `${instrument}/${study}`;
    sizes.set(name, (sizes.get(name) ?? 0) + file.bytes);
  }
  return sizes;
}

async function listShare(share: string): Promise<void> {
  for (const file of await filesUnder(share)) console.log(`  ${file.path}`);
}

const STEPS: readonly Step[] = [
  {
    title: "Check the studies against the naming standard",
    explain: () =>
      "Two studies follow the standard; three break it on purpose (a date that does not exist " +
      "and a stray file; an .xpd without its experiment folder and a scan without .temp; a bad " +
      "experiment suffix). validate lists every violation and exits 1 because some exist.",
    command: (demo) => ["validate", "root", demo.source],
    expect: 1,
  },
  {
    title: "Plan the monthly backup (dry run)",
    explain: () =>
      "The dry run writes nothing and shows what the real run would do: back up the two good " +
      "studies and fail the three others. It exits 1, as the real run will.",
    command: (demo) => ["backup", "run", "--config", demo.config, "--dry-run"],
    expect: 1,
  },
  {
    title: "Run the backup",
    explain: () =>
      "Each good study is copied to the share with a SHA-256 per file, read back and verified, " +
      "sealed with a _checksums.sha256 file, uploaded to S3 and verified there; only then is " +
      "the source deleted. The three broken studies are recorded as failed_validation and " +
      "stay on the instrument: exit 1, so the scheduled task shows that a person is needed.",
    command: (demo) => ["backup", "run", "--config", demo.config],
    expect: 1,
  },
  {
    title: "Read the manifest",
    explain: () => "The ledger of every backup, on the share (and mirrored to S3).",
    command: (demo) => ["manifest", "show", join(demo.share, "_manifest")],
    expect: 0,
  },
  {
    title: "Where the copies are",
    explain: () =>
      "Each backup folder holds the study's files plus _checksums.sha256, the SHA-256 of every " +
      "file, which proves the copy. So alice's backup is 8 study files and 9 files on the share " +
      "and in S3; cleanup, which counts what is on the share, says 9.",
    show: async (demo) => {
      console.log(`share ${demo.share}:`);
      await listShare(demo.share);
      const store = createS3Store(demo.peer.settings, { credentials: PEER_CREDENTIALS });
      try {
        const objects = await store.listSizes("fusion/");
        console.log(`S3 ${store.uri("fusion/")}:`);
        for (const [key, size] of [...objects].sort()) {
          console.log(`  ${key.slice("fusion/".length)} (${size} bytes)`);
        }
      } finally {
        store.close();
      }
      console.log("left on the instrument (failed validation, kept for a person to fix):");
      const kept = (await Array.fromAsync(Deno.readDir(demo.source))).map((entry) => entry.name);
      for (const name of kept.sort()) console.log(`  ${name}`);
    },
  },
  {
    title: "The share fills up: plan the cleanup (dry run)",
    explain: async (demo) => {
      // Just big enough that evicting any one backup brings the share back above the threshold.
      const used = (await filesUnder(demo.share)).reduce((sum, file) => sum + file.bytes, 0);
      const smallest = Math.min(...(await backupSizes(demo.share)).values());
      const needed = (used - smallest / 2) / (1 - FREE_THRESHOLD_PCT / 100);
      demo.shareCapacity = Math.ceil(needed / 1024) * 1024;
      const free = demo.shareCapacity - used;
      return `The demo's share is a temp folder, so the demo sets its size: ` +
        `${formatBytes(demo.shareCapacity)} in all, of which the backups and the manifest use ` +
        `${formatBytes(used)}, leaving ${formatBytes(free)} ` +
        `(${(100 * free / demo.shareCapacity).toFixed(1)}%) free. The config asks cleanup to ` +
        `keep ${FREE_THRESHOLD_PCT}% free, so the oldest backup proven complete in S3 must go; ` +
        "S3 keeps its copy.";
    },
    command: (demo) => ["cleanup", "run", "--config", demo.config, "--dry-run"],
    expect: 0,
  },
  {
    title: "Run the cleanup",
    explain: () => "It evicts what the plan said, re-reading the free space after each eviction.",
    command: (demo) => ["cleanup", "run", "--config", demo.config],
    expect: 0,
    show: async (demo) => {
      console.log("left on the share:");
      await listShare(demo.share);
    },
  },
  {
    title: "The operator's Monday screen",
    explain: () =>
      "status gathers the last runs, what waits on the instrument, what needs a person, the " +
      "share's space and the monitor. It exits 1 while backups need a person: the three " +
      "failed studies.",
    command: (demo) => ["status", "--config", demo.config],
    expect: 1,
  },
  {
    title: "The monthly report",
    explain: () =>
      "report is what the lab gets by email each month, for every instrument on the share: here " +
      "this month so far (the default is the last full month, which has no records yet). It " +
      "exits 0: the report was made; the failed studies are in it.",
    command: (demo) => [
      "report",
      "--config",
      demo.config,
      "--month",
      monthOf(localCalendar, Date.now()),
    ],
    expect: 0,
  },
];

/** Runs the steps in order; returns each command's exit code against the expected one. */
async function tell(demo: Demo, steps: readonly Step[]): Promise<string[]> {
  const surprises: string[] = [];
  const shareSpace = pretendShare(demo);
  for (const [index, step] of steps.entries()) {
    console.log(`\n== ${index + 1}. ${step.title}`);
    console.log(await step.explain(demo));
    if (step.command !== undefined) {
      const args = step.command(demo);
      console.log(`\n$ fusion-toolkit ${args.join(" ")}`);
      // The steps share this process with the S3 peer, so none may revoke what the next needs;
      // each command's narrowing is tested in tests/permissions.
      const code = await runCli(args, {
        io: denoIo(),
        shareSpace,
        narrow: () => {},
        // Its hints name the command as the demo shows it.
        command: "fusion-toolkit",
      });
      if (code === step.expect) {
        console.log(`(exit ${code}${code === 0 ? "" : ", as announced"})`);
      } else {
        console.log(`(exit ${code}: the demo expected ${step.expect})`);
        surprises.push(`step ${index + 1} exited ${code}, not ${step.expect}`);
      }
    }
    await step.show?.(demo);
  }
  return surprises;
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
    const fusionLog = join(dir, "Fusion.log");
    await writeSampleFusionLog(fusionLog, 64 * 1024);
    const config = join(dir, "config.toml");
    await Deno.writeTextFile(
      config,
      sampleConfigToml({
        source,
        share,
        bucket: peer.bucket,
        endpoint: peer.endpoint,
        extra: `\n[cleanup]\nfree_threshold_pct = ${FREE_THRESHOLD_PCT}\n` +
          `\n[monitor]\nlog_path = ${JSON.stringify(fusionLog)}\n`,
      }),
    );
    for (const [name, value] of Object.entries(peer.env)) Deno.env.set(name, value);

    console.log(`instrument folder: ${source}`);
    console.log(`TrueNAS share:     ${share} (a folder standing in for it)`);
    console.log(`S3:                ${peer.endpoint} (a local S3 emulator), bucket ${peer.bucket}`);
    console.log(`Fusion.log:        ${fusionLog} (a sample the monitor would watch)`);
    console.log(`config:            ${config}`);

    const surprises = await tell(
      { dir, source, share, config, peer, shareCapacity: undefined },
      STEPS,
    );
    console.log(
      surprises.length === 0
        ? "\ndemo finished as expected: every exit code was the one announced."
        : `\ndemo: ${surprises.join("; ")}.`,
    );
    return surprises.length === 0 ? 0 : 1;
  } finally {
    await peer.stop();
    if (keep) console.log(`sample data kept in ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
}

Deno.exit(await main());
