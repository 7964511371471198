/**
 * Writing a whole buffer: `FsFile.write` may write fewer bytes than asked.
 *
 * @module
 */

/** Writes every byte of `bytes` to `file`, looping over short writes. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
