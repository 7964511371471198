/**
 * The backup's copy of many files to the share, as fast as the machine
 * allows and with the same proof as a copy through memory:
 *
 * - The kernel copies (`Deno.copyFile`: copy_file_range on Linux, falling
 *   back to sendfile across filesystems inside the call; CopyFileExW on
 *   Windows, which suits SMB) while this process hashes the source from the
 *   page cache beside it. The digest is of the source as it was read; the
 *   read-back (a later step: {@linkcode hashFile} of the share copy) proves
 *   the copy holds those very bytes, so a source that changed during the
 *   copy is caught there as a hash mismatch.
 * - When the kernel copy fails (a share that refuses the mode the copy
 *   carries over, CopyFileExW refusing an attribute or a stream), that file
 *   and every later one are copied through memory instead; a read-only
 *   source always is, since a kernel copy would make the share copy
 *   read-only too (and undeletable by eviction on Windows).
 * - Write-back overlaps the copying: each copied file is flushed in the
 *   background, several at once (a filesystem journals concurrent flushes
 *   together), and the caller hears of a file, through `onDurable`, only
 *   once its flush returned. At most `maxUnflushedFiles` files or
 *   `maxUnflushedBytes` bytes wait for their flush before `copy` waits.
 *
 * @module
 */
import {
  copyThroughMemory,
  digestFile,
  type FileDigest,
  type FileTimes,
  flushFile,
  type HashOptions,
  timesOf,
} from "./hash.ts";

/** Flushes running at once. */
const FLUSH_CONCURRENCY = 16;
/** Files at least this large start their write-back while the kernel still copies them. */
const EARLY_WRITE_BACK_BYTES = 64 * 1024 * 1024;
const WRITE_BACK_INTERVAL_MS = 250;

/** Options of a {@linkcode ShareCopier}. */
export interface ShareCopierOptions {
  /** Files copied but not yet flushed before `copy` waits for flushes (default 1,024). */
  readonly maxUnflushedFiles?: number;
  /** Bytes copied but not yet flushed before `copy` waits (default 1 GiB; a larger file waits alone). */
  readonly maxUnflushedBytes?: number;
  /** Stops further copies; a kernel copy under way runs to the end of its file first. */
  readonly signal?: AbortSignal | undefined;
}

/** Options of one {@linkcode ShareCopier.copy}. */
export interface ShareCopyOptions {
  /**
   * Called with the bytes of each chunk as the source is hashed; with a
   * negative count when a refused kernel copy starts over through memory.
   */
  readonly onProgress?: ((bytes: number) => void) | undefined;
}

