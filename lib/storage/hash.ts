/**
 * Streaming SHA-256 of local and share files: read-back hashing, hashing a
 * source while the kernel copies it, and copy-with-hash through memory in
 * one pass. Optionally also the digest of every fixed-size part, so the S3
 * multipart upload can use the digests of the share copy's read-back
 * ({@linkcode FileHasher} cuts them on a second core).
 *
 * Memory stays flat in the number and size of files: a small file is read
 * in one operation into a buffer of its own size (one operation instead of
 * five is what makes 100,000 small files fast), a larger one streams through
 * a few reused 4 MiB buffers.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { writeAll } from "../fs/mod.ts";
import { BufferPool } from "./_buffer_pool.ts";
import { checkPartSize, type FileDigest, PartHasher } from "./_digest.ts";
import { PartWorker } from "./_part_worker.ts";

export type { FileDigest } from "./_digest.ts";

/** Bytes read or written per operation when streaming. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Files up to this size are read (and written) in one operation each. */
export const ONE_READ_BYTES = 1024 * 1024;
/** Part digests go to the worker for files of two chunks or more (below, messages cost more). */
export const WORKER_MIN_BYTES = 2 * CHUNK_BYTES;

/** The chunk buffers of every stream in this process (two per stream, two more with a worker). */
export const CHUNKS = new BufferPool(CHUNK_BYTES, 8);

