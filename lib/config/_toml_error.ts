/**
 * Says what is wrong with a config file the TOML parser rejected, in the
 * words of the person who wrote it: "unclosed string", "unclosed table
 * header", "missing '='", "duplicate key". The parser (smol-toml) reports the
 * right place but describes its own state ("control characters are not
 * allowed in strings" for a missing `"`), so this looks at the text around
 * that place. Pure.
 *
 * @module
 */
import { locateLine } from "./_locate.ts";

/** A TOML syntax problem: where (1-based) and what, in the writer's terms. */
export interface TomlProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** The parts of a line outside strings: where a `#` comment starts, and an unclosed quote. */
interface LineShape {
  /** The line without its comment. */
  readonly code: string;
  /** 0-based index of a quote left open at the end of the line, if any. */
  readonly openQuote: number | undefined;
}

function shapeOf(line: string): LineShape {
  let quote: string | undefined;
  let start = 0;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quote === undefined) {
      if (char === "#") return { code: line.slice(0, index), openQuote: undefined };
      if (char === '"' || char === "'") {
        quote = char;
        start = index;
      }
    } else if (quote === '"' && char === "\\") {
      index++;
    } else if (char === quote) {
      quote = undefined;
    }
  }
  return { code: line, openQuote: quote === undefined ? undefined : start };
}

/** The section (`[name]` or `[[name]]`) the 1-based `line` belongs to; "" before any header. */
function sectionAt(lines: readonly string[], line: number): string {
  for (let index = line - 2; index >= 0; index--) {
    const header = /^\s*\[\[?\s*([^\]]*?)\s*\]/.exec(lines[index] ?? "");
    if (header !== null) return (header[1] ?? "").replace(/^"(.*)"$/, "$1");
  }
  return "";
}

function quoted(text: string): string {
  return `'${text}'`;
}

/** An unclosed `[` or `{` of a value, found by reading the source up to `offset`. */
interface Opener {
  readonly char: "[" | "{";
  readonly line: number;
  readonly column: number;
}

/**
 * The innermost list or inline table still open at `offset`. Reads strings,
 * comments and table headers as TOML does; the text before `offset` parsed,
 * so this simple reading of it is exact.
 */
function openerBefore(source: string, offset: number): Opener | undefined {
  const open: Opener[] = [];
  let line = 1;
  let lineStart = 0;
  let index = 0;
  const skipTo = (end: string) => {
    const found = source.indexOf(end, index);
    index = found < 0 ? offset : found + end.length;
  };
  while (index < offset) {
    const char = source[index] ?? "";
    if (char === "\n") {
      line++;
      lineStart = index + 1;
      index++;
    } else if (char === "#") {
      skipTo("\n");
      index--; // the newline itself counts the line
    } else if (source.startsWith('"""', index) || source.startsWith("'''", index)) {
      const quote = source.slice(index, index + 3);
      index += 3;
      const end = source.indexOf(quote, index);
      const stop = end < 0 ? offset : end + 3;
      for (let at = index; at < stop; at++) {
        if (source[at] === "\n") {
          line++;
          lineStart = at + 1;
        }
      }
      index = stop;
    } else if (char === '"' || char === "'") {
      index++;
      while (index < offset && source[index] !== char && source[index] !== "\n") {
        if (char === '"' && source[index] === "\\") index++;
        index++;
      }
      index++;
    } else if (char === "[" && open.length === 0 && source.slice(lineStart, index).trim() === "") {
      skipTo("\n"); // a table header, on a line of its own
      index--;
    } else if (char === "[" || char === "{") {
      open.push({ char, line, column: index - lineStart + 1 });
      index++;
    } else {
      if (char === "]" || char === "}") open.pop();
      index++;
    }
  }
  return open.at(-1);
}

function offsetOf(lines: readonly string[], line: number, column: number): number {
  let offset = 0;
  for (let index = 0; index < line - 1; index++) offset += (lines[index] ?? "").length + 1;
  return offset + column - 1;
}

/** The value text after the first `=` of a line, without its comment. */
function valueText(line: string): string {
  const code = shapeOf(line).code;
  const equals = code.indexOf("=");
  return equals < 0 ? "" : code.slice(equals + 1).trim();
}

function explainHeader(code: string): string {
  const trimmed = code.trim();
  const double = trimmed.startsWith("[[");
  const close = double ? "]]" : "]";
  if (!trimmed.includes(close)) {
    return `unclosed table header: ${quoted(trimmed)} needs a closing ${quoted(close)}`;
  }
  const name = trimmed.slice(double ? 2 : 1, trimmed.indexOf(close)).trim();
  return `invalid table name ${quoted(name)}: use letters, digits, '_' and '-' ` +
    "(or put the name in quotes)";
}

function explainKey(code: string): string {
  const equals = code.indexOf("=");
  if (equals < 0) {
    const key = code.trim().split(/\s+/)[0] ?? "";
    return `missing '=' after the key ${quoted(key)}: write ${key} = <value>`;
  }
  const key = code.slice(0, equals).trim();
  if (key === "") return "missing key before '=': write <key> = <value>";
  return `invalid key ${quoted(key)}: a key uses letters, digits, '_' and '-' ` +
    "(or put it in quotes)";
}

