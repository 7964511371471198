/**
 * What `monitor tail` remembers across restarts, in
 * `<config dir>/state/monitor.json`: which file was being read (its
 * identity: a rotated log is found again by it) and how far, the file's
 * first bytes (to notice a replaced file), the sample and cycle in effect,
 * the block that may still grow, and when each error was last emailed. One
 * file, written atomically, so the position and the dedup map always agree.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { atomicWriteFile } from "../fs/mod.ts";
import type { SentTimes } from "./dedup.ts";
import type { FileIdentity } from "./identity.ts";
import type { ErrorBlock, ParserState } from "./parser.ts";

/** Bumped when the file's meaning changes; another version is read as no state. */
const STATE_VERSION = 1;

/** The monitor's saved state. */
export interface MonitorState {
  /** The log the position belongs to; a different `log_path` starts afresh. */
  readonly logPath: string;
  /**
   * The file the position belongs to: the log, or the file it was renamed to
   * by a rotation not read to its end yet. Undefined before the file is
   * known, where the platform gives no identity, and in a state file written
   * before identities were kept (read as the file at `logPath`).
   */
  readonly identity?: FileIdentity | undefined;
  /** Bytes of the file read and parsed: always the end of a complete line. */
  readonly offset: number;
  /** The log's first bytes when it was read; other first bytes mean another file. */
  readonly head: Uint8Array;
  /** The log's size when the monitor first started: blocks before it are history, not emailed. */
  readonly historyEnd: number;
  readonly parser: ParserState;
  readonly sent: ReadonlyMap<string, number>;
}

/** The state file in the config folder's `state/`. */
export function monitorStatePath(configDir: string): string {
  return join(configDir, "state", "monitor.json");
}

/** What reading the state file found: a state, nothing (first start), or a damaged file. */
export interface StateReading {
  readonly state: MonitorState | undefined;
  /** Why the file was not used, when it exists but is damaged. */
  readonly problem?: string;
}

function bytesToBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function base64ToBytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function optionalText(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function identityFromJson(value: unknown): FileIdentity | undefined {
  if (value === null || value === undefined) return undefined;
  const { dev, ino } = value as Record<string, unknown>;
  // Not isCount: a Windows file index may be above 2^53, an integer all the same.
  const isId = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
  if (!isId(dev) || !isId(ino)) throw new Error("file is not a device and inode number");
  return { dev, ino };
}

function blockFromJson(value: unknown): ErrorBlock | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const raw = value as Record<string, unknown>;
  const lines = raw.lines;
  if (!Array.isArray(lines) || lines.length === 0 || lines.some((l) => typeof l !== "string")) {
    throw new Error("pending.lines is not a list of lines");
  }
  return {
    lines: lines as string[],
    omittedLines: isCount(raw.omitted_lines) ? raw.omitted_lines : 0,
    sample: optionalText(raw.sample),
    cycle: optionalText(raw.cycle),
    history: raw.history === true,
  };
}

function blockToJson(block: ErrorBlock | undefined) {
  if (block === undefined) return null;
  return {
    lines: block.lines,
    omitted_lines: block.omittedLines,
    sample: block.sample ?? null,
    cycle: block.cycle ?? null,
    history: block.history,
  };
}

function stateFromJson(document: Record<string, unknown>): MonitorState {
  const { log_path, file, offset, head, history_end, sent } = document;
  if (typeof log_path !== "string") throw new Error("log_path is missing");
  if (!isCount(offset)) throw new Error("offset is not a byte count");
  if (typeof head !== "string") throw new Error("head is missing");
  const times: SentTimes = new Map();
  if (typeof sent === "object" && sent !== null) {
    for (const [key, value] of Object.entries(sent)) {
      const time = typeof value === "string" ? Date.parse(value) : Number.NaN;
      if (!Number.isNaN(time)) times.set(key, time);
    }
  }
  return {
    logPath: log_path,
    identity: identityFromJson(file),
    offset,
    head: base64ToBytes(head),
    historyEnd: isCount(history_end) ? history_end : 0,
    parser: {
      sample: optionalText(document.sample),
      cycle: optionalText(document.cycle),
      pending: blockFromJson(document.pending),
    },
    sent: times,
  };
}

/**
 * Reads the state file. A missing file is no state; a damaged one (not
 * JSON, another version, a wrong field) is no state with a problem to log.
 *
 * @throws {Deno.errors.PermissionDenied} and other errors reading an existing file.
 */
export async function readMonitorState(file: string): Promise<StateReading> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { state: undefined };
    throw error;
  }
  try {
    const document = JSON.parse(text) as Record<string, unknown>;
    if (document.version !== STATE_VERSION) {
      throw new Error(`version ${JSON.stringify(document.version)} is not ${STATE_VERSION}`);
    }
    return { state: stateFromJson(document) };
  } catch (error) {
    return {
      state: undefined,
      problem: `the monitor state ${file} is damaged (${(error as Error).message}); ` +
        "starting afresh: errors already in the log are not emailed",
    };
  }
}

/**
 * Writes `state` to `file` atomically, creating `state/`.
 *
 * @throws {Deno.errors.PermissionDenied} and other errors when the folder or file cannot be written.
 */
export async function writeMonitorState(
  file: string,
  state: MonitorState,
  now: Date,
): Promise<void> {
  const document = {
    version: STATE_VERSION,
    saved_at: now.toISOString(),
    log_path: state.logPath,
    file: state.identity === undefined
      ? null
      : { dev: state.identity.dev, ino: state.identity.ino },
    offset: state.offset,
    head: bytesToBase64(state.head),
    history_end: state.historyEnd,
    sample: state.parser.sample ?? null,
    cycle: state.parser.cycle ?? null,
    pending: blockToJson(state.parser.pending),
    sent: Object.fromEntries(
      [...state.sent].map(([key, time]) => [key, new Date(time).toISOString()]),
    ),
  };
  await Deno.mkdir(dirname(file), { recursive: true });
  await atomicWriteFile(file, `${JSON.stringify(document, null, 2)}\n`);
}
