/**
 * Downloading an object into a file, hashed in the same pass.
 *
 * - Bodies come through a fetch-based client and are read with a BYOB reader
 *   straight into buffers of our own, reused for the whole download. (The
 *   SDK's default node:http handler hands over a fresh 64 KiB Buffer per
 *   chunk; under Deno that garbage piled up to ~180 MiB of RSS for one
 *   stream before V8 collected it.)
 * - An object up to `[s3].multipart_threshold_mb` is one GET, streamed.
 * - A larger one is read in ranges, `[s3].concurrency` at a time: the first
 *   range from the plain GET that revealed its size and ETag, the rest with
 *   ranged GETs carrying `If-Match: <that ETag>`, so an object replaced in
 *   the meantime fails the download instead of splicing two versions. Ranges
 *   are written and hashed strictly in order; each ranged GET is retried on
 *   its own.
 * - Memory is bounded whatever the size: ranges in flight or waiting for
 *   their turn hold a permit of the store ({@linkcode chooseRangeSize} keeps
 *   them within {@linkcode RANGE_BUFFER_BUDGET} together), plus one range or
 *   write buffer per download.
 *
 * @module
 */
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash, type Hash } from "node:crypto";
import { errorMessage, OperationFailedError } from "../errors.ts";
import { writeAll } from "../fs/mod.ts";
import { MiB, type PartRange, planParts } from "./_parts.ts";
import type { Permits, Release } from "../concurrency/mod.ts";
import { archivedObject, isArchivedError, isMissing } from "./_s3_read.ts";
import type { S3Session } from "./_s3_session.ts";
import { httpStatus, s3ErrorCode } from "./_s3_errors.ts";

/** What a download wrote. */
export interface DownloadResult {
  readonly size: number;
  /** SHA-256 of the bytes written, lowercase hex. */
  readonly sha256Hex: string;
  /** The object's metadata `sha256`, if any. */
  readonly metadataSha256: string | undefined;
}

