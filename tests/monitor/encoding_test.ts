/** Encoding detection and line ends in raw bytes, UTF-16's odd 0x0A bytes included. */
import assert from "node:assert/strict";
import { detectEncoding, lastLineEnd } from "../../lib/monitor/mod.ts";

function utf16le(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index++) {
    bytes[2 * index] = text.charCodeAt(index) & 0xff;
    bytes[2 * index + 1] = text.charCodeAt(index) >> 8;
  }
  return bytes;
}

Deno.test("encodings are told apart by the first bytes", () => {
  const utf8 = new TextEncoder().encode("2025-03-01 10:00:00 INFO x\n");
  assert.deepEqual(detectEncoding(utf8), { label: "utf-8", bomLength: 0, unitBytes: 1 });
  assert.deepEqual(
    detectEncoding(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8])),
    { label: "utf-8", bomLength: 3, unitBytes: 1 },
  );
  assert.deepEqual(
    detectEncoding(new Uint8Array([0xff, 0xfe, ...utf16le("2025")])),
    { label: "utf-16le", bomLength: 2, unitBytes: 2 },
  );
  assert.deepEqual(
    detectEncoding(utf16le("2025-03-01")),
    { label: "utf-16le", bomLength: 0, unitBytes: 2 },
    "UTF-16 without a mark: every second byte zero",
  );
  assert.deepEqual(detectEncoding(new Uint8Array(0)).label, "utf-8");
  assert.deepEqual(detectEncoding(new Uint8Array([0xef, 0xbb])).label, "utf-8");
});

Deno.test("UTF-8: the end of the last complete line", () => {
  const bytes = new TextEncoder().encode("one\ntwo\nthr");
  assert.equal(lastLineEnd(bytes, bytes.length, detectEncoding(bytes)), 8);
  assert.equal(lastLineEnd(bytes, 7, detectEncoding(bytes)), 4, "only the given length counts");
  assert.equal(lastLineEnd(bytes, 3, detectEncoding(bytes)), 0);
});

Deno.test("UTF-16 LE: a 0x0A byte that is half of another character is not a line end", () => {
  // U+0A0A (bytes 0A 0A) and U+010A (bytes 0A 01) hold 0x0A at odd and even offsets.
  const bytes = utf16le("ab\n\u0a0a\u010a\u0a0a");
  const encoding = { label: "utf-16le", bomLength: 0, unitBytes: 2 } as const;
  assert.equal(lastLineEnd(bytes, bytes.length, encoding), 6);
  assert.equal(lastLineEnd(bytes, 5, encoding), 0, "an odd length ignores the half unit");
  const decoded = new TextDecoder("utf-16le").decode(bytes.subarray(0, 6));
  assert.equal(decoded, "ab\n");
});
