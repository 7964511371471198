/**
 * Test files with deterministic pseudo-random content, written in chunks,
 * and their digests computed independently of lib/storage.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

/** A file a test made, with what it hashed while writing it. */
export interface TestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256Hex: string;
}

const CHUNK = 1024 * 1024;

/** Fills `buffer` with xorshift32 output from `state`; returns the next state. */
function fill(buffer: Uint8Array, state: number): number {
  const words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >> 2);
  let x = state >>> 0 || 1;
  for (let index = 0; index < words.length; index++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[index] = x;
  }
  return x;
}

/** Writes `size` bytes of content determined by `seed` to `dir/name` (folders created). */
export async function makeFile(
  dir: string,
  name: string,
  size: number,
  seed = 1,
): Promise<TestFile> {
  const path = join(dir, name);
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const hash = createHash("sha256");
  const buffer = new Uint8Array(CHUNK);
  let state = seed;
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let written = 0; written < size;) {
    state = fill(buffer, state);
    const chunk = buffer.subarray(0, Math.min(CHUNK, size - written));
    hash.update(chunk);
    let offset = 0;
    while (offset < chunk.length) offset += await file.write(chunk.subarray(offset));
    written += chunk.length;
  }
  return { path, size, sha256Hex: hash.digest("hex") };
}

/** Raw SHA-256 of each `partSize` piece of a file, read whole (test files are small). */
export async function partDigests(path: string, partSize: number): Promise<Uint8Array[]> {
  const bytes = await Deno.readFile(path);
  const digests: Uint8Array[] = [];
  for (let start = 0; start < bytes.length || start === 0; start += partSize) {
    const part = bytes.subarray(start, start + partSize);
    digests.push(new Uint8Array(createHash("sha256").update(part).digest()));
    if (bytes.length === 0) break;
  }
  return digests;
}