/** Options of {@linkcode downloadFile}. */
export interface DownloadOptions {
  /**
   * Bytes written so far (in order). A failed attempt of a streamed object
   * starts again at 0; a failed range is fetched again without going back.
   */
  readonly onProgress?: ((bytesDone: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What {@linkcode downloadFile} needs from the store (see s3.ts). */
export interface DownloadSession extends S3Session {
  /** The client for GetObject bodies: fetch-based, so they can be read into our own buffers. */
  readonly downloadClient: S3Client;
  /** Objects larger than this are read in ranges. */
  readonly rangedAboveBytes: number;
  /** Bytes of one range (see {@linkcode chooseRangeSize}). */
  readonly rangeBytes: number;
  /** Ranged GETs in flight or waiting for their turn, across all downloads of the store. */
  readonly rangePermits: Permits;
  /** A request that sends nothing for this long (ms) is abandoned and retried (`[s3]`'s idle timeout). */
  readonly idleTimeoutMs: number;
}

/** The largest range: S3's advice for ranged GETs is 8-16 MB. */
export const MAX_RANGE_BYTES = 8 * MiB;
/** Ranges holding a permit together stay within this (see {@linkcode chooseRangeSize}). */
export const RANGE_BUFFER_BUDGET = 64 * MiB;
/** Bytes gathered before one write of a streamed object. */
const WRITE_BUFFER_BYTES = 4 * MiB;

/**
 * The range size for `concurrency` ranges at once: the part size (so ranges
 * line up with the upload's parts), at most
 * {@linkcode MAX_RANGE_BYTES}, and small enough that `concurrency` ranges
 * fit {@linkcode RANGE_BUFFER_BUDGET} (at least 1 MiB). Pure.
 */
export function chooseRangeSize(partSizeBytes: number, concurrency: number): number {
  const share = Math.floor(RANGE_BUFFER_BUDGET / Math.max(1, concurrency) / MiB) * MiB;
  return Math.min(partSizeBytes, MAX_RANGE_BYTES, Math.max(MiB, share));
}

/**
 * Ends a request that has been silent for too long: the node client's
 * socket timeout, for fetch. Before the answer it aborts the request; once
 * the body is being read it also cancels the body's reader, because an
 * abort does not reliably reach a body under way (the fetch follows our
 * signal through its Request object, which may already be collected: a
 * stalled range was seen to wait forever). The caller's signal is forwarded
 * by a listener, for the same reason.
 */
class Watchdog {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  readonly #outer: AbortSignal | undefined;
  readonly #forward = () => this.#controller.abort(this.#outer?.reason);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #error: Error | undefined;
  #reader: ReadableStreamBYOBReader | undefined;

  constructor(timeoutMs: number, outer: AbortSignal | undefined) {
    this.#timeoutMs = timeoutMs;
    this.#outer = outer;
    if (outer?.aborted) this.#forward();
    else outer?.addEventListener("abort", this.#forward, { once: true });
    this.kick();
  }

  /** Aborts the request: when the watchdog fires, or the caller's signal does. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The body being read: cancelled too when the watchdog fires. */
  watch(reader: ReadableStreamBYOBReader): void {
    this.#reader = reader;
  }

  /** Whether it fired; its error is then the request's real failure. */
  get fired(): boolean {
    return this.#error !== undefined;
  }

  get error(): Error | undefined {
    return this.#error;
  }

  /** Something arrived: the silence starts again. */
  kick(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      // "TimeoutError" is a name _s3_errors.ts retries.
      this.#error = Object.assign(new Error(`S3 sent nothing for ${this.#timeoutMs / 1000} s`), {
        name: "TimeoutError",
      });
      this.#controller.abort(this.#error);
      this.#reader?.cancel(this.#error).catch(() => {});
    }, this.#timeoutMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#outer?.removeEventListener("abort", this.#forward);
  }
}

/** A body that ended before its length: a dropped connection, retried like one. */
function truncatedBody(expected: number, got: number): Error {
  return Object.assign(
    new Error(`the response body ended after ${got} of ${expected} bytes`),
    { code: "ERR_STREAM_PREMATURE_CLOSE" },
  );
}

function byobReader(body: unknown): ReadableStreamBYOBReader {
  if (body instanceof ReadableStream) return body.getReader({ mode: "byob" });
  if (body instanceof Blob) return body.stream().getReader({ mode: "byob" });
  // No body at all: an empty object.
  return new Blob([]).stream().getReader({ mode: "byob" });
}

/** Bytes read into a buffer; `memory` is the buffer, whole, to read into next. */
interface Filled {
  readonly memory: Uint8Array<ArrayBuffer>;
  readonly filled: number;
  /** The body ended. */
  readonly done: boolean;
}

/**
 * Reads until `length` bytes are in `memory` or the body ends. The reads
 * land in `memory` itself (BYOB transfers it and hands it back), so nothing
 * is allocated per chunk. `memory` must span its whole ArrayBuffer; after a
 * failed read it is detached (empty).
 */
async function readInto(
  reader: ReadableStreamBYOBReader,
  memory: Uint8Array<ArrayBuffer>,
  length: number,
  watchdog: Watchdog,
): Promise<Filled> {
  let current = memory;
  let filled = 0;
  while (filled < length) {
    watchdog.kick();
    const { value, done } = await reader.read(current.subarray(filled, length));
    if (value === undefined) throw truncatedBody(length, filled);
    current = new Uint8Array(value.buffer);
    if (done) return { memory: current, filled, done: true };
    filled += value.byteLength;
  }
  return { memory: current, filled, done: false };
}

/** Hashes and writes bytes in the order they are given; reports progress. */
class HashingWriter {
  readonly #path: string;
  readonly #file: Deno.FsFile;
  readonly #hash: Hash = createHash("sha256");
  readonly #onProgress: ((bytesDone: number) => void) | undefined;
  #size = 0;

