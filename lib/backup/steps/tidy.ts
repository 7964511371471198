/**
 * Step: remove what unfinished revisions left in a backup's share folder
 * (files under `_revisions/<N>/`, their file list, the copy journal) once
 * the study turned out to equal its complete backup again, so no revision N
 * will follow. Nothing of a complete revision is touched: only revisions
 * after `complete` are looked at.
 *
 * @module
 */
import { join } from "node:path";
import { errorMessage } from "../../errors.ts";
import { COPY_JOURNAL_NAME, listRevision, REVISIONS_DIR } from "../../layout/mod.ts";
import type { StudyContext } from "../context.ts";

async function entries(dir: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Removes the remains of revisions after `complete` from `destination`; logs what it removed. */
export async function discardUnfinishedRevisions(
  context: StudyContext,
  studyName: string,
  destination: string,
  complete: number,
): Promise<void> {
  const removed: string[] = [];
  try {
    for (const entry of await entries(join(destination, REVISIONS_DIR))) {
      const revision = /^[1-9]\d*$/.test(entry.name) ? Number(entry.name) : undefined;
      if (revision === undefined || revision <= complete) continue;
      await Deno.remove(join(destination, REVISIONS_DIR, entry.name), { recursive: true });
      removed.push(`${REVISIONS_DIR}/${entry.name}`);
    }
    for (const entry of await entries(destination)) {
      const revision = entry.isFile ? listRevision(entry.name) : undefined;
      if (entry.name !== COPY_JOURNAL_NAME && (revision === undefined || revision <= complete)) {
        continue;
      }
      await Deno.remove(join(destination, entry.name));
      removed.push(entry.name);
    }
  } catch (error) {
    context.logger.warn(
      `${studyName}: could not remove what an unfinished revision left on the share: ` +
        `${errorMessage(error)}; it is not part of the backup, and goes when cleanup evicts it`,
    );
    return;
  }
  if (removed.length > 0) {
    context.logger.info(
      `${studyName}: removed what an unfinished revision left on the share (${removed.join(", ")})`,
    );
  }
}
