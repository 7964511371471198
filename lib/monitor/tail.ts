/**
 * The tail of Fusion.log: every `poll_seconds`, read what the instrument
 * appended, hand each new error block to `deliver` (which emails it), and
 * save the position, context and dedup map so that a restart neither
 * re-sends nor loses anything.
 *
 * - The file is opened for each pass and closed after it, and read and
 *   parsed in chunks: memory stays flat however big the log.
 *   Deno opens files for reading with full sharing on Windows
 *   (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE), so a log the
 *   instrument holds open for writing is read, and the instrument can still
 *   rename (rotate) it.
 * - Only complete lines are parsed: a last line without its line ending
 *   waits for the next pass. A line longer than {@linkcode MAX_LINE_BYTES} is cut.
 * - The last error block is held until the next entry starts or the file
 *   stays unchanged for one poll (its stack trace may still be coming).
 * - A file shorter than the position, or whose first bytes changed, was
 *   rotated or replaced: it is read from the start (the old file's pending
 *   block is sent first).
 * - A missing file is waited for, with one warning; other read errors are
 *   warnings too, once per distinct error, and the next poll tries again.
 * - On the very first start (no state) the log already there is read for
 *   its sample and cycle, and its errors are history: not emailed.
 * - An error that was emailed less than `sent_keep_days` ago is logged but
 *   not emailed again.
 *
 * @module
 */
import { basename } from "node:path";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log/mod.ts";
import { blockTitle, describeContext } from "./alert.ts";
import { dedupKey, pruneSent, type SentTimes, sentWithin } from "./dedup.ts";
import { detectEncoding, lastLineEnd } from "./encoding.ts";
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
  /** The state file, `<config dir>/state/monitor.json`. */
  readonly stateFile: string;
  readonly logger: Logger;
  /** Emails one block; resolves true when it went out (it is then remembered for dedup). */
  readonly deliver: (block: ErrorBlock) => Promise<boolean>;
  readonly clock?: () => Date;
}

/** Counts since the tail was opened. */
export interface TailStats {
  /** Bytes of the log read and parsed (the saved position). */
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

/** Where the tail is in the log: what is saved with a block that was emailed. */
interface Position {
  readonly offset: number;
  readonly parser: ParserState;
}

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
  readonly #buffer = new Uint8Array(MAX_LINE_BYTES + READ_BYTES);
  readonly #parser: BlockParser;
  #offset: number;
  #head: Uint8Array;
  /** Undefined until the first pass of a first start decides it. */
  #historyEnd: number | undefined;
  #sent: SentTimes;
  #dirty = false;
  #savedAt = 0;
  #lastSize: number | undefined;
  #warnedMissing = false;
  #problem: string | undefined;
  #historyReported = 0;
  #stats = { found: 0, emailed: 0, repeated: 0, history: 0 };

  /**
   * Opens a tail, restoring the saved state. A damaged state file is logged
   * as a warning and treated as a first start.
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
    this.#sent = new Map(saved?.sent ?? []);
    const same = saved !== undefined && saved.logPath === options.logPath;
    if (saved !== undefined && !same) {
      this.#logger.info(
        `the monitor state was for ${saved.logPath}; ${options.logPath} is read as a first start`,
      );
    }
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
   * Polls every `pollSeconds` until `signal` aborts, then saves the state.
   * A pass in progress stops between two chunks, at a consistent point.
   *
   * @throws errors other than reading the log (writing the state, a bug): the caller reports the crash.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { logPath, pollSeconds, stateFile } = this.#options;
    this.#logger.info(
      `monitor tail: following ${logPath}, checking every ${pollSeconds} s; state in ${stateFile}`,
    );
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
  }

  /**
   * One pass: reads what was appended, handles the blocks that ended, ends a
   * pending block when the file stayed unchanged since the last pass (or is
   * gone), and saves the state if it changed.
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
    const { logPath } = this.#options;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(logPath, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      this.#lastSize = undefined;
      if (error instanceof Deno.errors.NotFound) {
        if (this.#historyEnd === undefined) this.#historyEnd = 0;
        if (!this.#warnedMissing) {
          this.#warnedMissing = true;
          this.#logger.warn(
            `${logPath} does not exist; waiting for it (checking every ` +
              `${this.#options.pollSeconds} s); check [monitor] log_path if this lasts`,
          );
        }
        return "missing";
      }
      this.#unreadable(`cannot open ${logPath}: ${errorMessage(error)}`);
      return "unreadable";
    }
    try {
      const info = await io(`cannot read ${logPath}`, () => file.stat());
      if (!info.isFile) {
        this.#unreadable(`${logPath} is not a file; check [monitor] log_path`);
        return "unreadable";
      }
      await this.#opened(file, info.size);
      await this.#readNew(file, signal);
      this.#lastSize = info.size;
      this.#problem = undefined;
      return "read";
    } catch (error) {
      if (!(error instanceof LogUnreadable)) throw error;
      this.#lastSize = undefined;
      this.#unreadable(error.message);
      return "unreadable";
    } finally {
      file.close();
    }
  }

  /** Checks the file is the one the position belongs to; learns its first bytes. */
  async #opened(file: Deno.FsFile, size: number): Promise<void> {
    const { logPath } = this.#options;
    if (this.#warnedMissing) {
      this.#warnedMissing = false;
      this.#logger.info(`${logPath} is there now; reading it`);
    }
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

  /** The log was rotated or replaced: end its pending block and read it from the start. */
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

  /** Reads from the position to the end, parsing complete lines chunk by chunk. */
  async #readNew(file: Deno.FsFile, signal: AbortSignal | undefined): Promise<void> {
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
      if (count === null) break;
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
