/**
 * Finds the line a TOML table or key is written on, so config errors can name
 * it. The TOML parser returns values without positions; config files are
 * short and written by hand, so a line scan that understands headers, bare
 * and quoted keys and dotted keys is enough.
 *
 * @module
 */

const HEADER = /^\s*\[\s*([A-Za-z0-9_-]+|"[^"]*")\s*\]\s*(?:#.*)?$/;
const KEY = /^\s*([A-Za-z0-9_.-]+|"[^"]*")\s*=/;

function unquote(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1) : text;
}

/** 1-based line of `[section]`, or of `key` inside it when `key` is given; undefined if not found. */
export function locateLine(source: string, section: string, key?: string): number | undefined {
  let current = "";
  const lines = source.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const header = HEADER.exec(line);
    if (header !== null) {
      current = unquote(header[1] ?? "");
      if (key === undefined && current === section) return index + 1;
      continue;
    }
    const keyMatch = KEY.exec(line);
    if (keyMatch === null) continue;
    const name = unquote(keyMatch[1] ?? "");
    if (current === section && name === key) return index + 1;
    if (current === "") {
      if (
        key === undefined
          ? name.startsWith(`${section}.`) || name === section
          : name === `${section}.${key}`
      ) {
        return index + 1;
      }
    }
  }
  return undefined;
}
