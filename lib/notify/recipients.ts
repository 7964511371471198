/**
 * Who receives an event: `recipients/<event>.txt` if it lists any valid
 * address, else `recipients/default.txt`, else nobody. One address per line;
 * `#` starts a comment (a whole line, or after a space); blank lines are
 * ignored. Files are read at every call, so an edit takes effect on the next
 * email without a restart.
 *
 * @module
 */
import { join } from "node:path";
import type { NotifyEvent } from "./events.ts";

/** The fallback list's name, without `.txt`. */
export const DEFAULT_LIST = "default";

/** A line of a recipients file that is not an email address. */
export interface InvalidAddress {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** What one recipients file says. */
export interface RecipientFile {
  readonly file: string;
  /** Valid addresses, in file order, each once (compared without case). */
  readonly addresses: readonly string[];
  readonly invalid: readonly InvalidAddress[];
  /** Why the file could not be read, when it exists but could not; a missing file is just empty. */
  readonly problem?: string;
}

/** The effective list of one event. */
export interface Recipients {
  readonly event: NotifyEvent;
  readonly addresses: readonly string[];
  /** The file the addresses came from; undefined when nobody receives the event. */
  readonly source: string | undefined;
  /** Each file read, the event's own first. */
  readonly files: readonly RecipientFile[];
  /** Invalid lines of every file read; they are never sent to. */
  readonly invalid: readonly InvalidAddress[];
}

// Deliberately plain: a local part without spaces, quotes or brackets, and a dotted domain of
// letters, digits and hyphens. Enough to catch typos and pasted "Name <addr>" lines.
const ADDRESS =
  /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** True when `text` is a plain email address such as `ops@lab.example.org`. */
export function isEmailAddress(text: string): boolean {
  return ADDRESS.test(text);
}

/** Parses the text of a recipients file (pure). */
export function parseRecipientFile(text: string, file: string): RecipientFile {
  const addresses: string[] = [];
  const seen = new Set<string>();
  const invalid: InvalidAddress[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? "";
    const comment = raw.trimStart().startsWith("#") ? 0 : raw.search(/\s#/);
    const entry = (comment < 0 ? raw : raw.slice(0, comment)).trim();
    if (entry === "") continue;
    if (!isEmailAddress(entry)) {
      invalid.push({ file, line: index + 1, text: entry });
      continue;
    }
    const key = entry.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    addresses.push(entry);
  }
  return { file, addresses, invalid };
}

/** Reads one recipients file; a missing file is an empty list. Never throws. */
export async function readRecipientFile(file: string): Promise<RecipientFile> {
  try {
    return parseRecipientFile(await Deno.readTextFile(file), file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { file, addresses: [], invalid: [] };
    const problem = `cannot read ${file}: ${(error as Error).message}`;
    return { file, addresses: [], invalid: [], problem };
  }
}

/** The file of `list` (an event name or `default`) in `dir`. */
export function recipientFilePath(dir: string, list: NotifyEvent | typeof DEFAULT_LIST): string {
  return join(dir, `${list}.txt`);
}

/** Resolves who receives `event`, reading the files in `dir` now. Never throws. */
export async function resolveRecipients(dir: string, event: NotifyEvent): Promise<Recipients> {
  const files: RecipientFile[] = [];
  for (const list of [event, DEFAULT_LIST] as const) {
    const file = await readRecipientFile(recipientFilePath(dir, list));
    files.push(file);
    if (file.addresses.length > 0) {
      return {
        event,
        addresses: file.addresses,
        source: file.file,
        files,
        invalid: files.flatMap((read) => read.invalid),
      };
    }
  }
  return {
    event,
    addresses: [],
    source: undefined,
    files,
    invalid: files.flatMap((f) => f.invalid),
  };
}

/** One line per problem of `recipients`: invalid addresses and unreadable files. */
export function describeRecipientProblems(recipients: Recipients): string[] {
  const problems = recipients.files.flatMap((file) =>
    file.problem === undefined ? [] : [file.problem]
  );
  for (const invalid of recipients.invalid) {
    problems.push(
      `${invalid.file}:${invalid.line}: ${JSON.stringify(invalid.text)} is not an email address; ` +
        "it is not sent to",
    );
  }
  return problems;
}
