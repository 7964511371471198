/**
 * Byte ranges of a file, hashed or streamed as a request body, without ever
 * holding the range in memory.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { OperationFailedError } from "../errors.ts";

/** Read size for hashing and for request bodies. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The raw SHA-256 of `length` bytes of `path` from `start`.
 *
 * @throws {OperationFailedError} when the file is shorter than the range (it changed since it was measured).
 */
export async function sha256OfRange(
  path: string,
  start: number,
  length: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  await file.seek(start, Deno.SeekMode.Start);
  const buffer = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(length, 1)));
  let remaining = length;
  while (remaining > 0) {
    signal?.throwIfAborted();
    const read = await file.read(buffer.subarray(0, Math.min(buffer.length, remaining)));
    if (read === null) {
      throw new OperationFailedError(
        `${path} ended ${remaining} bytes early: it changed while being uploaded; run the backup again`,
      );
    }
    hash.update(buffer.subarray(0, read));
    remaining -= read;
  }
  return new Uint8Array(hash.digest());
}

/**
 * A stream of `length` bytes of `path` from `start` (length > 0), for a
 * request body with a known Content-Length. The caller destroys it when the
 * request is over, whatever happened, so the file is closed.
 */
export function rangeStream(path: string, start: number, length: number): ReadStream {
  return createReadStream(path, { start, end: start + length - 1, highWaterMark: CHUNK_BYTES });
}

/** Destroys a body stream and waits until its file is closed. */
export async function closeStream(stream: ReadStream): Promise<void> {
  if (stream.closed) return;
  const closed = new Promise<void>((resolve) => stream.once("close", () => resolve()));
  stream.destroy();
  await closed;
}