/** A copied file whose flush failed: it is not on the share for sure. */
export class FlushError extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`flushing ${path} to disk: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "FlushError";
  }
}

/** Called once a copied file is flushed: only now may it be recorded as copied. */
export type OnDurable<T> = (item: T, digest: FileDigest) => Promise<void> | void;

/** True when the kernel copy may be worth trying again through memory. */
function worthRetrying(error: unknown): boolean {
  if (error instanceof Deno.errors.NotFound) return false;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code !== "ENOSPC" && code !== "EDQUOT";
}

/**
 * True when the source is known to be writable by its owner (on Windows: not
 * read-only), so a kernel copy, which carries the mode or the attributes
 * over, makes a share copy that a later run can overwrite and eviction can
 * delete. Unknown (Deno reports no mode on Windows in some versions) means no.
 */
function ownerWritable(info: Deno.FileInfo): boolean {
  return info.mode !== null && (info.mode & 0o200) !== 0;
}

/**
 * Flushes what the kernel has copied of `destination` so far, every quarter
 * second until `copying` settles, so the disk writes while the copy and the
 * hashes still run and the flush after the copy finds only the tail left
 * (the kernel itself starts writing back only past a share of the RAM).
 * Linux only: on Windows a second handle could make CopyFileExW fail with a
 * sharing violation. Failures are left to that last flush to report.
 */
async function writeBackWhileCopying(destination: string, copying: Promise<unknown>) {
  let copied = false;
  const settled = copying.then(() => copied = true);
  let file: Deno.FsFile | undefined;
  try {
    while (!copied) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WRITE_BACK_INTERVAL_MS);
        settled.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (copied) break;
      // Not there yet when the kernel copy has not created it.
      file ??= await Deno.open(destination, { write: true }).catch(() => undefined);
      await file?.syncData();
    }
  } catch {
    // the flush after the copy reports what matters
  } finally {
    file?.close();
  }
}

/**
 * Copies files to the share with their SHA-256 (see the module doc), and
 * tells the caller, file by file, when each copy is durable.
 *
 * ```ts
 * await using copier = new ShareCopier<SourceFile>(async (file, digest) => {
 *   await journal.append({ ...file, sha256Hex: digest.sha256Hex });
 * });
 * await inSizeOrder(files, 4, async (file) => {
 *   const digest = await copier.copy(from(file), to(file), file, { onProgress });
 * });
 * await copier.drain(); // every file flushed and recorded, or the first failure thrown
 * ```
 */
export class ShareCopier<T> {
  readonly #onDurable: OnDurable<T>;
  readonly #maxFiles: number;
  readonly #maxBytes: number;
  readonly #signal: AbortSignal | undefined;
  readonly #tasks = new Set<Promise<void>>();
  readonly #flushWaiters: (() => void)[] = [];
  readonly #roomWaiters: (() => void)[] = [];
  #flushing = 0;
  #unflushedFiles = 0;
  #unflushedBytes = 0;
  #recording: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;
  #closed = false;
  #disposed = false;
  #kernelCopy = true;
  #refusal: string | undefined;

  constructor(onDurable: OnDurable<T>, options: ShareCopierOptions = {}) {
    this.#onDurable = onDurable;
    this.#maxFiles = options.maxUnflushedFiles ?? 1024;
    this.#maxBytes = options.maxUnflushedBytes ?? 1024 * 1024 * 1024;
    this.#signal = options.signal;
  }

  /**
   * Why kernel copies stopped (the first refusal, then copies went through
   * memory), or undefined when they did not: worth a line in the log.
   */
  get kernelCopyRefused(): string | undefined {
    return this.#refusal;
  }

  /**
   * Copies `source` to `destination` (created or truncated) and returns the
   * digest of the source's bytes as read. The copy is not yet durable: its
   * flush follows in the background, giving it the source's modification
   * time on the way, and then `onDurable(item, digest)`. Rejects with the
   * first flush or `onDurable` failure of an earlier file, if any.
   */
  async copy(
    source: string,
    destination: string,
    item: T,
    options: ShareCopyOptions = {},
  ): Promise<FileDigest> {
    this.#throwIfFailed();
    if (this.#closed) throw new Error("the copier was drained; start a new one");
    this.#signal?.throwIfAborted();
    // A synchronous stat of the (local) source: an asynchronous one costs a thread hop and a few
    // KiB of garbage per file, and on Windows only the synchronous one reports the mode.
    const info = Deno.statSync(source);
    await this.#roomFor(info.size);
    const hashing: HashOptions = { ...options, sizeHint: info.size, signal: this.#signal };
    let digest: FileDigest | undefined;
    let times = timesOf(info);
    if (this.#kernelCopy && ownerWritable(info)) {
      digest = await this.#kernelCopyWithHash(source, destination, hashing);
      // CopyFileExW gave the copy the source's times already; copy_file_range did not.
      if (digest !== undefined && Deno.build.os === "windows") times = undefined;
    }
    digest ??= await copyThroughMemory(source, destination, hashing);
    this.#flushLater(destination, info.size, times, item, digest);
    return digest;
  }

  /**
   * The kernel's copy beside the hash of the source. Undefined when the
   * kernel copy was refused: then what it left is removed (on Windows it may
   * be hidden, which cannot be overwritten in place), the progress the hash
   * reported is taken back, and this and later files go through memory.
   */
  async #kernelCopyWithHash(
    source: string,
    destination: string,
    hashing: HashOptions,
  ): Promise<FileDigest | undefined> {
    const copying = Deno.copyFile(source, destination).then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    const writingBack = (hashing.sizeHint ?? 0) >= EARLY_WRITE_BACK_BYTES &&
        Deno.build.os !== "windows"
      ? writeBackWhileCopying(destination, copying)
      : undefined;
    let digest: FileDigest | undefined;
    let hashFailure: { error: unknown } | undefined;
    try {
      digest = await digestFile(source, hashing);
    } catch (error) {
      hashFailure = { error };
    }
    const refused = await copying;
    await writingBack;
    if (refused === undefined) {
      if (hashFailure !== undefined) throw hashFailure.error;
      return digest;
    }
    if (!worthRetrying(refused.error)) throw refused.error;
    this.#kernelCopy = false;
    this.#refusal ??= refused.error instanceof Error
      ? refused.error.message
      : String(refused.error);
    await Deno.remove(destination).catch(() => {});
    if (digest !== undefined) hashing.onProgress?.(-digest.size);
    return undefined;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
  }

  /** Waits while too much is copied and not yet flushed. */
  async #roomFor(bytes: number): Promise<void> {
    while (
      this.#unflushedFiles > 0 &&
      (this.#unflushedFiles >= this.#maxFiles || this.#unflushedBytes + bytes > this.#maxBytes)
    ) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
      this.#throwIfFailed();
    }
  }

  #flushLater(
    destination: string,
    size: number,
    times: FileTimes | undefined,
    item: T,
    digest: FileDigest,
  ): void {
    this.#unflushedFiles++;
    this.#unflushedBytes += size;
    const task = this.#flushThenRecord(destination, size, times, item, digest);
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  /** One file's flush and record; never rejects: a failure stops the copier instead. */
  async #flushThenRecord(
    destination: string,
    size: number,
    times: FileTimes | undefined,
    item: T,
    digest: FileDigest,
  ): Promise<void> {
    try {
      if (!await this.#flush(destination, times)) return;
      // One record at a time, each only after its own flush returned.
      const record = this.#recording.then(() => {
        if (this.#failure === undefined && !this.#disposed) return this.#onDurable(item, digest);
      });
      this.#recording = record.catch(() => {});
      await record;
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#unflushedFiles--;
      this.#unflushedBytes -= size;
      for (const wake of this.#roomWaiters.splice(0)) wake();
    }
  }

  /** Flushes one copy, at most FLUSH_CONCURRENCY at once; false when it was not worth it. */
  async #flush(destination: string, times: FileTimes | undefined): Promise<boolean> {
    while (this.#flushing >= FLUSH_CONCURRENCY) {
      await new Promise<void>((resolve) => this.#flushWaiters.push(resolve));
    }
    this.#flushing++;
    try {
      // After a failure, or once the caller has given up, nothing more is flushed or recorded.
      if (this.#failure !== undefined || this.#disposed) return false;
      await flushFile(destination, times);
      return true;
    } catch (error) {
      throw new FlushError(destination, error);
    } finally {
      this.#flushing--;
      this.#flushWaiters.shift()?.();
    }
  }

  /**
   * Once every `copy` has returned: waits until each copied file is flushed
   * and recorded, and rejects with the first failure. The copier takes no
   * more files afterwards.
   */
  async drain(): Promise<void> {
    this.#closed = true;
    await this.flushed();
  }

  /**
   * Once the `copy` calls under way have returned: waits until each file
   * copied so far is flushed and recorded, and rejects with the first
   * failure. More files may be copied afterwards.
   */
  async flushed(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    await this.#recording;
    this.#throwIfFailed();
  }

  /**
   * Leaves nothing running: after a failure, waits for the flushes under way
   * and records nothing more (an unrecorded copy is only copied again).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    this.#disposed = true;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    await this.#recording;
  }
}
