/**
 * What every step of one study's backup shares: the run's settings and
 * sinks, the progress display, and how a step fails.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { BackupStatus, ManifestRecord } from "../manifest/mod.ts";
import type { S3Store } from "../storage/s3.ts";
import { DigestTable } from "./digest_table.ts";

/** The stages a progress display shows. */
export type BackupStage = "compare" | "copy" | "verify" | "upload" | "confirm";

/** Receives progress; the CLI draws it on a terminal. */
export interface BackupProgress {
  /** `study` starts `stage`, which covers `files` files and `bytes` bytes. */
  stage(study: string, stage: BackupStage, files: number, bytes: number): void;
  /** Work done within the current stage. */
  advance(files: number, bytes: number): void;
  /** The study is finished. */
  end(): void;
}

/** A progress sink that shows nothing. */
export const NO_PROGRESS: BackupProgress = { stage() {}, advance() {}, end() {} };

/** Everything one study's backup needs. */
export interface StudyContext {
  readonly config: Config;
  /** The bucket of `[s3]`; the caller closes it. */
  readonly store: S3Store;
  readonly logger: Logger;
  readonly progress: BackupProgress;
  readonly hostname: string;
  /**
   * How the user starts this program (lib/invocation.ts), for the messages
   * that name a command to type, e.g. `fusion-toolkit.exe audit --s3`.
   */
  readonly command: string;
  readonly clock: () => Date;
  /** Free bytes of the file system holding the share's root (statfs). */
  readonly readSpace: (root: string) => Promise<{ readonly freeBytes: number }>;
  /** The study's latest manifest record before this run, if any. */
  readonly previous: ManifestRecord | undefined;
  /** The study's latest `complete` record (the revision a later one builds on), if any. */
  readonly lastComplete: ManifestRecord | undefined;
  /**
   * Every record of the study's backup before this run, oldest first: which
   * attempts there were, and whether each completed (an object in S3 names
   * the attempt that wrote it; see steps/upload.ts).
   */
  readonly history: readonly ManifestRecord[];
  readonly signal?: AbortSignal | undefined;
  /** Test seam: runs between the copy and the read-back (a test corrupts the copy here). */
  readonly afterCopy?: ((destination: string) => Promise<void>) | undefined;
}

/**
 * A step of one study's backup failed: `step` names it in messages and the
 * outcome; `status` is what the manifest records (undefined: nothing new is
 * recorded, e.g. when a complete backup must not be touched).
 */
export class StepFailure extends Error {
  constructor(readonly step: string, readonly status: BackupStatus | undefined, message: string) {
    super(message);
  }
}

/** What is known of each file once it is on the share. */
export interface FileDigest {
  readonly sha256Hex: string;
  /** Raw SHA-256 of each S3 part, when the file goes up in parts (cut at the read-back). */
  readonly partDigests: readonly Uint8Array[] | undefined;
  /** The share copy was read back and matched (now, or when kept from an earlier run). */
  readonly verified: boolean;
}

/**
 * Each file's digest, by its stored path (relative to the backup's folder).
 * Compact, since a study can hold 100,000 files: each digest is 32 bytes
 * in one shared buffer (not an object and a 64-character string per file)
 * and its state one byte; part digests exist only for the few files that
 * go to S3 in parts. {@linkcode get} builds the digest's view on demand.
 */
export class DigestMap {
  readonly #slots = new Map<string, number>();
  readonly #parts = new Map<number, readonly Uint8Array[]>();
  readonly #digests: DigestTable;
  #verified: Uint8Array;

  /** `files`: how many digests it will probably hold (it grows past that). */
  constructor(files = 0) {
    this.#digests = new DigestTable(files);
    this.#verified = new Uint8Array(Math.max(files, 1));
  }

  get size(): number {
    return this.#slots.size;
  }

  set(path: string, digest: FileDigest): void {
    let slot = this.#slots.get(path);
    this.#digests.set(slot ?? this.#slots.size, digest.sha256Hex);
    if (slot === undefined) {
      slot = this.#slots.size;
      if (slot === this.#verified.length) {
        const verified = new Uint8Array(this.#verified.length * 2);
        verified.set(this.#verified);
        this.#verified = verified;
      }
      this.#slots.set(path, slot);
    }
    this.#setState(slot, digest.verified, digest.partDigests);
  }

  /** Whether the copy at `path` was read back and matched; undefined when `path` is unknown. */
  verified(path: string): boolean | undefined {
    const slot = this.#slots.get(path);
    return slot === undefined ? undefined : this.#verified[slot] === 1;
  }

  /** The copy at `path` was read back and matched; `partDigests` were cut from that read. */
  markVerified(path: string, partDigests: readonly Uint8Array[] | undefined): void {
    const slot = this.#slots.get(path);
    if (slot === undefined) throw new Error(`no digest for ${path}`);
    this.#setState(slot, true, partDigests);
  }

  #setState(slot: number, verified: boolean, partDigests: readonly Uint8Array[] | undefined) {
    this.#verified[slot] = verified ? 1 : 0;
    if (partDigests === undefined) this.#parts.delete(slot);
    else this.#parts.set(slot, partDigests);
  }

  get(path: string): FileDigest | undefined {
    const slot = this.#slots.get(path);
    if (slot === undefined) return undefined;
    return {
      sha256Hex: this.#digests.hex(slot),
      partDigests: this.#parts.get(slot),
      verified: this.#verified[slot] === 1,
    };
  }
}

/** The digest of `path`; a missing one is a bug, not a user error. */
export function digestOf(digests: DigestMap, path: string): FileDigest {
  const digest = digests.get(path);
  if (digest === undefined) throw new Error(`no digest for ${path}`);
  return digest;
}

/** `<prefix> N files, B bytes in S s (R MB/s)`: the line each data step logs. */
export function rateLine(
  prefix: string,
  files: readonly { size: number }[],
  began: number,
): string {
  const seconds = Math.max((performance.now() - began) / 1000, 1e-3);
  const bytes = totalBytes(files);
  return `${prefix} ${files.length} files, ${bytes} bytes in ${seconds.toFixed(1)} s ` +
    `(${(bytes / seconds / 1e6).toFixed(1)} MB/s)`;
}

/** Total size of `files`. */
export function totalBytes(files: readonly { size: number }[]): number {
  return files.reduce((total, file) => total + file.size, 0);
}
