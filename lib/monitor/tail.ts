/**
 * The tail of Fusion.log: every `poll_seconds`, read what the instrument
 * appended, hand each new error block to `deliver` (which emails it), and
 * save the position, context and dedup map so that a restart neither
 * re-sends nor loses anything.
 *
 * - The file is followed by its identity (see identity.ts), as `tail -F`
 *   does: it stays open between passes, and each pass checks that the log
 *   path still names it. Deno opens files for reading with full sharing on
 *   Windows (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE), so the
 *   instrument can still write to it and rename (rotate) it.
 * - It is read and parsed in chunks: memory stays flat however big the log.
 * - Only complete lines are parsed: a last line without its line ending
 *   waits for the next pass. A line longer than {@linkcode MAX_LINE_BYTES} is cut.
 * - The last error block is held until the next entry starts or the file
 *   stays unchanged for one poll (its stack trace may still be coming).
 * - Rotation by rename: when the path names another file, or none, the old
 *   file is still read to its end, lines written to it after the rename
 *   included, until it stays unchanged for one poll (at most
 *   `rotationGraceSeconds`; while the path names nothing, until that
 *   grace ends); only then is the new file read, from its start. A
 *   restart that finds another file at the path looks for the old one
 *   beside it by its identity and finishes it first.
 * - A file shorter than the position, or whose first bytes changed, was
 *   truncated (copy-truncate rotation) or replaced in place: it is read
 *   from the start (the old content's pending block is sent first).
 * - A missing file is waited for; a warning (which `toolkit_error` emails)
 *   comes only once it has been missing for `rotationGraceSeconds`, longer
 *   than the gap of a rotation. Other read errors are warnings at once,
 *   once per distinct error, and the next poll tries again.
 * - On the very first start (no state) the log already there is read for
 *   its sample and cycle, and its errors are history: not emailed.
 * - An error that was emailed less than `sent_keep_days` ago is logged but
 *   not emailed again.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log/mod.ts";
import { blockTitle, describeContext } from "./alert.ts";
import { dedupKey, pruneSent, type SentTimes, sentWithin } from "./dedup.ts";
import { detectEncoding, lastLineEnd } from "./encoding.ts";
import {
  type FileIdentity,
  findRenamedFile,
  holdsPosition,
  identityOf,
  sameIdentity,
} from "./identity.ts";
import { BlockParser, type ErrorBlock, type MonitorPatterns, type ParserState } from "./parser.ts";
import { type MonitorState, readMonitorState, writeMonitorState } from "./state.ts";

/** Bytes read at a time (each read is a trip to Deno's I/O threads: not too many). */
export const READ_BYTES = 1024 * 1024;
/**
 * Bytes decoded and parsed at a time: small enough that each chunk of text
 * is a young object V8 frees at once. A 1 GiB catch-up then stays near
 * 65 MiB of memory, where 1 MiB of text at a time reached 100 MiB.
 */
export const PARSE_BYTES = 64 * 1024;
/** The longest line kept whole; a longer one is cut into pieces of this size. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Bytes of the file's start remembered to notice that it was replaced. */
export const HEAD_BYTES = 64;
/** During a long catch-up the state is saved at least this often. */
const SAVE_EVERY_MS = 5_000;
/** How often `run` logs a debug line with its position and counts. */
const REPORT_EVERY_MS = 60_000;

/** What a tail needs. */
export interface LogTailOptions {
  readonly logPath: string;
  readonly patterns: MonitorPatterns;
  readonly pollSeconds: number;
  readonly sentKeepDays: number;
  /**
   * How long a rotation may take: the log may be missing this long before a
   * warning, and a renamed log is followed this long at most for lines still
   * written to it (`[monitor] rotation_grace_seconds`).
   */
  readonly rotationGraceSeconds: number;
  /** The state file, `<config dir>/state/monitor.json`. */
  readonly stateFile: string;
  readonly logger: Logger;
  /** Emails one block; resolves true when it went out (it is then remembered for dedup). */
  readonly deliver: (block: ErrorBlock) => Promise<boolean>;
  readonly clock?: () => Date;
}

