/**
 * Streaming SHA-256 of local and share files: copy-with-hash in one pass and
 * read-back hashing. Optionally also the digest of every fixed-size part, so
 * the S3 multipart upload can use the digests computed during the copy.
 * Memory stays at two chunk buffers whatever the file size.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { writeAll } from "../fs/mod.ts";

/** Bytes read or written per operation. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/** What hashing a file produced. */
export interface FileDigest {
  readonly size: number;
  readonly sha256Hex: string;
  /** Raw SHA-256 of each `partSize` slice, when a part size was given. */
  readonly partDigests?: readonly Uint8Array[];
}

/** Options of {@linkcode copyFileWithHash} and {@linkcode hashFile}. */
export interface HashOptions {
  /** Also digest each slice of this many bytes (the S3 part size). */
  readonly partSize?: number | undefined;
  /** Called with the bytes of each chunk as it is processed. */
  readonly onProgress?: ((bytes: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Full-file digest plus per-part digests cut at multiples of `partSize`. */
class PartHasher {
  readonly #full: Hash = createHash("sha256");
  readonly #partSize: number | undefined;
  readonly #parts: Uint8Array[] = [];
  #part: Hash | undefined;
  #partFill = 0;
  #size = 0;

  constructor(partSize: number | undefined) {
    if (partSize !== undefined && (!Number.isInteger(partSize) || partSize <= 0)) {
      throw new RangeError(`part size must be a positive whole number, got ${partSize}`);
    }
    this.#partSize = partSize;
  }

  update(chunk: Uint8Array): void {
    this.#full.update(chunk);
    this.#size += chunk.length;
    if (this.#partSize === undefined) return;
    let offset = 0;
    while (offset < chunk.length) {
      this.#part ??= createHash("sha256");
      const take = Math.min(chunk.length - offset, this.#partSize - this.#partFill);
      this.#part.update(chunk.subarray(offset, offset + take));
      this.#partFill += take;
      offset += take;
      if (this.#partFill === this.#partSize) this.#closePart();
    }
  }

  #closePart(): void {
    if (this.#part === undefined) return;
    this.#parts.push(new Uint8Array(this.#part.digest()));
    this.#part = undefined;
    this.#partFill = 0;
  }

  finish(): FileDigest {
    const sha256Hex = this.#full.digest("hex");
    if (this.#partSize === undefined) return { size: this.#size, sha256Hex };
    if (this.#partFill > 0) this.#closePart();
    return { size: this.#size, sha256Hex, partDigests: this.#parts };
  }
}

/**
 * Reads `input` to its end in chunks, handing each to `consume` while the
 * next read is already under way (reads and writes overlap on the I/O
 * threads; hashing runs between them).
 */
async function pump(
  input: Deno.FsFile,
  size: number,
  consume: (chunk: Uint8Array) => Promise<void> | void,
  signal: AbortSignal | undefined,
): Promise<void> {
  // Most files of a study are small tiles: buffers sized to the file (one byte more, so the
  // first read can already meet the end) save allocating and zeroing 8 MiB per file.
  const bufferBytes = Math.min(CHUNK_BYTES, Math.max(size + 1, 4096));
  const buffers = [new Uint8Array(bufferBytes), new Uint8Array(bufferBytes)];
  let current = 0;
  let pending = input.read(buffers[0]!);
  while (true) {
    const count = await pending;
    if (count === null) return;
    signal?.throwIfAborted();
    const chunk = buffers[current]!.subarray(0, count);
    current ^= 1;
    pending = input.read(buffers[current]!);
    try {
      await consume(chunk);
    } catch (error) {
      await pending.catch(() => {});
      throw error;
    }
  }
}

/**
 * Copies `source` to `destination` (created or truncated), hashing the bytes
 * in the same pass, and flushes the copy to disk. The copy keeps the
 * source's modification time.
 */
export async function copyFileWithHash(
  source: string,
  destination: string,
  options: HashOptions = {},
): Promise<FileDigest> {
  const hasher = new PartHasher(options.partSize);
  const input = await Deno.open(source, { read: true });
  try {
    const info = await input.stat();
    const output = await Deno.open(destination, { write: true, create: true, truncate: true });
    try {
      await pump(input, info.size, async (chunk) => {
        // The write runs on an I/O thread while this thread hashes the same (unchanging) bytes.
        const writing = writeAll(output, chunk);
        hasher.update(chunk);
        await writing;
        options.onProgress?.(chunk.length);
      }, options.signal);
      await output.syncData();
    } finally {
      output.close();
    }
    if (info.mtime !== null) {
      // Keeping the mtime helps a later restore; a share that refuses it loses nothing.
      await Deno.utime(destination, info.atime ?? info.mtime, info.mtime).catch(() => {});
    }
  } finally {
    input.close();
  }
  return hasher.finish();
}

/** Hashes a file by reading it to its end. */
export async function hashFile(path: string, options: HashOptions = {}): Promise<FileDigest> {
  const hasher = new PartHasher(options.partSize);
  const input = await Deno.open(path, { read: true });
  try {
    await pump(input, (await input.stat()).size, (chunk) => {
      hasher.update(chunk);
      options.onProgress?.(chunk.length);
    }, options.signal);
  } finally {
    input.close();
  }
  return hasher.finish();
}