function explainRedefinition(lines: readonly string[], line: number): string {
  const code = shapeOf(lines[line - 1] ?? "").code.trim();
  const source = lines.join("\n");
  const header = /^\[\[?\s*([^\]]*?)\s*\]/.exec(code);
  if (header !== null) {
    const name = (header[1] ?? "").replace(/^"(.*)"$/, "$1");
    const first = locateLine(source, name);
    return first !== undefined && first < line
      ? `table [${name}] appears twice (first on line ${first}): keep one [${name}] and put ` +
        "all its keys there"
      : `table [${name}] is defined twice`;
  }
  const key = code.slice(0, code.indexOf("=")).trim().replace(/^"(.*)"$/, "$1");
  const section = sectionAt(lines, line);
  const where = section === "" ? "" : ` in [${section}]`;
  const first = locateLine(source, section, key);
  return first !== undefined && first < line
    ? `duplicate key ${quoted(key)}${where} (first set on line ${first}): keep one`
    : `key ${quoted(key)}${where} is already defined above`;
}

function explainValue(line: string): string {
  const value = valueText(line);
  if (value === "") return "missing value after '='";
  if (/^(true|false)$/i.test(value)) return `write ${value.toLowerCase()} in lower case`;
  if (/^[A-Za-z_~.\\/]/.test(value)) {
    const example = value.includes("\\") ? `'${value}'` : `"${value}"`;
    return `text needs quotes: write ${example}`;
  }
  return `invalid value ${quoted(value)}`;
}

/**
 * What the TOML parser's complaint `reason` at `line`:`column` (1-based)
 * means for the person who wrote `source`, and where to look; the parser's
 * own words when the text gives no better explanation.
 */
export function explainTomlError(
  source: string,
  line: number,
  column: number,
  reason: string,
): TomlProblem {
  const lines = source.split(/\r?\n/);
  const text = lines[line - 1] ?? "";
  const at = (message: string, where: { line: number; column: number } = { line, column }) => ({
    ...where,
    message,
  });
  const shape = shapeOf(text);

  if (/control characters are not allowed|unfinished string/.test(reason)) {
    const triple = /"""|'''/.exec(text);
    if (reason.includes("unfinished string") && triple !== null) {
      return at(
        `unclosed multi-line string: the ${triple[0]} here has no closing ${triple[0]}`,
        { line, column: triple.index + 1 },
      );
    }
    if (shape.openQuote !== undefined) {
      const quote = text[shape.openQuote] ?? '"';
      return at(
        `unclosed string: the value that starts with ${quote} here has no closing ${quote} ` +
          "on this line",
        { line, column: shape.openQuote + 1 },
      );
    }
    const code = (text.codePointAt(column - 1) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    return at(
      `a string holds the control character U+${code}: remove it, or write it as an escape ` +
        "such as \\t",
    );
  }
  if (
    /illegal character in key|unexpected end of key|end of table array declaration/.test(reason)
  ) {
    return at(
      shape.code.trim().startsWith("[") ? explainHeader(shape.code) : explainKey(shape.code),
    );
  }
  if (reason.includes("redefine an already defined")) return at(explainRedefinition(lines, line));
  if (reason.includes("expected comma or end of structure")) {
    const opener = openerBefore(lines.join("\n"), offsetOf(lines, line, column));
    if (opener !== undefined) {
      const [what, close] = opener.char === "[" ? ["list", "]"] : ["inline table", "}"];
      // The parser reads on past a missing closing bracket until the next key (or the end).
      const unclosed = opener.line < line && (/^\s*[A-Za-z0-9_."'-]+\s*=/.test(text) ||
        lines.slice(line - 1).every((rest) => rest.trim() === ""));
      return unclosed
        ? at(`unclosed ${what}: this ${opener.char} has no closing ${close}`, opener)
        : at(`missing ',' between the items of the ${what}, or its closing ${close}`);
    }
  }
  if (reason.includes("unrecognised escape sequence")) {
    const slash = text.lastIndexOf("\\", column - 1);
    const escape = slash < 0 ? "\\" : text.slice(slash, slash + 2);
    return at(
      `in a "..." string a backslash starts an escape, and ${escape} is not one: write a ` +
        "Windows path with '/' (\"C:/Data\") or in single quotes ('C:\\Data')",
      { line, column: slash < 0 ? column : slash + 1 },
    );
  }
  if (reason.includes("must be followed by an end-of-line")) {
    return at(
      shape.code.trim().startsWith("[")
        ? "a table header stands alone on its line: put what follows it on the next line"
        : "unexpected text after the value: write one key = value per line",
    );
  }
  if (reason.includes("illegal character in numeric literal")) {
    const after = text.indexOf("=") + 1;
    const start = after + (text.slice(after).length - text.slice(after).trimStart().length);
    const token = text.slice(start).split(/[\s#,\]}]/)[0] ?? "";
    return at(`invalid number ${quoted(token)}: write digits only, or put text in quotes`, {
      line,
      column: start + 1,
    });
  }
  if (reason === "invalid value") return at(explainValue(text));
  return at(reason);
}
