/**
 * The Fusion.log block parser. Pure: text in, error blocks out, no I/O.
 *
 * A line matching `line_start` begins an entry; the lines after it that do
 * not match continue it (a .NET stack trace). An entry whose first line
 * matches `error` is an error block. Each block carries the sample and
 * cycle named last before it (its own first line included): lines matching
 * `sample` and `cycle` set them, and a new sample name clears the cycle.
 * Lines before the first entry only set context.
 *
 * The parser is fed complete lines, chunk by chunk, and keeps the one block
 * that may still grow (the last entry seen) until an entry starts after it
 * or {@linkcode BlockParser.flush} ends it. Its state is a plain object, so
 * it can be saved and restored.
 *
 * Patterns apply to one line at a time, without its line ending. For speed
 * each pattern is first searched in the whole chunk and only the lines it
 * hits are checked on their own, so a pattern whose lookaround looks past
 * the end or start of its line may miss; none of the defaults does.
 *
 * @module
 */
import { findLines, lineEnd, withoutCarriageReturn } from "./_lines.ts";

/** The four regexes of `[monitor]`. */
export interface MonitorPatterns {
  /** A line matching this starts a log entry. */
  readonly lineStart: RegExp;
  /** An entry whose first line matches this is an error block. */
  readonly error: RegExp;
  /** Names the current sample: group `sample`, else group 1, else the whole match. */
  readonly sample: RegExp;
  /** Names the current cycle: group `cycle`, else group 1, else the whole match. */
  readonly cycle: RegExp;
}

/** One error entry of the log with its continuation lines and context. */
export interface ErrorBlock {
  /** The entry's first line, then its continuation lines; line endings removed. */
  readonly lines: readonly string[];
  /** Continuation lines past {@linkcode MAX_BLOCK_LINES}, counted and dropped. */
  readonly omittedLines: number;
  /** The sample named last before the block, if any. */
  readonly sample: string | undefined;
  /** The cycle named last before the block (since the sample was named), if any. */
  readonly cycle: string | undefined;
  /** Fed as history: it was in the log before the monitor first started. */
  readonly history: boolean;
}

/** What the parser remembers between chunks; saved with the monitor's state. */
export interface ParserState {
  readonly sample: string | undefined;
  readonly cycle: string | undefined;
  /** The block that may still grow, if the last entry seen is an error. */
  readonly pending: ErrorBlock | undefined;
}

/** Lines kept per block; a runaway block (or a `line_start` that never matches) stays bounded. */
export const MAX_BLOCK_LINES = 200;
/** Characters kept per line of a block. */
export const MAX_LINE_CHARS = 2000;
/** Characters kept of a sample name or cycle. */
const MAX_CONTEXT_CHARS = 200;

/** The state of a parser that has read nothing. */
export const EMPTY_PARSER_STATE: ParserState = {
  sample: undefined,
  cycle: undefined,
  pending: undefined,
};

interface GrowingBlock {
  lines: string[];
  omittedLines: number;
  readonly sample: string | undefined;
  readonly cycle: string | undefined;
  readonly history: boolean;
}

interface ContextEvent {
  /** Where the line starts in the chunk. */
  readonly at: number;
  readonly kind: "sample" | "cycle";
  readonly value: string;
}

function clipLine(line: string): string {
  return line.length <= MAX_LINE_CHARS ? line : `${line.slice(0, MAX_LINE_CHARS)}...`;
}

/** The capture a context pattern names: group `name`, else group 1, else the match. */
function captured(match: RegExpExecArray, name: string): string | undefined {
  const value = (match.groups?.[name] ?? match[1] ?? match[0]).trim();
  return value === "" ? undefined : value.slice(0, MAX_CONTEXT_CHARS);
}

/** `regex` with the flags the whole-chunk search needs (global, multi-line), keeping its own. */
function chunkSearch(regex: RegExp): RegExp {
  const flags = new Set([...regex.flags.replace(/[gy]/g, ""), "g", "m"]);
  return new RegExp(regex.source, [...flags].join(""));
}

/** `regex` for a single line: without the global or sticky flag, so it keeps no position. */
function lineSearch(regex: RegExp): RegExp {
  return new RegExp(regex.source, regex.flags.replace(/[gy]/g, ""));
}

function frozen(block: GrowingBlock): ErrorBlock {
  const lines = [...block.lines];
  // Trailing blank lines are the gap before the next entry, not part of the error.
  while (lines.length > 1 && lines.at(-1)?.trim() === "") lines.pop();
  return {
    lines,
    omittedLines: block.omittedLines,
    sample: block.sample,
    cycle: block.cycle,
    history: block.history,
  };
}

