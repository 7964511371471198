/**
 * The share's free space, from the real file system: `statfs` (Deno's
 * `node:fs` implementation; `--allow-sys=statfs` and read access to the path).
 *
 * - Linux and macOS: `statfs(2)`; free is `f_bavail` (what this account may
 *   still write, without root's reserve), total is `f_blocks`, both times the
 *   block size.
 * - Windows: Deno canonicalises the path and asks `GetDiskFreeSpaceW` about
 *   its volume root, so an SMB share reports the server's figures (quota
 *   aware). That API counts clusters in 32 bits: a count of exactly
 *   0xFFFFFFFF means Windows capped it, and the figures are refused rather
 *   than trusted. The root of a UNC path must end with a backslash
 *   (`\\truenas\share\`); Deno only keeps that backslash when the path lies
 *   inside the share, which is why a path inside the share is asked about.
 *
 * @module
 */
import { join } from "node:path";
import { statfs } from "node:fs/promises";
import { OperationFailedError } from "../errors.ts";

/** Free and total bytes of a file system. */
export interface ShareSpace {
  /** Bytes this account may still write. */
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/** Reads the free space of the file system holding `root`; tests inject their own. */
export type SpaceReader = (root: string) => Promise<ShareSpace>;

/** The fields of a `StatFs` that matter here (bigint, as `statfs(path, { bigint: true })` gives). */
export interface StatfsFigures {
  readonly bsize: bigint;
  readonly blocks: bigint;
  readonly bavail: bigint;
}

/** What Windows' GetDiskFreeSpaceW writes when a cluster count does not fit in 32 bits. */
const CAPPED_CLUSTERS = 0xFFFF_FFFFn;

/**
 * Free and total bytes from `statfs` figures. Pure.
 *
 * @throws {OperationFailedError} when the figures cannot be trusted: no size
 * at all, more free than total, or (on Windows) a cluster count capped at 32 bits.
 */
export function spaceFromStatfs(
  figures: StatfsFigures,
  os: typeof Deno.build.os,
  path: string,
): ShareSpace {
  if (
    os === "windows" && (figures.blocks === CAPPED_CLUSTERS || figures.bavail === CAPPED_CLUSTERS)
  ) {
    throw new OperationFailedError(
      `Windows reports the size of the share at ${path} capped at 2^32 clusters, so its free ` +
        "space is not known and cleanup stops here. Ask the NAS administrator to report a larger " +
        "allocation unit for the share (Samba: 'block size')",
    );
  }
  const totalBytes = Number(figures.blocks * figures.bsize);
  const freeBytes = Number(figures.bavail * figures.bsize);
  if (totalBytes <= 0 || freeBytes < 0 || freeBytes > totalBytes) {
    throw new OperationFailedError(
      `the file system at ${path} reports ${freeBytes} bytes free of ${totalBytes}: ` +
        "its free space cannot be trusted; cleanup stops here",
    );
  }
  return { freeBytes, totalBytes };
}

/**
 * A path inside `root` (its first entry by name that is not a link: a link
 * may lead to another file system), or `root` itself when there is none.
 */
async function pathInside(root: string): Promise<string> {
  let first: string | undefined;
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isSymlink && (first === undefined || entry.name < first)) first = entry.name;
  }
  return first === undefined ? root : join(root, first);
}

/**
 * The real reader: `statfs` of the file system holding `root`.
 *
 * @throws {Deno.errors.NotFound} when `root` does not exist.
 * @throws {OperationFailedError} when the figures cannot be trusted (see {@linkcode spaceFromStatfs}).
 */
export const readShareSpace: SpaceReader = async (root) => {
  const figures = await statfs(await pathInside(root), { bigint: true });
  return spaceFromStatfs(figures, Deno.build.os, root);
};

/** `free / total` as a percentage. */
export function freePercent(space: ShareSpace): number {
  return space.totalBytes === 0 ? 0 : (space.freeBytes / space.totalBytes) * 100;
}
