/**
 * SHA-256 of bytes already in memory (sidecars, folder markers, manifest
 * mirrors); files are hashed by streaming, in hash.ts.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The SHA-256 of `bytes`, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