/** Finds error blocks in chunks of complete lines. See the module documentation. */
export class BlockParser {
  readonly #lineStart: RegExp;
  readonly #error: RegExp;
  readonly #sample: RegExp;
  readonly #cycle: RegExp;
  readonly #errorInChunk: RegExp;
  readonly #sampleInChunk: RegExp;
  readonly #cycleInChunk: RegExp;
  #sampleName: string | undefined;
  #cycleName: string | undefined;
  #pending: GrowingBlock | undefined;

  constructor(patterns: MonitorPatterns, state: ParserState = EMPTY_PARSER_STATE) {
    this.#lineStart = lineSearch(patterns.lineStart);
    this.#error = lineSearch(patterns.error);
    this.#sample = lineSearch(patterns.sample);
    this.#cycle = lineSearch(patterns.cycle);
    this.#errorInChunk = chunkSearch(patterns.error);
    this.#sampleInChunk = chunkSearch(patterns.sample);
    this.#cycleInChunk = chunkSearch(patterns.cycle);
    this.#sampleName = state.sample;
    this.#cycleName = state.cycle;
    this.#pending = state.pending === undefined
      ? undefined
      : { ...state.pending, lines: [...state.pending.lines] };
  }

  /** A copy of what the parser remembers, to save. */
  get state(): ParserState {
    return {
      sample: this.#sampleName,
      cycle: this.#cycleName,
      pending: this.#pending === undefined ? undefined : frozen(this.#pending),
    };
  }

  /** Whether a block is waiting for the entry after it. */
  get hasPending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Reads `text`, complete lines each ending in `\n` (a `\r` before it is
   * dropped), and returns the blocks that ended in it, in log order. The last
   * block stays pending when the text ends inside it.
   *
   * @param options.history marks blocks that start in `text` as history.
   */
  feed(text: string, options: { readonly history?: boolean } = {}): ErrorBlock[] {
    const history = options.history ?? false;
    const blocks: ErrorBlock[] = [];
    let position = 0;
    if (this.#pending !== undefined) {
      position = this.#grow(this.#pending, text, 0);
      if (position < text.length) {
        blocks.push(frozen(this.#pending));
        this.#pending = undefined;
      }
    }
    const events = this.#contextEvents(text);
    let next = 0;
    const applyUpTo = (at: number) => {
      for (let event = events[next]; event !== undefined && event.at <= at; event = events[next]) {
        this.#apply(event);
        next++;
      }
    };
    const lineStart = this.#lineStart;
    const errors = findLines(
      this.#errorInChunk,
      this.#error,
      text,
      position,
      (line) => lineStart.test(line),
    );
    for (const error of errors) {
      applyUpTo(error.at);
      const block: GrowingBlock = {
        lines: [clipLine(error.line)],
        omittedLines: 0,
        sample: this.#sampleName,
        cycle: this.#cycleName,
        history,
      };
      const end = this.#grow(block, text, error.next);
      if (end < text.length) blocks.push(frozen(block));
      else this.#pending = block;
    }
    applyUpTo(Number.POSITIVE_INFINITY);
    return blocks;
  }

  /** Ends the pending block (the log went quiet, or the file was replaced) and returns it. */
  flush(): ErrorBlock | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending === undefined ? undefined : frozen(pending);
  }

  /** Adds the continuation lines from `from` to `block`; returns where the next entry starts. */
  #grow(block: GrowingBlock, text: string, from: number): number {
    let position = from;
    while (position < text.length) {
      const end = lineEnd(text, position);
      const line = withoutCarriageReturn(text, position, end);
      if (this.#lineStart.test(line)) return position;
      if (block.lines.length < MAX_BLOCK_LINES) block.lines.push(clipLine(line));
      else block.omittedLines++;
      position = end + 1;
    }
    return text.length;
  }

  /** Sample and cycle lines of `text`, in order; a sample before a cycle on the same line. */
  #contextEvents(text: string): ContextEvent[] {
    const events: ContextEvent[] = [];
    for (const found of findLines(this.#sampleInChunk, this.#sample, text, 0)) {
      const value = captured(found.match, "sample");
      if (value !== undefined) events.push({ at: found.at, kind: "sample", value });
    }
    for (const found of findLines(this.#cycleInChunk, this.#cycle, text, 0)) {
      const value = captured(found.match, "cycle");
      if (value !== undefined) events.push({ at: found.at, kind: "cycle", value });
    }
    // Stable sort: samples were added first, so they stay first on a shared line.
    return events.sort((a, b) => a.at - b.at);
  }

  #apply(event: ContextEvent): void {
    if (event.kind === "cycle") {
      this.#cycleName = event.value;
    } else if (event.value !== this.#sampleName) {
      this.#sampleName = event.value;
      this.#cycleName = undefined;
    }
  }
}
