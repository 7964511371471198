import assert from "node:assert/strict";
import { quoteWindowsArg, windowsCommandLine } from "../../lib/install/cmdline.ts";

/**
 * A reference splitter following the documented rules of CommandLineToArgvW
 * ("Parsing C++ command-line arguments"): whitespace separates arguments
 * outside quotes; 2n backslashes before a quote give n backslashes and the
 * quote toggles quoting; 2n+1 give n backslashes and a literal quote; other
 * backslashes are literal.
 */
function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = "";
  let inArg = false;
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (char === "\\") {
      let count = 0;
      while (line[index] === "\\") {
        count++;
        index++;
      }
      if (line[index] === '"') {
        current += "\\".repeat(Math.floor(count / 2));
        if (count % 2 === 1) current += '"';
        else quoted = !quoted;
      } else {
        current += "\\".repeat(count);
        index--;
      }
      inArg = true;
    } else if (char === '"') {
      quoted = !quoted;
      inArg = true;
    } else if ((char === " " || char === "\t") && !quoted) {
      if (inArg) args.push(current);
      current = "";
      inArg = false;
    } else {
      current += char;
      inArg = true;
    }
  }
  if (inArg) args.push(current);
  return args;
}

Deno.test("quoteWindowsArg: only what needs quotes is quoted", () => {
  assert.equal(quoteWindowsArg("backup"), "backup");
  assert.equal(
    quoteWindowsArg("C:\\fusion-toolkit\\fusion-toolkit.exe"),
    String.raw`C:\fusion-toolkit\fusion-toolkit.exe`,
  );
  assert.equal(quoteWindowsArg("\\\\truenas\\share"), String.raw`\\truenas\share`);
  assert.equal(
    quoteWindowsArg("C:\\Program Files\\fusion-toolkit\\fusion-toolkit.exe"),
    String.raw`"C:\Program Files\fusion-toolkit\fusion-toolkit.exe"`,
  );
  assert.equal(quoteWindowsArg(""), '""');
  // A trailing backslash inside quotes is doubled, or it would escape the closing quote.
  assert.equal(quoteWindowsArg("C:\\Lab Data\\"), String.raw`"C:\Lab Data\\"`);
  assert.equal(quoteWindowsArg('say "hi"'), String.raw`"say \"hi\""`);
  assert.equal(quoteWindowsArg('a\\"b'), String.raw`"a\\\"b"`);
});

Deno.test("windowsCommandLine round-trips through the CommandLineToArgvW rules", () => {
  const fixed = [
    ["C:\\Program Files\\x.exe", "backup", "run", "--config", "C:\\Users\\Lab User\\c.toml"],
    ["", "a b", "\\", "\\\\", '"', '\\"', "trailing\\ ", "\t"],
    ["研究 数据", "D:\\FusionData\\20250301_alice_lung_panel1"],
  ];
  for (const args of fixed) {
    assert.deepEqual(splitWindowsCommandLine(windowsCommandLine(args)), args);
  }
  // Pseudo-random argument lists over the characters that matter (seeded, so reproducible).
  const alphabet = ["a", " ", "\\", '"', "\t", "é"];
  let seed = 7;
  const next = (limit: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % limit;
  };
  for (let round = 0; round < 2000; round++) {
    const args = Array.from(
      { length: 1 + next(4) },
      () => Array.from({ length: next(7) }, () => alphabet[next(alphabet.length)]).join(""),
    );
    assert.deepEqual(splitWindowsCommandLine(windowsCommandLine(args)), args, JSON.stringify(args));
  }
});
