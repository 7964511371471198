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
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map(parseLine);
}

/**
 * The entries of a sidecar's bytes, one at a time, each line decoded on its
 * own: nothing handed out is a slice of the whole text (some 11 MB at
 * 100,000 files), which any entry kept would keep alive. The same entries
 * as {@linkcode parseSidecar} of the bytes decoded.
 *
 * @throws {Error} naming the line when a line is not `<hex>  <path>`.
 */
export function* sidecarEntries(bytes: Uint8Array): Generator<SidecarEntry> {
  // Each decode is a stream of its own: only the first line may drop a byte-order mark.
  const first = new TextDecoder();
  const rest = new TextDecoder("utf-8", { ignoreBOM: true });
  for (let start = 0, index = 0; start < bytes.length; index++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    yield parseLine((index === 0 ? first : rest).decode(bytes.subarray(start, end)), index);
    start = end + 1;
  }
}

/** Line `index` (from 0) of a sidecar as its entry. */
function parseLine(line: string, index: number): SidecarEntry {
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
  return { path, sha256Hex: match[1] ?? "" };
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
  const bytes = await readListBytes(dir, name);
  if (bytes === undefined) return undefined;
  return { bytes, entries: parsed(dir, name, () => parseSidecar(new TextDecoder().decode(bytes))) };
}

/**
 * Reads a sidecar of `dir` (`name`, the first revision's by default) as its
 * bytes, every line checked but no entry kept (for {@linkcode sidecarEntries});
 * undefined when there is none.
 *
 * @throws {Error} when it exists but cannot be read or parsed.
 */
export async function readSidecarBytes(
  dir: string,
  name = SIDECAR_NAME,
): Promise<Uint8Array | undefined> {
  const bytes = await readListBytes(dir, name);
  if (bytes !== undefined) parsed(dir, name, () => checkSidecar(bytes));
  return bytes;
}

/**
 * Reads every entry of a sidecar's bytes, keeping none.
 *
 * @throws {Error} naming the line when a line is not `<hex>  <path>`.
 */
export function checkSidecar(bytes: Uint8Array): void {
  for (const _entry of sidecarEntries(bytes));
}

async function readListBytes(dir: string, name: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(join(dir, name));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** `parse()`, its error naming the list's path. */
function parsed<T>(dir: string, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new Error(`${join(dir, name)}: ${(error as Error).message}`);
  }
}
