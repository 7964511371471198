/**
 * The dotenv format of smtp.env, parsed without echoing any value: an error
 * names the file and the line, never the line's text, because that text may
 * be a password.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One `NAME=value` assignment and the line it is on. */
export interface DotenvEntry {
  readonly value: string;
  readonly line: number;
}

/**
 * Parses `NAME=value` lines. Blank lines and lines starting with `#` are
 * skipped; `export ` before a name is allowed; a value may be wrapped in
 * `"` or `'` (kept verbatim inside); an unquoted value ends at ` #` (a
 * comment) and is trimmed. Only the names in `known` are accepted.
 *
 * @throws {ConfigError} naming `file` and the line for a line that is not an
 * assignment, an unknown or repeated name, or an unterminated quote.
 */
export function parseDotenv(
  text: string,
  file: string,
  known: readonly string[],
): Map<string, DotenvEntry> {
  const entries = new Map<string, DotenvEntry>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const where = `${file}:${lineNumber}`;
    const line = (lines[index] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const equals = line.indexOf("=");
    if (equals < 0) {
      throw new ConfigError(
        `${where}: expected NAME=value (a line with no '='); fix or remove that line`,
      );
    }
    const name = line.slice(0, equals).trim().replace(/^export\s+/, "");
    if (!NAME.test(name)) {
      throw new ConfigError(
        `${where}: the text before '=' is not a variable name; expected NAME=value`,
      );
    }
    if (!known.includes(name)) {
      throw new ConfigError(`${where}: unknown name ${name} (known: ${known.join(", ")})`);
    }
    const previous = entries.get(name);
    if (previous !== undefined) {
      throw new ConfigError(
        `${where}: ${name} is set twice (also on line ${previous.line}); keep one`,
      );
    }
    entries.set(name, {
      value: parseValue(line.slice(equals + 1).trim(), where),
      line: lineNumber,
    });
  }
  return entries;
}

function parseValue(raw: string, where: string): string {
  const quote = raw[0];
  if (quote === '"' || quote === "'") {
    const end = raw.indexOf(quote, 1);
    if (end < 0) {
      throw new ConfigError(`${where}: the value opens a ${quote} quote that is never closed`);
    }
    const rest = raw.slice(end + 1).trim();
    if (rest !== "" && !rest.startsWith("#")) {
      throw new ConfigError(`${where}: unexpected text after the closing ${quote} quote`);
    }
    return raw.slice(1, end);
  }
  const comment = /\s#/.exec(raw);
  return (comment === null ? raw : raw.slice(0, comment.index)).trim();
}
