/**
 * `--only` patterns: a small glob matcher on `/`-separated relative paths.
 * Pure, and the same on every OS (node:path's `matchesGlob` depends on the
 * platform and reads the environment).
 *
 * Syntax, matched against the whole relative path, case-sensitively:
 * - `*` any characters within one folder or file name (dot names included);
 * - `**` as a whole path segment: any number of folders, none included
 *   (`**\/*.qptiff` is every .qptiff at any depth);
 * - `?` one character other than `/`;
 * - `[abc]`, `[a-z]`, `[!a-z]` one character of (or not of) a set;
 * - `{a,b}` either alternative (`*.{xpd,fpr}`);
 * - `\` is a path separator like `/` (Windows habits), never an escape.
 *
 * A path is selected when the pattern matches it or one of the folders that
 * contain it, so naming a folder (`exp/Scan1`) selects everything inside it.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** A compiled `--only` pattern. */
export type PathMatcher = (path: string) => boolean;

function escapeRegExp(char: string): string {
  return /[.+^${}()|[\]\\*?]/.test(char) ? `\\${char}` : char;
}

/**
 * The regular expression for `pattern` (see the module doc). Pure.
 *
 * @throws {UsageError} for an empty pattern or an unclosed `{`.
 */
export function globToRegExp(pattern: string): RegExp {
  const source = pattern.replaceAll("\\", "/").replace(/^(?:\.\/)+/, "").replace(/^\/+/, "")
    .replace(/\/+$/, "");
  if (source === "") {
    throw new UsageError(`--only '${pattern}' names no path: give a file, folder or pattern`);
  }
  let out = "";
  let braces = 0;
  for (let index = 0; index < source.length; index++) {
    const char = source[index] as string;
    if (char === "*") {
      let end = index;
      while (source[end] === "*") end++;
      const wholeSegment = end - index >= 2 && (index === 0 || source[index - 1] === "/") &&
        (end === source.length || source[end] === "/");
      if (wholeSegment && source[end] === "/") {
        out += "(?:[^/]*/)*";
        index = end; // the `/` after `**` is part of the repetition
      } else {
        out += wholeSegment ? ".*" : "[^/]*";
        index = end - 1;
      }
    } else if (char === "?") {
      out += "[^/]";
    } else if (char === "[") {
      let start = index + 1;
      const negated = source[start] === "!" || source[start] === "^";
      if (negated) start++;
      const close = source.indexOf("]", source[start] === "]" ? start + 1 : start);
      if (close === -1) {
        out += "\\[";
        continue;
      }
      const body = source.slice(start, close).replaceAll("\\", "\\\\").replaceAll("]", "\\]");
      out += negated ? `[^/${body}]` : `[${body}]`;
      index = close;
    } else if (char === "{") {
      braces++;
      out += "(?:";
    } else if (char === "," && braces > 0) {
      out += "|";
    } else if (char === "}" && braces > 0) {
      braces--;
      out += ")";
    } else {
      out += escapeRegExp(char);
    }
  }
  if (braces > 0) throw new UsageError(`--only '${pattern}' has a '{' without its '}'`);
  return new RegExp(`^${out}$`);
}

/**
 * A matcher selecting a path when any of `patterns` matches the path or one
 * of its folders. Pure.
 *
 * @throws {UsageError} for a malformed pattern.
 */
export function compileOnly(patterns: readonly string[]): PathMatcher {
  const expressions = patterns.map(globToRegExp);
  return (path) => {
    const segments = path.split("/");
    for (let length = segments.length; length > 0; length--) {
      const candidate = segments.slice(0, length).join("/");
      if (expressions.some((expression) => expression.test(candidate))) return true;
    }
    return false;
  };
}
