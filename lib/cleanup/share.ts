/**
 * What cleanup reads and deletes on the share: the backup folders at
 * `<root>/<instrument>/<study>`, the files of one of them, and the
 * `.evicting` folders an eviction moves a backup into before deleting it.
 *
 * Why the move: a rename is atomic, so a study folder on the share is always
 * either a whole backup (which the gates can prove) or gone. If deleting
 * fails half-way (a permission error, the share dropping), the remains are
 * in `<root>/<instrument>/.evicting/<study>`, which only ever receives
 * backups that passed every gate, and the next run finishes deleting them —
 * without having to prove a half-deleted folder. The `.evicting` folder sits
 * beside the study so the rename never crosses file systems.
 *
 * Names starting with `.` are never backups (instrument and study names
 * start with a letter or digit) and are not listed: the share lock,
 * `.evicting`, TrueNAS' `.zfs` snapshot folder, Samba's `.recycle`.
 *
 * @module
 */
import * as nodePath from "node:path";
import type { PlatformPath } from "node:path";
import { type EntryKind, walk } from "../fs/mod.ts";
import { listName, readSidecar, readStoredSidecar, type SidecarEntry } from "../layout/mod.ts";
import { sha256Hex } from "../storage/mod.ts";
import type { ShareCopy } from "./gates.ts";
import type { ShareEntry } from "./plan.ts";

/** The folder beside the studies of an instrument that evictions move backups into. */
export const EVICTING_DIR = ".evicting";

function kindOf(entry: Deno.DirEntry): EntryKind {
  if (entry.isSymlink) return "symlink";
  if (entry.isDirectory) return "dir";
  if (entry.isFile) return "file";
  return "other";
}

async function sortedEntries(dir: string): Promise<Deno.DirEntry[]> {
  const entries = await Array.fromAsync(Deno.readDir(dir));
  return entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

const { dirname, join } = nodePath;

/** Whether `inner` is `outer` or lies inside it; `path` is the OS's path flavour (tests pass win32). */
export function isSameOrInside(
  inner: string,
  outer: string,
  path: PlatformPath = nodePath,
): boolean {
  const between = path.relative(outer, inner);
  return between === "" || (!path.isAbsolute(between) && between.split(path.sep)[0] !== "..");
}

/**
 * Every entry at `<root>/<instrument>/<name>`, except names starting with `.`
 * and whatever holds the manifest (`manifestRoot` or a folder containing it).
 * Files directly in the root are not listed; links there are not followed.
 */
export async function listShare(root: string, manifestRoot: string): Promise<ShareEntry[]> {
  const found: ShareEntry[] = [];
  for (const top of await sortedEntries(root)) {
    const instrumentPath = join(root, top.name);
    if (top.name.startsWith(".") || !top.isDirectory || top.isSymlink) continue;
    if (isSameOrInside(instrumentPath, manifestRoot)) continue;
    for (const entry of await sortedEntries(instrumentPath)) {
      const path = join(instrumentPath, entry.name);
      if (entry.name.startsWith(".") || isSameOrInside(manifestRoot, path)) continue;
      found.push({ instrument: top.name, name: entry.name, path, kind: kindOf(entry) });
    }
  }
  return found;
}

/**
 * Reads a backup folder: every file with its size, links and special files,
 * the file list of `revision` (a parse error becomes the message) with the
 * SHA-256 of its bytes, and what the lists of earlier revisions name.
 */
export async function readShareCopy(path: string, revision = 1): Promise<ShareCopy> {
  const files = new Map<string, number>();
  const others: string[] = [];
  for await (const entry of walk(path)) {
    if (entry.kind === "file") {
      files.set(entry.path, (await Deno.lstat(join(path, ...entry.path.split("/")))).size);
    } else if (entry.kind !== "dir") {
      others.push(entry.path);
    }
  }
  let sidecar: ShareCopy["sidecar"];
  let sidecarSha256: string | undefined;
  try {
    const stored = await readStoredSidecar(path, listName(revision));
    sidecar = stored?.entries;
    sidecarSha256 = stored === undefined ? undefined : sha256Hex(stored.bytes);
  } catch (error) {
    sidecar = (error as Error).message;
  }
  const earlier: SidecarEntry[] = [];
  for (let before = 1; before < revision; before++) {
    // An unreadable earlier list leaves its files unlisted, and the share gate refuses them.
    earlier.push(...await readSidecar(path, listName(before)).catch(() => undefined) ?? []);
  }
  return {
    files,
    others,
    sidecar,
    ...(sidecarSha256 === undefined ? {} : { sidecarSha256 }),
    earlier,
  };
}

/** Where an eviction moves the backup folder `folder` (`<instrument>/<study>`). */
export function evictingPath(folder: string, path: PlatformPath = nodePath): string {
  return path.join(path.dirname(folder), EVICTING_DIR, path.basename(folder));
}

/** Remains of an eviction that did not finish. */
export interface Leftover {
  readonly instrument: string;
  readonly name: string;
  /** Where it is: `<root>/<instrument>/.evicting/<name>`. */
  readonly path: string;
  /** Where the backup was: `<root>/<instrument>/<name>`. */
  readonly originalPath: string;
}

/** Every entry in the `.evicting` folders of the share. */
export async function listLeftovers(root: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const top of await sortedEntries(root)) {
    if (top.name.startsWith(".") || !top.isDirectory || top.isSymlink) continue;
    const evicting = join(root, top.name, EVICTING_DIR);
    let entries: Deno.DirEntry[];
    try {
      entries = await sortedEntries(evicting);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        continue;
      }
      throw error;
    }
    for (const entry of entries) {
      found.push({
        instrument: top.name,
        name: entry.name,
        path: join(evicting, entry.name),
        originalPath: join(root, top.name, entry.name),
      });
    }
  }
  return found;
}

