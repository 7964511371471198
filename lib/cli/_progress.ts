/**
 * Progress on a terminal: one status line redrawn in place (files, bytes,
 * rate, ETA), which log lines print above. Off the terminal (scheduled
 * tasks, pipes) nothing is drawn; the log's per-study lines remain.
 *
 * @module
 */
import type { BackupProgress, BackupStage } from "../backup/mod.ts";
import { formatBytes, formatDuration, formatRate } from "../text/mod.ts";
import type { Io } from "./io.ts";

const CLEAR_LINE = "\r\x1b[K";

/** The one status line at the bottom of a terminal. */
export class StatusLine {
  readonly #io: Io;
  #text = "";

  constructor(io: Io) {
    this.#io = io;
  }

  /** Whether a status line is drawn at all (only when stderr is a terminal). */
  get enabled(): boolean {
    return this.#io.stderrIsTerminal;
  }

  /** Replaces the status line. */
  set(text: string): void {
    if (!this.enabled) return;
    this.#text = text;
    this.#io.err(`${CLEAR_LINE}${text}`);
  }

  /** Removes the status line. */
  clear(): void {
    if (!this.enabled || this.#text === "") return;
    this.#text = "";
    this.#io.err(CLEAR_LINE);
  }

  /** Writes `text` to stderr above the status line, which is redrawn below it. */
  print(text: string): void {
    if (!this.enabled || this.#text === "") {
      this.#io.err(text);
      return;
    }
    this.#io.err(`${CLEAR_LINE}${text}${this.#text}`);
  }
}

/** The counters of one stage, for {@linkcode progressText}. */
export interface StageState {
  readonly study: string;
  /** A backup stage, or another command's (`restore`, `audit`). */
  readonly stage: BackupStage | string;
  readonly files: number;
  readonly bytes: number;
  readonly filesDone: number;
  readonly bytesDone: number;
  /** Seconds since the stage began. */
  readonly elapsed: number;
}

/** `<study> copy: 120/812 files, 1.2 GiB/45.6 GiB, 180 MB/s, ETA 3m12s`. Pure. */
export function progressText(state: StageState): string {
  let text = `${state.study} ${state.stage}: ${state.filesDone}/${state.files} files`;
  if (state.bytes > 0) {
    text += `, ${formatBytes(state.bytesDone)}/${formatBytes(state.bytes)}`;
    const rate = state.elapsed > 0 ? state.bytesDone / state.elapsed : 0;
    text += `, ${formatRate(rate)}`;
    if (rate > 0 && state.bytesDone < state.bytes) {
      text += `, ETA ${formatDuration((state.bytes - state.bytesDone) / rate)}`;
    }
  }
  return text;
}

/**
 * Draws progress (backup, restore, audit) on a {@linkcode StatusLine}, at
 * most a few times a second.
 */
export class TerminalProgress implements BackupProgress {
  readonly #line: StatusLine;
  readonly #now: () => number;
  #state: Omit<StageState, "elapsed"> & { began: number } | undefined;
  #lastDraw = 0;

  constructor(line: StatusLine, now: () => number = () => performance.now()) {
    this.#line = line;
    this.#now = now;
  }

  stage(study: string, stage: BackupStage | string, files: number, bytes: number): void {
    this.#state = { study, stage, files, bytes, filesDone: 0, bytesDone: 0, began: this.#now() };
    this.#draw(true);
  }

  advance(files: number, bytes: number): void {
    if (this.#state === undefined) return;
    this.#state = {
      ...this.#state,
      filesDone: this.#state.filesDone + files,
      bytesDone: this.#state.bytesDone + bytes,
    };
    this.#draw(this.#state.filesDone === this.#state.files);
  }

  end(): void {
    this.#state = undefined;
    this.#line.clear();
  }

  #draw(force: boolean): void {
    if (!this.#line.enabled || this.#state === undefined) return;
    const now = this.#now();
    if (!force && now - this.#lastDraw < 250) return;
    this.#lastDraw = now;
    this.#line.set(progressText({ ...this.#state, elapsed: (now - this.#state.began) / 1000 }));
  }
}
