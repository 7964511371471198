/**
 * `_checksums.sha256`, the proof stored with every backup: GNU coreutils
 * format (`<hex>  <relative/path>`, `/`-separated, sorted), so running
 * `sha256sum -c _checksums.sha256` inside the study folder checks it.
 *
 * @module
 */
import { join } from "node:path";
import { atomicWriteFile, compareNames } from "../fs/mod.ts";

/** The sidecar's file name, in the backup's top folder. */
export const SIDECAR_NAME = "_checksums.sha256";

/** One file of a backup and its digest. */
export interface SidecarEntry {
  /** Relative to the study folder, `/`-separated. */
  readonly path: string;
  readonly sha256Hex: string;
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/**
 * The sidecar text for `entries`, sorted by path. Names holding `\`, a
 * newline or a carriage return are escaped the way `sha256sum` does: the line
 * starts with `\` and those characters are written `\\`, `\n` and `\r`.
 */
export function formatSidecar(entries: readonly SidecarEntry[]): string {
  return [...entries]
    .sort((a, b) => compareNames(a.path, b.path))
    .map(sidecarLine)
    .join("");
}

/** Characters of text per chunk {@linkcode sidecarChunks} hands over. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The sidecar text of the files at `paths`, as {@linkcode formatSidecar}
 * writes it, in chunks of some 64 KB, each line's digest asked of
 * `digestOf` as it is written: for 100,000 files the text (some 11 MB) and
 * an entry per file are never in memory at once.
 */
export function* sidecarChunks(
  paths: readonly string[],
  digestOf: (path: string) => string,
): Generator<string> {
  let chunk = "";
  for (const path of [...paths].sort(compareNames)) {
    chunk += sidecarLine({ path, sha256Hex: digestOf(path) });
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk !== "") yield chunk;
}

function sidecarLine({ path, sha256Hex }: SidecarEntry): string {
  if (!HEX_DIGEST.test(sha256Hex)) throw new Error(`not a SHA-256 hex digest: ${sha256Hex}`);
  if (!/[\\\n\r]/.test(path)) return `${sha256Hex}  ${path}\n`;
  const escaped = path.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\r", "\\r");
  return `\\${sha256Hex}  ${escaped}\n`;
}

/**
 * Reads sidecar text back into entries.
 *
 * @throws {Error} naming the line when a line is not `<hex>  <path>`.
 */
export function parseSidecar(text: string): SidecarEntry[] {
  const entries: SidecarEntry[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, index) => {
    const escaped = line.startsWith("\\");
    const body = escaped ? line.slice(1) : line;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(body);
    if (match === null) throw new Error(`line ${index + 1} is not '<sha256>  <path>'`);
    let path = match[2] ?? "";
    if (escaped) {
      path = path.replace(
        /\\(.)/g,
        (_, char: string) => char === "n" ? "\n" : char === "r" ? "\r" : char,
      );
    }
    entries.push({ path, sha256Hex: match[1] ?? "" });
  });
  return entries;
}

/** Writes a sidecar (`name`, the first revision's by default) into `dir` atomically. */
export async function writeSidecar(
  dir: string,
  entries: readonly SidecarEntry[],
  name = SIDECAR_NAME,
): Promise<void> {
  await atomicWriteFile(join(dir, name), formatSidecar(entries));
}

/** A sidecar as stored: its bytes (whose SHA-256 the manifest records) and its entries. */
export interface StoredSidecar {
  readonly bytes: Uint8Array;
  readonly entries: SidecarEntry[];
}

/**
 * Reads a sidecar of `dir` (`name`, the first revision's by default);
 * undefined when there is none.
 *
 * @throws {Error} when it exists but cannot be parsed.
 */
export async function readSidecar(
  dir: string,
  name = SIDECAR_NAME,
): Promise<SidecarEntry[] | undefined> {
  return (await readStoredSidecar(dir, name))?.entries;
}

/**
 * Reads a sidecar of `dir` (`name`, the first revision's by default) with its
 * bytes, in one read; undefined when there is none.
 *
 * @throws {Error} when it exists but cannot be read or parsed.
 */
export async function readStoredSidecar(
  dir: string,
  name = SIDECAR_NAME,
): Promise<StoredSidecar | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(dir, name));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return { bytes, entries: parseSidecar(new TextDecoder().decode(bytes)) };
  } catch (error) {
    throw new Error(`${join(dir, name)}: ${(error as Error).message}`);
  }
}
