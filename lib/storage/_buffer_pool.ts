/**
 * Reused read buffers, so streaming a hundred thousand files allocates (and
 * zeroes) a few chunk buffers once instead of two per file.
 *
 * @module
 */

/** Buffers of one size, handed out and taken back; at most `keep` wait idle. */
export class BufferPool {
  readonly #idle: ArrayBuffer[] = [];

  constructor(readonly bytes: number, readonly keep: number) {}

  /** A buffer of `bytes` bytes: an idle one, else a new one. */
  take(): Uint8Array {
    const idle = this.#idle.pop();
    return idle === undefined ? new Uint8Array(this.bytes) : new Uint8Array(idle);
  }

  /** Takes back the buffer under `view` (detached or foreign buffers are left to the GC). */
  give(view: Uint8Array): void {
    const buffer = view.buffer;
    if (
      buffer instanceof ArrayBuffer && buffer.byteLength === this.bytes &&
      this.#idle.length < this.keep && !this.#idle.includes(buffer)
    ) {
      this.#idle.push(buffer);
    }
  }
}
