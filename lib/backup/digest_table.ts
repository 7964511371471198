/**
 * SHA-256 digests by number, 32 bytes each in one growing buffer: a study
 * can hold 100,000 files, and a 64-character hex string per file costs some
 * 80 bytes of heap, more once it sits in an object or a map. Pure.
 *
 * @module
 */
import { Buffer } from "node:buffer";

const SHA256_BYTES = 32;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** The value of a lower-case hex digit's character code (checked by HEX_DIGEST first). */
function nibble(code: number): number {
  return code <= 57 ? code - 48 : code - 87;
}

/** Byte `byte` of the digest that the 64-digit hex `sha256Hex` spells. */
function digestByte(sha256Hex: string, byte: number): number {
  return nibble(sha256Hex.charCodeAt(2 * byte)) << 4 | nibble(sha256Hex.charCodeAt(2 * byte + 1));
}

/** Digests at places 0, 1, 2, …; it grows past the number it was made for. */
export class DigestTable {
  #bytes: Uint8Array;

  /** `count`: how many digests it will probably hold. */
  constructor(count: number) {
    this.#bytes = new Uint8Array(Math.max(count, 1) * SHA256_BYTES);
  }

  /**
   * Puts the lower-case hex digest `sha256Hex` at `index`.
   *
   * @throws {Error} when it is no SHA-256 hex digest.
   */
  set(index: number, sha256Hex: string): void {
    if (!HEX_DIGEST.test(sha256Hex)) throw new Error(`not a SHA-256: ${sha256Hex}`);
    while ((index + 1) * SHA256_BYTES > this.#bytes.length) {
      const bytes = new Uint8Array(this.#bytes.length * 2);
      bytes.set(this.#bytes);
      this.#bytes = bytes;
    }
    // Decoded in place: no buffer per digest.
    for (let byte = 0, at = index * SHA256_BYTES; byte < SHA256_BYTES; byte++, at++) {
      this.#bytes[at] = digestByte(sha256Hex, byte);
    }
  }

  /** The digest at `index`, lower-case hex (all zeros where none was set). */
  hex(index: number): string {
    return Buffer.from(this.#bytes.buffer, index * SHA256_BYTES, SHA256_BYTES).toString("hex");
  }

  /** Whether the digest at `index` is `sha256Hex` (compared in place, no string built). */
  matches(index: number, sha256Hex: string): boolean {
    if (!HEX_DIGEST.test(sha256Hex) || (index + 1) * SHA256_BYTES > this.#bytes.length) {
      return false;
    }
    for (let byte = 0, at = index * SHA256_BYTES; byte < SHA256_BYTES; byte++, at++) {
      if (this.#bytes[at] !== digestByte(sha256Hex, byte)) return false;
    }
    return true;
  }
}
