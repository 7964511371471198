/**
 * A backup world for tests: a source root with studies, a share folder, the
 * real S3 peer, and a config pointing at them. Everything lives in one temp
 * folder and is torn down afterwards.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { type Config, parseConfig } from "../../lib/config/mod.ts";
import { walk } from "../../lib/fs/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import {
  type BackupRunOptions,
  type BackupRunResult,
  NO_PROGRESS,
  runBackup,
} from "../../lib/backup/mod.ts";
import { readShareSpace } from "../../lib/cleanup/mod.ts";
import { type BucketVersioning, createS3Store } from "../../lib/storage/s3.ts";
import {
  makeSampleStudy,
  sampleConfigToml,
  type SampleStudyOptions,
  setTreeMtime,
} from "../../scripts/sample_data.ts";
import { PEER_CREDENTIALS, type S3Peer, startS3Peer } from "../../peers/s3.ts";
import { startVerifyingProxy, type VerifyingProxy } from "../../peers/verifying_proxy.ts";

export const MIB = 1024 * 1024;
const DAY = 86_400_000;

/** The world of one test. */
export interface BackupWorld {
  readonly dir: string;
  readonly source: string;
  readonly share: string;
  readonly peer: S3Peer;
  /**
   * The checksum-verifying proxy in front of the peer, which `config` points
   * at: the emulator alone accepts bytes whose checksum is wrong and ignores
   * conditional writes, as S3 never would.
   */
  readonly proxy: VerifyingProxy;
  config: Config;
  /** Log lines printed during runs. */
  readonly logLines: string[];
  /** A study made idle (30 days old) unless `mtime` says otherwise. */
  makeStudy(name: string, options?: SampleStudyOptions): Promise<string>;
  /** Runs a backup in this process with the real S3 store. */
  run(overrides?: Partial<BackupRunOptions>): Promise<BackupRunResult>;
  /** The bytes of an object, read straight from the peer. */
  object(key: string): Promise<Uint8Array | undefined>;
  /** Asks the world's S3 (wherever `config` points now), once, whether the bucket keeps versions. */
  readVersioning(): Promise<BucketVersioning>;
}

/** `{relative path: sha256}` of every file under `root` (empty when it is gone). */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  try {
    for await (const entry of walk(root)) {
      if (entry.kind !== "file") continue;
      const bytes = await Deno.readFile(join(root, entry.path));
      files[entry.path] = createHash("sha256").update(bytes).digest("hex");
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files;
}

/** Copies a folder tree (a study as it was, to bring it back later). */
export async function copyTree(from: string, to: string): Promise<void> {
  for await (const entry of walk(from)) {
    const target = join(to, entry.path);
    if (entry.kind === "dir") await Deno.mkdir(target, { recursive: true });
    else if (entry.kind === "file") {
      await Deno.mkdir(join(target, ".."), { recursive: true });
      await Deno.copyFile(join(from, entry.path), target);
    }
  }
}

/** The SHA-256 hex of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function configFor(
  dir: string,
  source: string,
  share: string,
  peer: S3Peer,
  endpoint: string,
): Config {
  const toml = sampleConfigToml({ source, share, bucket: peer.bucket, endpoint });
  return parseConfig(toml, join(dir, "config.toml"), {
    platform: Deno.build.os === "windows" ? "windows" : "posix",
    home: () => dir,
    hostname: () => "test-host",
  });
}

/** Runs `body` in a fresh world, torn down afterwards whatever happens. */
export async function withBackupWorld(body: (world: BackupWorld) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-backup-" });
  const peer = await startS3Peer();
  peer.clearRequests(); // the bucket's creation is not the backup's doing
  const proxy = await startVerifyingProxy(peer.endpoint);
  try {
    const source = join(dir, "FusionData");
    const share = join(dir, "truenas");
    await Deno.mkdir(source);
    await Deno.mkdir(share);
    const logLines: string[] = [];
    const world: BackupWorld = {
      dir,
      source,
      share,
      peer,
      proxy,
      config: configFor(dir, source, share, peer, proxy.endpoint),
      logLines,
      makeStudy: (name, options = {}) =>
        makeSampleStudy(source, name, { mtime: new Date(Date.now() - 30 * DAY), ...options }),
      async run(overrides = {}) {
        const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
        try {
          return await runBackup({
            config: world.config,
            store,
            logger: new Logger({ console: (line) => logLines.push(line) }),
            progress: NO_PROGRESS,
            hostname: "test-host",
            command: "fusion-toolkit",
            clock: () => new Date(),
            readSpace: readShareSpace,
            ...overrides,
          });
        } finally {
          store.close();
        }
      },
      async readVersioning() {
        const store = createS3Store(world.config.s3, {
          credentials: PEER_CREDENTIALS,
          retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        });
        try {
          return await store.bucketVersioning();
        } finally {
          store.close();
        }
      },
      async object(key) {
        const response = await fetch(
          `${peer.endpoint}/${peer.bucket}/${encodeURIComponent(key).replaceAll("%2F", "/")}`,
        );
        if (response.status === 404) {
          await response.body?.cancel();
          return undefined;
        }
        if (!response.ok) throw new Error(`GET ${key}: ${response.status}`);
        return new Uint8Array(await response.arrayBuffer());
      },
    };
    await body(world);
  } finally {
    await proxy.stop();
    await peer.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Makes a study's files idle again after a test touched them. */
export function makeIdle(path: string): Promise<void> {
  return setTreeMtime(path, new Date(Date.now() - 30 * DAY));
}