/** Files and bytes under `path` (links count as files of their own size), never following links. */
export async function measureTree(path: string): Promise<{ files: number; bytes: number }> {
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return { files: 1, bytes: info.size };
  let files = 0;
  let bytes = 0;
  for await (const entry of walk(path)) {
    if (entry.kind === "dir") continue;
    files++;
    bytes += (await Deno.lstat(join(path, ...entry.path.split("/")))).size;
  }
  return { files, bytes };
}

/** What {@linkcode removeTree} did. */
export interface Removal {
  /** Files (and links) deleted. */
  readonly files: number;
  readonly bytes: number;
  /** Entries that could not be deleted, `path: error`; empty when everything is gone. */
  readonly errors: readonly string[];
  /** How many entries failed in all (errors keeps only the first few). */
  readonly failed: number;
}

const KEPT_ERRORS = 5;

/**
 * Deletes `path` and everything in it, files first, never following links.
 * Goes on past an entry it cannot delete, so as much as possible is freed,
 * and reports every failure instead of throwing.
 */
export async function removeTree(path: string): Promise<Removal> {
  const state = { files: 0, bytes: 0, errors: [] as string[], failed: 0 };
  const fail = (where: string, error: unknown) => {
    state.failed++;
    const message = (error as Error).message;
    // Deno's messages name the path already: "Permission denied (os error 13): remove '<path>'".
    const text = message.includes(where) ? message : `${where}: ${message}`;
    if (state.errors.length < KEPT_ERRORS) state.errors.push(text);
  };
  const removeEntry = async (entryPath: string): Promise<boolean> => {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(entryPath);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return true;
      fail(entryPath, error);
      return false;
    }
    if (info.isDirectory) {
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(entryPath));
      } catch (error) {
        fail(entryPath, error);
        return false;
      }
      let emptied = true;
      for (const entry of entries) {
        if (!await removeEntry(join(entryPath, entry.name))) emptied = false;
      }
      // A folder whose content could not all be deleted cannot be either: its failure is reported.
      if (!emptied) return false;
    }
    try {
      await Deno.remove(entryPath);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return true;
      fail(entryPath, error);
      return false;
    }
    if (!info.isDirectory) {
      state.files++;
      state.bytes += info.size;
    }
    return true;
  };
  await removeEntry(path);
  return state;
}

/** Removes `<instrument>/.evicting` when nothing is left in it; never throws. */
export async function removeEmptyEvictingDir(leftoverPath: string): Promise<void> {
  await Deno.remove(dirname(leftoverPath)).catch(() => {});
}