/** Options of {@linkcode hashFile} and {@linkcode copyFileWithHash}. */
export interface HashOptions {
  /** Also digest each slice of this many bytes (the S3 part size). */
  readonly partSize?: number | undefined;
  /**
   * The size the caller expects (from a listing or a stat): a file this
   * small is then read in one operation. The digest reports what was read.
   */
  readonly sizeHint?: number | undefined;
  /** Called with the bytes of each chunk as it is processed. */
  readonly onProgress?: ((bytes: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reads `input` to its end in pool buffers, handing each chunk to `consume`
 * while the next read is already under way (the read runs on an I/O thread
 * while this one hashes). `consume` owns the chunk's buffer and gives it
 * back to {@linkcode CHUNKS} when done.
 */
async function pump(
  input: Deno.FsFile,
  consume: (chunk: Uint8Array) => Promise<void> | void,
  signal: AbortSignal | undefined,
): Promise<void> {
  let buffer = CHUNKS.take();
  let pending = input.read(buffer);
  while (true) {
    const count = await pending;
    if (count === null) {
      CHUNKS.give(buffer);
      return;
    }
    signal?.throwIfAborted();
    const chunk = buffer.subarray(0, count);
    buffer = CHUNKS.take();
    pending = input.read(buffer);
    try {
      await consume(chunk);
    } catch (error) {
      await pending.catch(() => {});
      throw error;
    }
  }
}

/** Where one file's chunks go as they are read: the hashers and the progress callback. */
interface Digesting {
  /** This thread's share of hashing `chunk`. */
  hash(chunk: Uint8Array): void;
  /** Hands the chunk's buffer on: to the part worker, else back to the pool. */
  release(chunk: Uint8Array): Promise<void> | void;
  finish(): Promise<FileDigest> | FileDigest;
  /** Forgets the digests after a failed read. */
  cancel(): void;
}

/**
 * The full-file digest on this thread and, for a large file with parts
 * and a `worker`, the part digests on the worker's thread, fed the same
 * chunks; otherwise both digests on this thread.
 */
function digesting(
  size: number | undefined,
  options: HashOptions,
  worker: PartWorker | undefined,
): Digesting {
  checkPartSize(options.partSize);
  const { partSize, onProgress } = options;
  if (worker !== undefined && partSize !== undefined && (size ?? 0) >= WORKER_MIN_BYTES) {
    const full = createHash("sha256");
    const parts = worker.start(partSize);
    let read = 0;
    return {
      hash: (chunk) => {
        full.update(chunk);
        read += chunk.length;
        onProgress?.(chunk.length);
      },
      release: (chunk) => parts.push(chunk),
      finish: async () => ({
        size: read,
        sha256Hex: full.digest("hex"),
        partDigests: await parts.finish(),
      }),
      cancel: () => parts.cancel(),
    };
  }
  const hasher = new PartHasher(partSize);
  return {
    hash: (chunk) => {
      hasher.update(chunk);
      onProgress?.(chunk.length);
    },
    release: (chunk) => CHUNKS.give(chunk),
    finish: () => hasher.finish(),
    cancel: () => {},
  };
}

/** The digest of `bytes` read whole (a small file). */
function digestWhole(bytes: Uint8Array, options: HashOptions): FileDigest {
  checkPartSize(options.partSize);
  const hasher = new PartHasher(options.partSize);
  hasher.update(bytes);
  options.onProgress?.(bytes.length);
  return hasher.finish();
}

/**
 * Hashes `path` by reading it to its end; `worker`, when given, takes the
 * part digests of a large file.
 */
export async function digestFile(
  path: string,
  options: HashOptions,
  worker?: PartWorker,
): Promise<FileDigest> {
  const { sizeHint, signal } = options;
  if (sizeHint !== undefined && sizeHint <= ONE_READ_BYTES) {
    const bytes = await Deno.readFile(path, signal === undefined ? {} : { signal });
    signal?.throwIfAborted();
    return digestWhole(bytes, options);
  }
  const sink = digesting(sizeHint, options, worker);
  try {
    using input = await Deno.open(path, { read: true });
    await pump(input, (chunk) => {
      sink.hash(chunk);
      return sink.release(chunk);
    }, signal);
    return await sink.finish();
  } catch (error) {
    sink.cancel();
    throw error;
  }
}

/** Hashes a file by reading it to its end. */
export function hashFile(path: string, options: HashOptions = {}): Promise<FileDigest> {
  return digestFile(path, options);
}

/**
 * Hashes files as {@linkcode hashFile} does, but a large file's S3 part
 * digests are computed by a worker on a second core from the same read, so
 * the full digest and the part digests together take the time of one. Any
 * number of files at once. Dispose of it (`using`): an idle worker keeps the
 * process alive.
 */
export class FileHasher {
  readonly #worker = new PartWorker(CHUNKS);

  /** The digest of `path`; with `partSize`, each part's too. */
  hash(path: string, options: HashOptions = {}): Promise<FileDigest> {
    return digestFile(path, options, this.#worker);
  }

  [Symbol.dispose](): void {
    this.#worker.terminate();
  }
}

/**
 * Copies `source` to `destination` (created or truncated) through memory,
 * reading each byte once and hashing it in the same pass; does not flush.
 * The caller keeps the modification time.
 */
export async function copyThroughMemory(
  source: string,
  destination: string,
  options: HashOptions,
  worker?: PartWorker,
): Promise<FileDigest> {
  const { sizeHint, signal } = options;
  if (sizeHint !== undefined && sizeHint <= ONE_READ_BYTES) {
    const bytes = await Deno.readFile(source, signal === undefined ? {} : { signal });
    signal?.throwIfAborted();
    // The write runs on an I/O thread while this thread hashes the same (unchanging) bytes.
    const writing = Deno.writeFile(destination, bytes);
    try {
      return digestWhole(bytes, options);
    } finally {
      await writing;
    }
  }
  const sink = digesting(sizeHint, options, worker);
  try {
    using input = await Deno.open(source, { read: true });
    using output = await Deno.open(destination, { write: true, create: true, truncate: true });
    await pump(input, async (chunk) => {
      // The write runs on an I/O thread while this thread hashes the same (unchanging) bytes;
      // only then may the buffer move on to the part worker.
      const writing = writeAll(output, chunk);
      sink.hash(chunk);
      await writing;
      await sink.release(chunk);
    }, signal);
    return await sink.finish();
  } catch (error) {
    sink.cancel();
    throw error;
  }
}

/** The times a copy takes over from its source. */
export interface FileTimes {
  readonly atime: Date;
  readonly mtime: Date;
}

/** The times of the source `info` describes, when it has a modification time. */
export function timesOf(info: Deno.FileInfo): FileTimes | undefined {
  return info.mtime === null ? undefined : { atime: info.atime ?? info.mtime, mtime: info.mtime };
}

/**
 * Flushes `path`'s data to its disk (on a share: until the server says it is
 * stored), first giving it `times` when given, through the same handle (one
 * open, not two: on a share each is a round trip). A share that refuses the
 * times loses nothing.
 */
export async function flushFile(path: string, times?: FileTimes): Promise<void> {
  // Write access: Windows flushes (FlushFileBuffers) only through a handle that may write.
  using file = await Deno.open(path, { write: true });
  if (times !== undefined) await file.utime(times.atime, times.mtime).catch(() => {});
  await file.syncData();
}

/**
 * Copies `source` to `destination` (created or truncated), hashing the
 * bytes in the same pass, and flushes the copy to disk. The copy keeps the
 * source's modification time. It reads the source once, through memory:
 * restore copies from the share, where a second reader (a kernel copy
 * beside the hashing) would fetch every byte twice over the network. The
 * backup's many-file copy to the share is {@linkcode ShareCopier}.
 */
export async function copyFileWithHash(
  source: string,
  destination: string,
  options: HashOptions = {},
): Promise<FileDigest> {
  const info = await Deno.stat(source);
  const digest = await copyThroughMemory(source, destination, {
    ...options,
    sizeHint: options.sizeHint ?? info.size,
  });
  await flushFile(destination, timesOf(info));
  return digest;
}