/** Counts since the tail was opened. */
export interface TailStats {
  /** Bytes of the followed file read and parsed (the saved position). */
  readonly offset: number;
  /** New error blocks found (history not counted). */
  readonly found: number;
  /** Blocks `deliver` sent. */
  readonly emailed: number;
  /** Blocks not emailed because the same error was emailed within `sent_keep_days`. */
  readonly repeated: number;
  /** Blocks that were in the log before the first start. */
  readonly history: number;
}

/** Where the tail is in the file: what is saved with a block that was emailed. */
interface Position {
  readonly offset: number;
  readonly parser: ParserState;
}

/** What the log path named when a pass began. */
type AtPath =
  | { readonly kind: "file"; readonly identity: FileIdentity | undefined }
  | { readonly kind: "missing" }
  | { readonly kind: "unusable"; readonly problem: string };

type PassResult = "read" | "missing" | "unreadable";

/** A log read error worth a warning and a retry, not a crash. */
class LogUnreadable extends Error {}

async function io<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new LogUnreadable(`${what}: ${errorMessage(error)}`, { cause: error });
  }
}

function startsAlike(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Follows one log file. See the module documentation. */
export class LogTail {
  readonly #options: LogTailOptions;
  readonly #logger: Logger;
  readonly #clock: () => Date;
  readonly #name: string;
  readonly #graceMs: number;
  readonly #buffer = new Uint8Array(MAX_LINE_BYTES + READ_BYTES);
  readonly #parser: BlockParser;
  /** The followed file, open between passes while its identity is known. */
  #file: Deno.FsFile | undefined;
  /** The followed file's identity: the file the position belongs to. */
  #identity: FileIdentity | undefined;
  #offset: number;
  #head: Uint8Array;
  /** Undefined until the first pass of a first start decides it. */
  #historyEnd: number | undefined;
  #sent: SentTimes;
  #dirty = false;
  #savedAt = 0;
  #lastSize: number | undefined;
  /** When the path was first seen not naming the followed file. */
  #rotatedAt: number | undefined;
  /** When the path was first seen naming nothing, in this run of missing passes. */
  #missingSince: number | undefined;
  #warnedMissing = false;
  #problem: string | undefined;
  #historyReported = 0;
  #stats = { found: 0, emailed: 0, repeated: 0, history: 0 };

  /**
   * Opens a tail, restoring the saved state. A damaged state file is logged
   * as a warning and treated as a first start. Call {@linkcode close} (or
   * let {@linkcode run} end) to release the log file.
   *
   * @throws {Deno.errors.PermissionDenied} when the state file exists and cannot be read.
   */
  static async open(options: LogTailOptions): Promise<LogTail> {
    const reading = await readMonitorState(options.stateFile);
    if (reading.problem !== undefined) options.logger.warn(reading.problem);
    return new LogTail(options, reading.state);
  }

  private constructor(options: LogTailOptions, saved: MonitorState | undefined) {
    this.#options = options;
    this.#logger = options.logger;
    this.#clock = options.clock ?? (() => new Date());
    this.#name = basename(options.logPath);
    this.#graceMs = options.rotationGraceSeconds * 1000;
    this.#sent = new Map(saved?.sent ?? []);
    const same = saved !== undefined && saved.logPath === options.logPath;
    if (saved !== undefined && !same) {
      this.#logger.info(
        `the monitor state was for ${saved.logPath}; ${options.logPath} is read as a first start`,
      );
    }
    this.#identity = same ? saved.identity : undefined;
    this.#offset = same ? saved.offset : 0;
    this.#head = same ? saved.head : new Uint8Array(0);
    this.#historyEnd = same ? saved.historyEnd : undefined;
    this.#parser = new BlockParser(options.patterns, same ? saved.parser : undefined);
  }

  /** Counts since the tail was opened. */
  get stats(): TailStats {
    return { offset: this.#offset, ...this.#stats };
  }

  /**
   * Polls every `pollSeconds` until `signal` aborts, then saves the state
   * and closes the log file.
   * A pass in progress stops between two chunks, at a consistent point.
   *
   * @throws errors other than reading the log (writing the state, a bug): the caller reports the crash.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { logPath, pollSeconds, stateFile } = this.#options;
    this.#logger.info(
      `monitor tail: following ${logPath}, checking every ${pollSeconds} s; state in ${stateFile}`,
    );
    try {
      let reportedAt = Date.now();
      while (!signal.aborted) {
        await this.poll(signal);
        if (Date.now() - reportedAt >= REPORT_EVERY_MS) {
          reportedAt = Date.now();
          const { offset, found, emailed, repeated } = this.stats;
          this.#logger.debug(
            `monitor tail: at byte ${offset} of ${logPath}; since start ${found} error block(s) ` +
              `found, ${emailed} emailed, ${repeated} repeated`,
          );
        }
        await sleep(pollSeconds * 1000, signal);
      }
      if (this.#dirty) await this.#save();
    } finally {
      this.close();
    }
  }

  /** Closes the followed file; a later {@linkcode poll} opens it again. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * One pass: reads what was appended, handles the blocks that ended, ends a
   * pending block when the file stayed unchanged since the last pass (or is
   * gone), and saves the state if it changed. The followed file stays open.
   *
   * @throws errors other than reading the log; see {@linkcode run}.
   */
  async poll(signal?: AbortSignal): Promise<void> {
    const offsetBefore = this.#offset;
    const sizeBefore = this.#lastSize;
    const result = await this.#pass(signal);
    const quiet = result === "read" && this.#offset === offsetBefore &&
      this.#lastSize === sizeBefore;
    if ((quiet || result === "missing") && this.#parser.hasPending && signal?.aborted !== true) {
      const position = this.#position();
      const block = this.#parser.flush();
      this.#dirty = true;
      if (block !== undefined) await this.#handle(block, position);
    }
    this.#reportHistory();
    if (this.#dirty) await this.#save();
  }

  async #pass(signal: AbortSignal | undefined): Promise<PassResult> {
    const atPath = await this.#lookAtPath();
    this.#noteMissing(atPath.kind === "missing");
    if (this.#file === undefined) {
      const result = await this.#follow(atPath);
      if (result !== "read") return result;
    }
    const file = this.#file as Deno.FsFile;
    const offsetBefore = this.#offset;
    const sizeBefore = this.#lastSize;
    try {
      const info = await io(`cannot read ${this.#options.logPath}`, () => file.stat());
      await this.#opened(file, info.size);
      await this.#readNew(file, signal);
      this.#lastSize = info.size;
      if (atPath.kind !== "unusable") this.#problem = undefined;
      const unchanged = this.#offset === offsetBefore && info.size === sizeBefore;
      return await this.#checkRotation(atPath, unchanged, signal);
    } catch (error) {
      if (!(error instanceof LogUnreadable)) throw error;
      this.close();
      this.#lastSize = undefined;
      this.#unreadable(error.message);
      return "unreadable";
    }
  }

  /** What the log path names now. */
  async #lookAtPath(): Promise<AtPath> {
    const { logPath } = this.#options;
    try {
      const info = await Deno.stat(logPath);
      if (!info.isFile) {
        return { kind: "unusable", problem: `${logPath} is not a file; check [monitor] log_path` };
      }
      return { kind: "file", identity: identityOf(info) };
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
      return { kind: "unusable", problem: `cannot open ${logPath}: ${errorMessage(error)}` };
    }
  }

  /** Keeps the time the log went missing; warns once it has been missing for the grace. */
  #noteMissing(missing: boolean): void {
    const { logPath, pollSeconds } = this.#options;
    if (!missing) {
      if (this.#warnedMissing) this.#logger.info(`${logPath} is there now; reading it`);
      this.#missingSince = undefined;
      this.#warnedMissing = false;
      return;
    }
    const now = this.#clock().getTime();
    if (this.#missingSince === undefined) {
      this.#missingSince = now;
      if (this.#graceMs > 0) {
        this.#logger.info(
          `${logPath} does not exist right now (a rotation?); waiting for it, with a warning ` +
            `if it is still missing after ${this.#options.rotationGraceSeconds} s`,
        );
      }
    }
    if (!this.#warnedMissing && now - this.#missingSince >= this.#graceMs) {
      this.#warnedMissing = true;
      this.#logger.warn(
        `${logPath} does not exist, for longer than [monitor] rotation_grace_seconds = ` +
          `${this.#options.rotationGraceSeconds} (a rotation takes less); waiting for it ` +
          `(checking every ${pollSeconds} s); check [monitor] log_path if this lasts`,
      );
    }
  }

  /**
   * With no file open: opens the file the position belongs to. That is the
   * file at the path, unless the path names another file than the saved
   * identity: then the old one, renamed beside it, is finished first.
   */
  async #follow(atPath: AtPath): Promise<PassResult> {
    const { logPath } = this.#options;
    if (atPath.kind !== "file") {
      this.#lastSize = undefined;
      if (atPath.kind === "unusable") {
        this.#unreadable(atPath.problem);
        return "unreadable";
      }
      if (this.#historyEnd === undefined) this.#historyEnd = 0;
      return "missing";
    }
    let file: Deno.FsFile;
    let identity: FileIdentity | undefined;
    try {
      file = await Deno.open(logPath, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      this.#lastSize = undefined;
      // Gone since it was looked at: the next pass sees what replaced it.
      if (error instanceof Deno.errors.NotFound) return "missing";
      this.#unreadable(`cannot open ${logPath}: ${errorMessage(error)}`);
      return "unreadable";
    }
    try {
      identity = identityOf(await file.stat());
    } catch (error) {
      file.close();
      if (error instanceof Deno.errors.NotCapable) throw error;
      this.#unreadable(`cannot read ${logPath}: ${errorMessage(error)}`);
      return "unreadable";
    }
    const previous = this.#identity;
    if (previous !== undefined && identity !== undefined && !sameIdentity(previous, identity)) {
      const renamed = await findRenamedFile(
        logPath,
        previous,
        (old, info) => holdsPosition(old, info, this.#offset, this.#head),
      );
      if (renamed !== undefined) {
        file.close();
        this.#file = renamed.file;
        this.#rotatedAt = this.#clock().getTime();
        this.#lastSize = undefined;
        this.#logger.info(
          `${logPath} is another file than the one read before: reading the rest of that one, ` +
            `now ${renamed.path}, from byte ${this.#offset} first`,
        );
        return "read";
      }
      await this.#restart(`the file read before is no longer in ${dirname(logPath)}`);
    }
    this.#file = file;
    if (!sameIdentity(identity, this.#identity)) {
      this.#identity = identity;
      this.#dirty = true;
    }
    return "read";
  }

  /**
   * After the followed file was read: if the path no longer names it, it was
   * rotated. It is finished (read to its end, its last block sent, closed)
   * once it stayed unchanged for a pass or the grace is over, and the new
   * file at the path is then followed from its start.
   */
  async #checkRotation(
    atPath: AtPath,
    unchanged: boolean,
    signal: AbortSignal | undefined,
  ): Promise<PassResult> {
    const { logPath } = this.#options;
    if (this.#identity === undefined) {
      // No identity to follow the file by: opened by its name at every pass instead.
      this.close();
      return "read";
    }
    if (atPath.kind === "file" && sameIdentity(atPath.identity, this.#identity)) {
      this.#rotatedAt = undefined;
      return "read";
    }
    const now = this.#clock().getTime();
    if (this.#rotatedAt === undefined) {
      this.#rotatedAt = now;
      this.#logger.info(
        `${logPath} was rotated (renamed, replaced or removed); reading what is still written ` +
          "to the old file before anything else",
      );
    }
    const over = now - this.#rotatedAt >= this.#graceMs;
    if (atPath.kind === "unusable") {
      // Not knowing what the path names, keep the position: it may be this file again.
      this.#unreadable(atPath.problem);
      if (unchanged || over) await this.#finish(signal);
      return "unreadable";
    }
    if (atPath.kind === "missing" ? !over : !unchanged && !over) return "read";
    if (!(await this.#finish(signal))) return "read";
    await this.#restart(`the old file was read to its end, ${this.#offset} bytes`);
    this.#identity = undefined;
    // A new file is read in this same pass; a missing one is waited for.
    return atPath.kind === "file" ? await this.#pass(signal) : "missing";
  }

  /**
   * Reads the rotated file to its very end (a last line without its line
   * ending included), sends its pending block and closes it. False when
   * stopped first: the file stays open and the position in it is saved.
   */
  async #finish(signal: AbortSignal | undefined): Promise<boolean> {
    const file = this.#file;
    if (file === undefined) return true;
    await this.#readNew(file, signal, { final: true });
    if (signal?.aborted === true) return false;
    const position = this.#position();
    const block = this.#parser.flush();
    this.#dirty = true;
    if (block !== undefined) await this.#handle(block, position);
    this.close();
    this.#rotatedAt = undefined;
    this.#lastSize = undefined;
    return true;
  }

  /** Checks the file is the one the position belongs to; learns its first bytes. */
  async #opened(file: Deno.FsFile, size: number): Promise<void> {
    const { logPath } = this.#options;
    if (this.#historyEnd === undefined) {
      this.#historyEnd = size;
      this.#dirty = true;
      if (size > 0) {
        this.#logger.info(
          `first start: reading the ${size} bytes already in ${logPath} for the sample and ` +
            "cycle; errors in them are not emailed",
        );
      }
    }
    const head = await this.#readHead(file, Math.min(size, HEAD_BYTES));
    if (size < this.#offset) {
      await this.#restart(`it is shorter (${size} bytes) than the position read (${this.#offset})`);
    } else if (!startsAlike(head, this.#head)) {
      await this.#restart("its first bytes changed");
    }
    if (head.length > this.#head.length) {
      this.#head = head;
      this.#dirty = true;
    }
    const encoding = detectEncoding(this.#head);
    if (this.#offset < encoding.bomLength) this.#offset = encoding.bomLength;
  }

  /**
   * The file was rotated, truncated or replaced: end its pending block and
   * read from the start (of the same file when it was truncated or replaced
   * in place; of the one at the path when it was rotated).
   */
  async #restart(reason: string): Promise<void> {
    this.#logger.info(
      `${this.#options.logPath} was rotated or replaced (${reason}); reading it from the start`,
    );
    const position = this.#position();
    const block = this.#parser.flush();
    if (block !== undefined) await this.#handle(block, position);
    this.#offset = 0;
    this.#head = new Uint8Array(0);
    this.#historyEnd = 0;
    this.#dirty = true;
  }

  async #readHead(file: Deno.FsFile, length: number): Promise<Uint8Array> {
    const head = new Uint8Array(length);
    await io(`cannot read ${this.#options.logPath}`, () => file.seek(0, Deno.SeekMode.Start));
    let filled = 0;
    while (filled < length) {
      const count = await io(
        `cannot read ${this.#options.logPath}`,
        () => file.read(head.subarray(filled)),
      );
      if (count === null) break;
      filled += count;
    }
    return head.subarray(0, filled);
  }

  /**
   * Reads from the position to the end, parsing complete lines chunk by
   * chunk; with `final`, the bytes after the last line ending are a line too.
   */
  async #readNew(
    file: Deno.FsFile,
    signal: AbortSignal | undefined,
    options: { readonly final?: boolean } = {},
  ): Promise<void> {
    const what = `cannot read ${this.#options.logPath}`;
    const encoding = detectEncoding(this.#head);
    await io(what, () => file.seek(this.#offset, Deno.SeekMode.Start));
    // Kept in the text: the file's own mark was skipped, so U+FEFF here is content.
    const decoder = new TextDecoder(encoding.label, { ignoreBOM: true });
    const buffer = this.#buffer;
    const stopped = () => signal?.aborted === true;
    let carried = 0;
    while (!stopped()) {
      const historyEnd = this.#historyEnd ?? 0;
      let want = Math.min(READ_BYTES, buffer.length - carried);
      if (this.#offset < historyEnd) {
        const historyLeft = historyEnd - this.#offset - carried;
        // A line straddling the first start's size: it and all after it are new.
        if (historyLeft <= 0) this.#historyEnd = this.#offset;
        else want = Math.min(want, historyLeft);
      }
      const count = await io(what, () => file.read(buffer.subarray(carried, carried + want)));
      if (count === null) {
        if (options.final === true && carried > 0) {
          await this.#consume(`${decoder.decode(buffer.subarray(0, carried))}\n`, carried);
        }
        break;
      }
      const filled = carried + count;
      let start = 0;
      while (start < filled && !stopped()) {
        const rest = buffer.subarray(start, filled);
        // The complete lines among the next PARSE_BYTES, or the one longer line there.
        let end = lastLineEnd(rest, Math.min(PARSE_BYTES, rest.length), encoding) ||
          lastLineEnd(rest, rest.length, encoding);
        const cut = end === 0 && rest.length >= MAX_LINE_BYTES;
        if (cut) end = MAX_LINE_BYTES;
        if (end === 0) break;
        const text = decoder.decode(rest.subarray(0, end), { stream: true });
        await this.#consume(cut ? `${text}\n` : text, end);
        start += end;
      }
      buffer.copyWithin(0, start, filled);
      carried = filled - start;
    }
  }
  async #consume(text: string, bytes: number): Promise<void> {
    const position = this.#position();
    const history = this.#offset < (this.#historyEnd ?? 0);
    const blocks = this.#parser.feed(text, { history });
    this.#offset += bytes;
    this.#dirty = true;
    for (const block of blocks) await this.#handle(block, position);
    if (history) this.#reportHistory();
    if (this.#clock().getTime() - this.#savedAt >= SAVE_EVERY_MS) await this.#save();
  }

  /** Logs, and emails unless it is history or a repeat; after an email, saves `position`. */
  async #handle(block: ErrorBlock, position: Position): Promise<void> {
    const { lineStart } = this.#options.patterns;
    const found = `${this.#name} error${describeContext(block)}: ${blockTitle(block, lineStart)}`;
    if (block.history) {
      this.#stats.history++;
      this.#logger.debug(`${found}; not emailed: in the log before the monitor first started`);
      return;
    }
    this.#stats.found++;
    const key = dedupKey(block, lineStart);
    const now = this.#clock().getTime();
    const keepDays = this.#options.sentKeepDays;
    const last = sentWithin(this.#sent, key, now, keepDays);
    if (last !== undefined) {
      this.#stats.repeated++;
      this.#logger.info(
        `${found}; not emailed again: the same error was emailed ${
          new Date(last).toISOString()
        } ([monitor] sent_keep_days = ${keepDays})`,
      );
      return;
    }
    this.#logger.info(found);
    if (!(await this.#options.deliver(block))) return;
    this.#stats.emailed++;
    this.#sent.set(key, now);
    // Saved with the position before the block: a crash now re-reads it, and dedup skips it.
    await this.#save(position);
  }

  #reportHistory(): void {
    const count = this.#stats.history;
    if (count === this.#historyReported || this.#offset < (this.#historyEnd ?? 0)) return;
    // A history block still pending would be counted later: report once, with it.
    if (this.#parser.state.pending?.history === true) return;
    this.#historyReported = count;
    this.#logger.info(
      `${count} error block(s) already in ${this.#options.logPath} before the monitor's first ` +
        "start were not emailed (-v lists them)",
    );
  }

  #unreadable(message: string): void {
    if (message === this.#problem) return;
    this.#problem = message;
    this.#logger.warn(`${message}; trying again every ${this.#options.pollSeconds} s`);
  }

  #position(): Position {
    return { offset: this.#offset, parser: this.#parser.state };
  }

  /** Saves the current position, or `position` (before an emailed block) with the dedup map. */
  async #save(position?: Position): Promise<void> {
    const saved = position ?? this.#position();
    const now = this.#clock();
    this.#sent = pruneSent(this.#sent, now.getTime(), this.#options.sentKeepDays);
    await writeMonitorState(this.#options.stateFile, {
      logPath: this.#options.logPath,
      identity: this.#identity,
      offset: saved.offset,
      head: this.#head,
      historyEnd: this.#historyEnd ?? 0,
      parser: saved.parser,
      sent: this.#sent,
    }, now);
    this.#savedAt = now.getTime();
    if (position === undefined) this.#dirty = false;
  }
}
