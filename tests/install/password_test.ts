import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { HiddenLine, type PasswordSource, readPassword } from "../../lib/install/password.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A stdin made of `chunks`, recording raw-mode switches. */
function source(chunks: string[], terminal: boolean) {
  const rawModes: boolean[] = [];
  const input: PasswordSource = {
    isTerminal: () => terminal,
    setRaw: (raw) => rawModes.push(raw),
    readable: ReadableStream.from(chunks.map(bytes)),
  };
  return { input, rawModes };
}

Deno.test("HiddenLine keeps printable text and ends at Enter", () => {
  const line = new HiddenLine();
  assert.equal(line.feed(bytes("pa")), "more");
  assert.equal(line.feed(bytes("ss wörd\rignored")), "enter");
  assert.equal(line.value, "pass wörd");
});

Deno.test("HiddenLine: backspace removes whole characters, arrow keys are ignored", () => {
  const line = new HiddenLine();
  line.feed(bytes("ab研\x7f"));
  assert.equal(line.value, "ab");
  line.feed(bytes("c\x08\x08d\x1b[D\x1b[1;5Ce"));
  assert.equal(line.value, "ade");
  line.feed(bytes("\x7f\x7f\x7f\x7f"));
  assert.equal(line.value, "");
});

Deno.test("HiddenLine: Ctrl-C and Ctrl-D cancel", () => {
  assert.equal(new HiddenLine().feed(bytes("secret\x03")), "cancel");
  assert.equal(new HiddenLine().feed(bytes("\x04")), "cancel");
});

Deno.test("readPassword on a terminal: prompt, raw mode on then off, nothing echoed", async () => {
  const { input, rawModes } = source(["hun", "ter2\r"], true);
  const written: string[] = [];
  const password = await readPassword(input, (text) => written.push(text), "Password: ");
  assert.equal(password, "hunter2");
  assert.deepEqual(rawModes, [true, false]);
  assert.deepEqual(written, ["Password: ", "\n"]);
});

Deno.test("readPassword from a pipe takes the first line as it is", async () => {
  const { input, rawModes } = source(["p\x7fw with \x03 ", "spaces\r\nsecond line\n"], false);
  assert.equal(await readPassword(input, () => {}, ""), "p\x7fw with \x03 spaces");
  assert.deepEqual(rawModes, []);
  const eof = source(["no newline"], false);
  assert.equal(await readPassword(eof.input, () => {}, ""), "no newline");
});

Deno.test("readPassword refuses an empty or cancelled entry, restoring the terminal", async () => {
  const empty = source(["\r"], true);
  await assert.rejects(
    readPassword(empty.input, () => {}, ""),
    (error: Error) => error instanceof UsageError && /no password given/.test(error.message),
  );
  const cancelled = source(["abc\x03"], true);
  await assert.rejects(
    readPassword(cancelled.input, () => {}, ""),
    (error: Error) =>
      error instanceof UsageError && /cancelled; nothing was changed/.test(error.message),
  );
  assert.deepEqual(cancelled.rawModes, [true, false]);
  await assert.rejects(readPassword(source([], false).input, () => {}, ""), /no password given/);
});
