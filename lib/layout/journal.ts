/**
 * The copy journal: one line per file copied to the share, written beside
 * the copy as soon as that file is on the share. A run that was interrupted
 * (a crash, a lost network) leaves it behind, and the next run keeps every
 * copy that the journal vouches for and that still hashes to the same digest,
 * instead of copying it again. It is removed once the backup is complete.
 *
 * @module
 */
import { join } from "node:path";
import { writeAll } from "../fs/mod.ts";

/** The journal's file name, in the backup's folder on the share. */
export const COPY_JOURNAL_NAME = ".fusion-toolkit-copied.jsonl";

/** A file the journal says was copied, and what its source was then. */
export interface CopiedFile {
  /** Relative, `/`-separated. */
  readonly path: string;
  readonly size: number;
  /** The source's modification time, ms. */
  readonly mtime: number;
  readonly sha256Hex: string;
}

/**
 * One line as written. (Lines of older versions also carried the S3 part
 * digests; they are ignored: a kept copy is read back, and its parts cut,
 * before it counts.)
 */
interface JournalLine {
  path: string;
  size: number;
  mtime: number;
  sha256: string;
}

function toLine(entry: CopiedFile): string {
  const line: JournalLine = {
    path: entry.path,
    size: entry.size,
    mtime: entry.mtime,
    sha256: entry.sha256Hex,
  };
  return `${JSON.stringify(line)}\n`;
}

function fromLine(text: string): CopiedFile | undefined {
  let line: JournalLine;
  try {
    line = JSON.parse(text);
  } catch {
    return undefined; // a line torn by the crash the journal exists for
  }
  if (
    typeof line?.path !== "string" || typeof line.size !== "number" ||
    typeof line.mtime !== "number" || typeof line.sha256 !== "string"
  ) {
    return undefined;
  }
  return { path: line.path, size: line.size, mtime: line.mtime, sha256Hex: line.sha256 };
}

/** The journal of `destination`, latest line per path; empty when there is none. */
export async function readCopyJournal(destination: string): Promise<Map<string, CopiedFile>> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(destination, COPY_JOURNAL_NAME));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
  const entries = new Map<string, CopiedFile>();
  for (const line of text.split("\n")) {
    const entry = line.trim() === "" ? undefined : fromLine(line);
    if (entry !== undefined) entries.set(entry.path, entry);
  }
  return entries;
}

/**
 * The journal open for appending while a copy runs: one handle for the
 * whole copy (on a share, opening the file for each line would cost a round
 * trip or two per file), one write per line. Lines are not flushed one by
 * one: a line lost in a crash only means that file is copied again. Close
 * it (`using`) when the copy ends.
 */
export class CopyJournal {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Opens the journal of `destination`, creating it when there is none. */
  static async open(destination: string): Promise<CopyJournal> {
    const file = await Deno.open(join(destination, COPY_JOURNAL_NAME), {
      append: true,
      create: true,
    });
    return new CopyJournal(file);
  }

  /** Records one copied file; one at a time. */
  async append(entry: CopiedFile): Promise<void> {
    await writeAll(this.#file, this.#encoder.encode(toLine(entry)));
  }

  [Symbol.dispose](): void {
    this.#file.close();
  }
}

/** Removes the journal of a completed backup. */
export async function removeCopyJournal(destination: string): Promise<void> {
  await Deno.remove(join(destination, COPY_JOURNAL_NAME)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}
