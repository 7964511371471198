/**
 * A cleanup world for tests: the backup world of tests/backup (source, share,
 * the real S3 peer, a config), where backups are made for real with
 * `runBackup` and then perturbed, plus a free-space reader that sees the
 * share as a disk of a chosen size.
 *
 * @module
 */
import { dirname, join } from "node:path";
import {
  type CleanupPreview,
  type CleanupRunOptions,
  type CleanupRunResult,
  type LedgerLine,
  previewCleanup,
  runCleanup,
  type SpaceReader,
} from "../../lib/cleanup/mod.ts";
import { walk } from "../../lib/fs/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import { createS3Store } from "../../lib/storage/s3.ts";
import { type BackupWorld, withBackupWorld } from "../backup/_fixture.ts";
import { PEER_CREDENTIALS } from "../../peers/s3.ts";

const DAY = 86_400_000;
export const KIB = 1024;

/** The world of one cleanup test. */
export interface CleanupWorld extends BackupWorld {
  /** The share's size the free-space reader reports. */
  shareBytes: number;
  /** The free-space reader: `shareBytes` less every byte of every file in the share folder. */
  readonly readSpace: SpaceReader;
  /** Makes a study and backs it up for real as if on `day` (its completed_at orders evictions). */
  backUp(name: string, day: string, qptiffBytes?: number): Promise<void>;
  /** Runs a cleanup in this process with the real S3 store. */
  cleanup(overrides?: Partial<CleanupRunOptions>): Promise<CleanupRunResult>;
  /** The dry run. */
  preview(): Promise<CleanupPreview>;
  /** Every line of the cleanup ledgers, in order. */
  ledger(): Promise<LedgerLine[]>;
  /** Deletes an object straight at the peer (unsigned; the emulator does not check signatures). */
  deleteObject(key: string): Promise<void>;
  /** The share folder of a study of instrument fusion-01. */
  studyOnShare(name: string): string;
}

/** Bytes of every file under `root`, never following links. */
export async function bytesUnder(root: string): Promise<number> {
  let bytes = 0;
  for await (const entry of walk(root)) {
    if (entry.kind === "file") bytes += (await Deno.lstat(join(root, entry.path))).size;
  }
  return bytes;
}

/** Runs `body` in a fresh world with a share of `shareBytes`, torn down afterwards. */
export async function withCleanupWorld(
  shareBytes: number,
  body: (world: CleanupWorld) => Promise<void>,
): Promise<void> {
  await withBackupWorld(async (backupWorld) => {
    const stores: { close(): void }[] = [];
    const readSpace: SpaceReader = async (root) => {
      const used = await bytesUnder(root);
      return { freeBytes: Math.max(0, world.shareBytes - used), totalBytes: world.shareBytes };
    };
    const options = (): CleanupRunOptions => {
      const store = createS3Store(world.config.s3, { credentials: PEER_CREDENTIALS });
      stores.push(store);
      return {
        config: world.config,
        s3: store,
        logger: new Logger({ console: (line) => world.logLines.push(line) }),
        hostname: "test-host",
        clock: () => new Date(),
        readSpace,
      };
    };
    // The backup world's methods read its own `config`, so the cleanup world is that same object.
    const world: CleanupWorld = Object.assign(backupWorld, {
      shareBytes,
      readSpace,
      async backUp(name: string, day: string, qptiffBytes = 100 * KIB) {
        const at = new Date(`${day}T02:00:00Z`);
        await world.makeStudy(name, { qptiffBytes, mtime: new Date(at.getTime() - 30 * DAY) });
        const result = await world.run({ clock: () => at });
        if (!result.outcomes.every((outcome) => outcome.ok)) {
          throw new Error(`backing up ${name} failed: ${JSON.stringify(result.outcomes)}`);
        }
      },
      cleanup: (overrides: Partial<CleanupRunOptions> = {}) =>
        runCleanup({ ...options(), ...overrides }),
      preview: () => previewCleanup(options()),
      async ledger() {
        const dir = world.config.truenas.manifestRoot;
        const names = (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name)
          .filter((name) => name.startsWith("cleanup-")).sort();
        const lines: LedgerLine[] = [];
        for (const name of names) {
          const text = await Deno.readTextFile(join(dir, name));
          lines.push(...text.split("\n").filter((line) => line !== "").map((l) => JSON.parse(l)));
        }
        return lines;
      },
      async deleteObject(key: string) {
        const path = key.split("/").map(encodeURIComponent).join("/");
        const response = await fetch(`${world.peer.endpoint}/${world.peer.bucket}/${path}`, {
          method: "DELETE",
        });
        await response.body?.cancel();
        if (!response.ok) throw new Error(`DELETE ${key}: HTTP ${response.status}`);
      },
      studyOnShare: (name: string) => join(world.share, "fusion-01", name),
    });
    try {
      await body(world);
    } finally {
      for (const store of stores) store.close();
    }
  });
}

/**
 * Makes `path` impossible to delete for this process, for real: as root,
 * with `chattr +i` (the immutable flag, which root too must obey); otherwise
 * by taking write permission from its folder. Returns the undo, to which the
 * caller passes where `path` is by then if it was moved.
 */
export async function makeUndeletable(
  path: string,
): Promise<(movedTo?: string) => Promise<void>> {
  if (Deno.uid() === 0) {
    await chattr("+i", path);
    return (movedTo = path) => chattr("-i", movedTo);
  }
  await Deno.chmod(dirname(path), 0o555);
  return (movedTo = path) => Deno.chmod(dirname(movedTo), 0o755);
}

async function chattr(flag: string, path: string): Promise<void> {
  const output = await new Deno.Command("chattr", { args: [flag, path], stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(`chattr ${flag} ${path}: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

/**
 * Whether {@linkcode makeUndeletable} works here: root needs `chattr` and a
 * file system with the immutable flag (ext4, xfs, btrfs; not tmpfs or overlayfs).
 */
export async function undeletableWorks(): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-probe-" });
  const file = join(dir, "probe");
  try {
    await Deno.writeTextFile(file, "x");
    const undo = await makeUndeletable(file);
    let refused = false;
    try {
      await Deno.remove(file);
    } catch {
      refused = true;
    }
    await undo();
    return refused;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
