/**
 * Reads the Windows password for the scheduled tasks from stdin: on a
 * terminal in raw mode so nothing is echoed, from a pipe as its first line.
 * The password never reaches the shell history or the log.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** What happened to one chunk of keystrokes. */
export type KeyOutcome = "more" | "enter" | "cancel";

const ENTER = new Set([0x0d, 0x0a]);
const CANCEL = new Set([0x03, 0x04]); // Ctrl-C, Ctrl-D
const BACKSPACE = new Set([0x7f, 0x08]);
const ESCAPE = 0x1b;

/**
 * A line typed without echo: printable bytes are kept, backspace removes
 * the last character (all bytes of a UTF-8 character), escape sequences
 * (arrow keys) are ignored, Enter ends, Ctrl-C or Ctrl-D cancels.
 */
export class HiddenLine {
  #bytes: number[] = [];
  #inEscape = false;
  #afterEscape = false;

  /** Adds keystrokes; the outcome says whether the line is done. Bytes after Enter are ignored. */
  feed(chunk: Uint8Array): KeyOutcome {
    for (const byte of chunk) {
      if (this.#afterEscape) {
        // ESC [ starts a control sequence that ends with a byte in 0x40-0x7e.
        this.#afterEscape = false;
        this.#inEscape = byte === 0x5b;
        continue;
      }
      if (this.#inEscape) {
        if (byte >= 0x40 && byte <= 0x7e) this.#inEscape = false;
        continue;
      }
      if (ENTER.has(byte)) return "enter";
      if (CANCEL.has(byte)) return "cancel";
      if (byte === ESCAPE) {
        this.#afterEscape = true;
      } else if (BACKSPACE.has(byte)) {
        this.#removeLastCharacter();
      } else if (byte >= 0x20) {
        this.#bytes.push(byte);
      }
    }
    return "more";
  }

  #removeLastCharacter(): void {
    // UTF-8 continuation bytes are 10xxxxxx; drop them, then the lead byte.
    while (this.#bytes.length > 0 && ((this.#bytes.at(-1) ?? 0) & 0xc0) === 0x80) {
      this.#bytes.pop();
    }
    this.#bytes.pop();
  }

  /** The text typed so far. */
  get value(): string {
    return new TextDecoder().decode(new Uint8Array(this.#bytes));
  }
}

/** The stdin that {@linkcode readPassword} reads; `Deno.stdin` in the program. */
export interface PasswordSource {
  isTerminal(): boolean;
  setRaw(raw: boolean): void;
  readonly readable: ReadableStream<Uint8Array>;
}

/**
 * Asks for a password: writes `prompt`, then reads without echo on a
 * terminal, or the first line of piped input (taken as is).
 *
 * @throws {UsageError} when the input is cancelled, ends, or is empty.
 */
export async function readPassword(
  source: PasswordSource,
  write: (text: string) => void,
  prompt: string,
): Promise<string> {
  write(prompt);
  const reader = source.readable.getReader();
  let password: string;
  try {
    password = source.isTerminal() ? await readHidden(source, reader) : await readLine(reader);
  } finally {
    reader.releaseLock();
    write("\n");
  }
  if (password === "") {
    throw new UsageError("no password given; type the Windows password, or pass --password");
  }
  return password;
}

async function readHidden(
  source: PasswordSource,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<string> {
  const line = new HiddenLine();
  source.setRaw(true);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return line.value;
      const outcome = line.feed(value);
      if (outcome === "cancel") {
        throw new UsageError("password entry cancelled; nothing was changed");
      }
      if (outcome === "enter") return line.value;
    }
  } finally {
    source.setRaw(false);
  }
}

/** The first line of piped input, without its line end; all of it when there is none. */
async function readLine(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const bytes: number[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const end = value.findIndex((byte) => ENTER.has(byte));
    bytes.push(...(end < 0 ? value : value.subarray(0, end)));
    if (end >= 0) break;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