  constructor(
    path: string,
    file: Deno.FsFile,
    onProgress: ((bytesDone: number) => void) | undefined,
  ) {
    this.#path = path;
    this.#file = file;
    this.#onProgress = onProgress;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.#hash.update(bytes);
    try {
      await writeAll(this.#file, bytes);
    } catch (error) {
      throw cannotWrite(this.#path, error);
    }
    this.#size += bytes.byteLength;
    this.#onProgress?.(this.#size);
  }

  /** Flushes the file to disk. */
  async finish(): Promise<{ size: number; sha256Hex: string }> {
    try {
      await this.#file.syncData();
    } catch (error) {
      throw cannotWrite(this.#path, error);
    }
    return { size: this.#size, sha256Hex: this.#hash.digest("hex") };
  }
}

function cannotWrite(path: string, error: unknown): OperationFailedError {
  return new OperationFailedError(`cannot write ${path}: ${errorMessage(error)}`, {
    cause: error,
  });
}

function changedWhileDownloading(
  session: S3Session,
  key: string,
  etag: string,
): OperationFailedError {
  return new OperationFailedError(
    `s3://${session.bucket}/${key} changed while it was being downloaded (its ETag is no ` +
      `longer ${etag}): nothing was spliced; download it again`,
  );
}

/**
 * Downloads an object into `path` (created or truncated), hashing the bytes
 * as they are written, and flushes the file to disk. Small objects are one
 * streamed GET, retried from the start when an attempt fails; large ones are
 * read in concurrent ranges (see the module doc).
 *
 * @returns undefined when the object does not exist (or disappeared mid-way).
 * @throws {S3StorageError} when S3 cannot be asked; {OperationFailedError}
 *   when the object is archived and not restored, changed during the
 *   download, or `path` cannot be written.
 */
export async function downloadFile(
  session: DownloadSession,
  key: string,
  path: string,
  options: DownloadOptions = {},
): Promise<DownloadResult | undefined> {
  try {
    return await session.send(
      "GetObject",
      key,
      (requestOptions) => downloadAttempt(session, key, path, options, requestOptions.abortSignal),
      options.signal,
    );
  } catch (error) {
    if (isMissing(error)) return undefined;
    if (isArchivedError(error)) throw archivedObject(session, key);
    throw error;
  }
}

async function downloadAttempt(
  session: DownloadSession,
  key: string,
  path: string,
  options: DownloadOptions,
  signal: AbortSignal | undefined,
): Promise<DownloadResult> {
  return await withObjectBody(
    session,
    { Bucket: session.bucket, Key: key },
    signal,
    async (got, reader, watchdog) => {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, { write: true, create: true, truncate: true });
      } catch (error) {
        throw cannotWrite(path, error);
      }
      try {
        const writer = new HashingWriter(path, file, options.onProgress);
        const size = got.ContentLength;
        const etag = got.ETag;
        if (
          size !== undefined && etag !== undefined &&
          size > Math.max(session.rangedAboveBytes, session.rangeBytes)
        ) {
          await readRanges(session, key, { size, etag }, { reader, watchdog }, writer, signal);
        } else {
          await streamAll(reader, writer, size, watchdog);
        }
        const written = await writer.finish();
        return { ...written, metadataSha256: got.Metadata?.["sha256"] };
      } finally {
        file.close();
      }
    },
  );
}

/**
 * Sends a GetObject through the download client and hands its body to `use`
 * as a BYOB reader, cancelled afterwards (which drops the connection when
 * the body was not read to its end). A request silent for too long fails
 * with the watchdog's TimeoutError.
 */
async function withObjectBody<T>(
  session: DownloadSession,
  input: GetObjectCommandInput,
  signal: AbortSignal | undefined,
  use: (
    got: GetObjectCommandOutput,
    reader: ReadableStreamBYOBReader,
    watchdog: Watchdog,
  ) => Promise<T>,
): Promise<T> {
  const watchdog = new Watchdog(session.idleTimeoutMs, signal);
  try {
    const got = await session.downloadClient.send(new GetObjectCommand(input), {
      abortSignal: watchdog.signal,
    });
    const reader = byobReader(got.Body);
    watchdog.watch(reader);
    try {
      return await use(got, reader, watchdog);
    } finally {
      await reader.cancel().catch(() => {});
    }
  } catch (error) {
    throw watchdog.fired ? watchdog.error : error;
  } finally {
    watchdog.stop();
  }
}

/** Streams a whole body through `writer`, one buffer at a time. */
async function streamAll(
  reader: ReadableStreamBYOBReader,
  writer: HashingWriter,
  size: number | undefined,
  watchdog: Watchdog,
): Promise<void> {
  // Most objects of a study are small tiles: a buffer sized to the object spares the memory.
  const capacity = Math.min(WRITE_BUFFER_BYTES, Math.max(size ?? WRITE_BUFFER_BYTES, 1));
  let memory = new Uint8Array(capacity);
  for (;;) {
    const read = await readInto(reader, memory, capacity, watchdog);
    if (read.filled > 0) await writer.write(read.memory.subarray(0, read.filled));
    if (read.done) return;
    memory = read.memory;
  }
}

/** A ranged GET under way, with the permit it holds until its bytes are written. */
interface PendingRange {
  readonly bytes: Promise<Uint8Array<ArrayBuffer>>;
  readonly release: Release;
}

/**
 * Writes an object of `object.size` bytes range by range: range 0 from the
 * body of the first GET (`head`), then the rest from ranged GETs started as
 * permits allow, each awaited in order.
 */
async function readRanges(
  session: DownloadSession,
  key: string,
  object: { readonly size: number; readonly etag: string },
  head: { readonly reader: ReadableStreamBYOBReader; readonly watchdog: Watchdog },
  writer: HashingWriter,
  signal: AbortSignal | undefined,
): Promise<void> {
  const ranges = planParts(object.size, session.rangeBytes);
  const spare: Uint8Array<ArrayBuffer>[] = [];
  const buffer = () => spare.pop() ?? new Uint8Array(session.rangeBytes);
  const stop = new AbortController();
  const rangeSignal = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  const pending = new Map<number, PendingRange>();
  let nextToStart = 1;
  const start = (index: number, release: Release) => {
    const range = ranges[index] as PartRange;
    const bytes = fetchRange(session, key, object, range, buffer(), rangeSignal);
    // Awaited in turn; a failure before then must not count as unhandled.
    bytes.catch(() => {});
    pending.set(index, { bytes, release });
    nextToStart = index + 1;
  };
  const startWhilePermitted = () => {
    while (nextToStart < ranges.length) {
      const release = session.rangePermits.tryAcquire();
      if (release === undefined) return;
      start(nextToStart, release);
    }
  };
  try {
    startWhilePermitted();
    const first = ranges[0] as PartRange;
    const read = await readInto(head.reader, buffer(), first.size, head.watchdog);
    if (read.filled < first.size) throw truncatedBody(first.size, read.filled);
    // The rest of this body is fetched by the ranged GETs.
    await head.reader.cancel().catch(() => {});
    head.watchdog.stop();
    await writer.write(read.memory.subarray(0, first.size));
    spare.push(read.memory);
    for (let index = 1; index < ranges.length; index++) {
      if (!pending.has(index)) start(index, await session.rangePermits.acquire(rangeSignal));
      startWhilePermitted();
      const range = pending.get(index) as PendingRange;
      const bytes = await range.bytes;
      await writer.write(bytes);
      pending.delete(index);
      range.release();
      spare.push(new Uint8Array(bytes.buffer));
    }
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled([...pending.values()].map((range) => range.bytes));
    for (const range of pending.values()) range.release();
    throw error;
  }
}

/** One ranged GET (retried on its own), read whole into `memory`. */
function fetchRange(
  session: DownloadSession,
  key: string,
  object: { readonly size: number; readonly etag: string },
  range: PartRange,
  memory: Uint8Array<ArrayBuffer>,
  signal: AbortSignal,
): Promise<Uint8Array<ArrayBuffer>> {
  const end = range.start + range.size - 1;
  const expectedRange = `bytes ${range.start}-${end}/${object.size}`;
  const capacity = memory.length;
  let target = memory;
  return session.send("GetObject", key, async (requestOptions) => {
    // A failed read leaves the buffer detached.
    if (target.length === 0) target = new Uint8Array(capacity);
    const input = {
      Bucket: session.bucket,
      Key: key,
      Range: `bytes=${range.start}-${end}`,
      IfMatch: object.etag,
    };
    try {
      return await withObjectBody(
        session,
        input,
        requestOptions.abortSignal,
        async (got, reader, watchdog) => {
          // If-Match already guards this; an endpoint that ignores it is caught here.
          if (got.ETag !== object.etag) throw changedWhileDownloading(session, key, object.etag);
          if (got.ContentRange !== expectedRange) {
            const answer = got.ContentRange ?? "the whole object";
            throw new OperationFailedError(
              `S3 answered the range ${expectedRange} of s3://${session.bucket}/${key} with ` +
                `${answer}: the endpoint does not support ranged GETs`,
            );
          }
          const read = await readInto(reader, target, range.size, watchdog);
          target = read.memory;
          if (read.filled < range.size) throw truncatedBody(range.size, read.filled);
          return read.memory.subarray(0, range.size);
        },
      );
    } catch (error) {
      if (s3ErrorCode(error) === "PreconditionFailed" || httpStatus(error) === 412) {
        throw changedWhileDownloading(session, key, object.etag);
      }
      throw error;
    }
  }, signal);
}
