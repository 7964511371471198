/**
 * Text encodings of Fusion.log, told apart by the file's first bytes: UTF-8
 * (with or without a byte-order mark) and UTF-16 little-endian (what .NET
 * calls `Encoding.Unicode`: with its mark, or recognised without one when
 * the file starts with two ASCII characters). Pure.
 *
 * @module
 */

/** How a log file's bytes become text. */
export interface LogEncoding {
  /** The WHATWG encoding label, for `TextDecoder`. */
  readonly label: "utf-8" | "utf-16le";
  /** Bytes of the byte-order mark at the start of the file, skipped. */
  readonly bomLength: number;
  /** Bytes per code unit: lines start and end only at multiples of this. */
  readonly unitBytes: 1 | 2;
}

const UTF8: LogEncoding = { label: "utf-8", bomLength: 0, unitBytes: 1 };
const UTF8_BOM: LogEncoding = { label: "utf-8", bomLength: 3, unitBytes: 1 };
const UTF16LE: LogEncoding = { label: "utf-16le", bomLength: 0, unitBytes: 2 };
const UTF16LE_BOM: LogEncoding = { label: "utf-16le", bomLength: 2, unitBytes: 2 };

function isAscii(byte: number | undefined): boolean {
  return byte !== undefined && byte > 0 && byte < 0x80;
}

/**
 * The encoding of a file that starts with `head` (its first bytes; at least
 * 4 to recognise UTF-16 without a mark). Anything else is read as UTF-8,
 * invalid bytes becoming U+FFFD.
 */
export function detectEncoding(head: Uint8Array): LogEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return UTF8_BOM;
  if (head[0] === 0xff && head[1] === 0xfe) return UTF16LE_BOM;
  if (isAscii(head[0]) && head[1] === 0 && isAscii(head[2]) && head[3] === 0) return UTF16LE;
  return UTF8;
}

/**
 * The index just past the last line ending in `bytes[0, length)`, or 0 when
 * there is none. In UTF-16 a line ends with the code unit 0x000A at an even
 * index (`bytes` must start at a code-unit boundary of the file): a 0x0A
 * byte elsewhere is half of another character.
 */
export function lastLineEnd(bytes: Uint8Array, length: number, encoding: LogEncoding): number {
  if (encoding.unitBytes === 1) return bytes.subarray(0, length).lastIndexOf(0x0a) + 1;
  for (let index = (length & ~1) - 2; index >= 0; index -= 2) {
    if (bytes[index] === 0x0a && bytes[index + 1] === 0) return index + 2;
  }
  return 0;
}
