/**
 * SHA-256 of a file's bytes as they stream by: the full-file digest and,
 * for an S3 multipart upload, the raw digest of every `partSize` slice.
 * Pure computation; the reading lives in hash.ts.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** What hashing a file produced. */
export interface FileDigest {
  readonly size: number;
  readonly sha256Hex: string;
  /** Raw SHA-256 of each `partSize` slice, when a part size was given. */
  readonly partDigests?: readonly Uint8Array[];
}

/** Throws unless `partSize` is undefined or a positive whole number. */
export function checkPartSize(partSize: number | undefined): void {
  if (partSize !== undefined && (!Number.isInteger(partSize) || partSize <= 0)) {
    throw new RangeError(`part size must be a positive whole number, got ${partSize}`);
  }
}

/**
 * The raw SHA-256 of each `partSize` slice of a stream. Self-contained on
 * purpose (it refers to nothing but `createHash`): the part worker
 * (_part_worker.ts) runs this very class from its source text.
 */
export class PartDigests {
  readonly #partSize: number;
  readonly #digests: Uint8Array[] = [];
  #part: Hash | undefined;
  #fill = 0;

  constructor(partSize: number) {
    this.#partSize = partSize;
  }

  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      this.#part ??= createHash("sha256");
      const take = Math.min(chunk.length - offset, this.#partSize - this.#fill);
      this.#part.update(chunk.subarray(offset, offset + take));
      this.#fill += take;
      offset += take;
      if (this.#fill === this.#partSize) this.#close();
    }
  }

  #close(): void {
    if (this.#part === undefined) return;
    this.#digests.push(new Uint8Array(this.#part.digest()));
    this.#part = undefined;
    this.#fill = 0;
  }

  /** The digests, the last (short) part included; none for an empty stream. */
  finish(): Uint8Array[] {
    if (this.#fill > 0) this.#close();
    return this.#digests;
  }
}

/** Full-file digest plus, when `partSize` is given, the part digests, on this thread. */
export class PartHasher {
  readonly #full: Hash = createHash("sha256");
  readonly #parts: PartDigests | undefined;
  #size = 0;

  constructor(partSize: number | undefined) {
    checkPartSize(partSize);
    this.#parts = partSize === undefined ? undefined : new PartDigests(partSize);
  }

  update(chunk: Uint8Array): void {
    this.#full.update(chunk);
    this.#size += chunk.length;
    this.#parts?.update(chunk);
  }

  finish(): FileDigest {
    const sha256Hex = this.#full.digest("hex");
    if (this.#parts === undefined) return { size: this.#size, sha256Hex };
    return { size: this.#size, sha256Hex, partDigests: this.#parts.finish() };
  }
}
