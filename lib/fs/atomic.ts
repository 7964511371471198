/**
 * Replacing a file so that a reader, or a crash, sees the old content or the
 * new one, never a mix.
 *
 * @module
 */
import { dirname } from "node:path";
import { writeAll } from "./_write.ts";

/**
 * Replaces `path` with `data` so that a reader (or a crash) sees either the
 * old content or the new, never a mix: write a temp file beside it, flush it
 * to disk, then rename it over the target. `mode` (POSIX permission bits,
 * ignored on Windows) is set when the temp file is created, so the content is
 * never readable with wider permissions, not even for a moment.
 */
export async function atomicWriteFile(
  path: string,
  data: Uint8Array | string,
  options: { mode?: number } = {},
): Promise<void> {
  await atomicWriteChunks(
    path,
    [typeof data === "string" ? new TextEncoder().encode(data) : data],
    options,
  );
}

/**
 * Replaces `path` as {@linkcode atomicWriteFile} does, with `chunks` written
 * one after another as they come: content too large to hold at once.
 */
export async function atomicWriteChunks(
  path: string,
  chunks: Iterable<Uint8Array>,
  options: { mode?: number } = {},
): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const file = await Deno.open(temp, {
      write: true,
      createNew: true,
      ...(options.mode === undefined ? {} : { mode: options.mode }),
    });
    try {
      for (const bytes of chunks) await writeAll(file, bytes);
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncParentDir(path);
}

/** Makes a rename durable on POSIX; Windows cannot open directories, and NTFS journals renames. */
async function syncParentDir(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const handle = await Deno.open(dirname(path), { read: true });
  try {
    await handle.syncData();
  } catch {
    // Some file systems (SMB mounts among them) refuse fsync on directories; the rename stands.
  } finally {
    handle.close();
  }
}
