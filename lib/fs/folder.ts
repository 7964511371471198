/**
 * Lists one folder through the OS's own calls: `getdents64` on Linux,
 * `FindFirstFileExW`/`FindNextFileW` on Windows, by `Deno.dlopen`.
 *
 * Why not `Deno.readDirSync`: Deno 2.9 hands a folder's entries to
 * JavaScript all at once, at some 460 bytes of heap each, so a study's
 * `.temp` folder of 100,000 tiles cost 46 MB each time it was walked (and
 * the backup walks it three times). Read here, the OS fills one reused
 * buffer with a batch of entries and only each entry's name and kind are
 * kept: a bare walk of that study peaked at 65 MiB instead of 107, in 0.42 s
 * instead of 0.6 (docs/development.md, "What peak memory is made of").
 *
 * The answer is Deno's, entry for entry: the same names (`.` and `..`
 * left out; a name that is not valid Unicode decoded with U+FFFD, as Deno
 * does, so it cannot be opened and a walk reports it) and the same kinds
 * (Linux: the entry's type, else `lstat`; Windows: a reparse point whose
 * tag is a name surrogate is a link, as in Rust's standard library, which
 * Deno uses). tests/fs/folder_test.ts compares the two in both lanes. When
 * the OS call fails, Deno's own reader lists the folder instead, so an
 * error reads exactly as Deno words it (and a folder that became readable
 * meanwhile is listed whole). On other systems Deno's reader is used.
 *
 * Needs the `ffi` permission (lib/permissions/table.ts says which commands
 * keep it).
 *
 * @module
 */
import { win32 } from "node:path";

/** What a directory entry is, without following links. */
export type EntryKind = "file" | "dir" | "symlink" | "other";

/** One entry of a folder: its own name and what it is. */
export interface FolderEntry {
  readonly name: string;
  readonly kind: EntryKind;
}

/** The entries of one folder, in the OS's order: all of them or, when the OS call failed, none. */
type NativeReader = (dir: string) => FolderEntry[] | undefined;

/**
 * Every entry of the folder `dir`, unsorted, links not followed.
 *
 * @throws {Deno.errors.NotFound} and Deno's other errors, as `Deno.readDirSync` throws them.
 */
export function readFolderSync(dir: string): FolderEntry[] {
  return nativeReader()(dir) ?? readWithDeno(dir);
}

function readWithDeno(dir: string): FolderEntry[] {
  return Array.from(
    Deno.readDirSync(dir),
    (entry) => ({ name: entry.name, kind: entryKind(entry) }),
  );
}

/** The kind of what Deno listed or `lstat`ed. */
export function entryKind(entry: Deno.DirEntry | Deno.FileInfo): EntryKind {
  if (entry.isSymlink) return "symlink";
  if (entry.isDirectory) return "dir";
  if (entry.isFile) return "file";
  return "other";
}

let reader: NativeReader | undefined;

function nativeReader(): NativeReader {
  reader ??= Deno.build.os === "linux"
    ? linuxReader()
    : Deno.build.os === "windows"
    ? windowsReader()
    : () => undefined;
  return reader;
}

/** A batch of entries per call: the size glibc's own `readdir` uses. */
const BATCH_BYTES = 32 * 1024;

// linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated).
const RECORD_LENGTH_AT = 16;
const TYPE_AT = 18;
const NAME_AT = 19;
const DT_UNKNOWN = 0;
const DT_DIR = 4;
const DT_REG = 8;
const DT_LNK = 10;

function linuxReader(): NativeReader {
  const libc = Deno.dlopen("libc.so.6", {
    opendir: { parameters: ["buffer"], result: "pointer" },
    dirfd: { parameters: ["pointer"], result: "i32" },
    getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    closedir: { parameters: ["pointer"], result: "i32" },
  }).symbols;
  const batch = new Uint8Array(BATCH_BYTES);
  const encoder = new TextEncoder();
  const utf8 = new TextDecoder();
  const linuxKind = (type: number, dir: string, name: string): EntryKind =>
    type === DT_DIR
      ? "dir"
      : type === DT_REG
      ? "file"
      : type === DT_LNK
      ? "symlink"
      : type === DT_UNKNOWN
      ? entryKind(Deno.lstatSync(`${dir}/${name}`))
      : "other";
  return (dir) => {
    // A NUL would end the path early, and the OS would list another folder.
    if (dir.includes("\0")) return undefined;
    const stream = libc.opendir(encoder.encode(`${dir}\0`));
    if (stream === null) return undefined;
    try {
      const fd = libc.dirfd(stream);
      const entries: FolderEntry[] = [];
      for (;;) {
        const filled = Number(libc.getdents64(fd, batch, BigInt(BATCH_BYTES)));
        if (filled < 0) return undefined;
        if (filled === 0) return entries;
        for (
          let at = 0;
          at < filled;
          at += batch[at + RECORD_LENGTH_AT]! | batch[at + RECORD_LENGTH_AT + 1]! << 8
        ) {
          const name = utf8.decode(batch.subarray(at + NAME_AT, batch.indexOf(0, at + NAME_AT)));
          if (name === "." || name === "..") continue;
          entries.push({ name, kind: linuxKind(batch[at + TYPE_AT]!, dir, name) });
        }
      }
    } finally {
      libc.closedir(stream);
    }
  };
}

// WIN32_FIND_DATAW: dwFileAttributes at 0, dwReserved0 (the reparse tag) at 36, cFileName
// (260 UTF-16 units, NUL-terminated) at 44; 592 bytes in all.
const FIND_DATA_BYTES = 592;
const RESERVED0_AT = 36;
const FILE_NAME_AT = 44;
const FILE_NAME_UNITS = 260;
const FILE_ATTRIBUTE_DIRECTORY = 0x10;
const FILE_ATTRIBUTE_REPARSE_POINT = 0x400;
const NAME_SURROGATE_TAG = 0x20000000;
const FIND_EX_INFO_BASIC = 1;
const FIND_EX_SEARCH_NAME_MATCH = 0;
const FIND_FIRST_EX_LARGE_FETCH = 2;
const ERROR_NO_MORE_FILES = 18;
/** Rust's standard library (and so Deno) spells longer paths as `\\?\` ones. */
const LONGEST_PLAIN_PATH = 247;

function windowsReader(): NativeReader {
  const kernel32 = Deno.dlopen("kernel32.dll", {
    FindFirstFileExW: {
      parameters: ["buffer", "i32", "buffer", "i32", "pointer", "u32"],
      result: "isize",
    },
    FindNextFileW: { parameters: ["isize", "buffer"], result: "i32" },
    FindClose: { parameters: ["isize"], result: "i32" },
    GetLastError: { parameters: [], result: "u32" },
  }).symbols;
  const found = new Uint8Array(FIND_DATA_BYTES);
  const fields = new DataView(found.buffer);
  const utf16 = new TextDecoder("utf-16le");
  const windowsKind = (): EntryKind => {
    const attributes = fields.getUint32(0, true);
    const linked = (attributes & FILE_ATTRIBUTE_REPARSE_POINT) !== 0 &&
      (fields.getUint32(RESERVED0_AT, true) & NAME_SURROGATE_TAG) !== 0;
    return linked ? "symlink" : (attributes & FILE_ATTRIBUTE_DIRECTORY) !== 0 ? "dir" : "file";
  };
  const foundName = (): string => {
    let units = 0;
    while (units < FILE_NAME_UNITS && fields.getUint16(FILE_NAME_AT + 2 * units, true) !== 0) {
      units++;
    }
    return utf16.decode(found.subarray(FILE_NAME_AT, FILE_NAME_AT + 2 * units));
  };
  return (dir) => {
    if (dir.includes("\0")) return undefined;
    const pattern = `${searchPattern(dir)}\0`;
    const wide = new Uint16Array(pattern.length);
    for (let unit = 0; unit < pattern.length; unit++) wide[unit] = pattern.charCodeAt(unit);
    const search = kernel32.FindFirstFileExW(
      wide,
      FIND_EX_INFO_BASIC,
      found,
      FIND_EX_SEARCH_NAME_MATCH,
      null,
      FIND_FIRST_EX_LARGE_FETCH,
    );
    if (Number(search) === -1) return undefined;
    try {
      const entries: FolderEntry[] = [];
      do {
        const name = foundName();
        if (name !== "." && name !== "..") entries.push({ name, kind: windowsKind() });
      } while (kernel32.FindNextFileW(search, found) !== 0);
      // Any other reason to stop is an error: Deno's reader then says which.
      return kernel32.GetLastError() === ERROR_NO_MORE_FILES ? entries : undefined;
    } finally {
      kernel32.FindClose(search);
    }
  };
}

/**
 * `dir\*`, spelled as a `\\?\` path when long, as Rust's standard library
 * spells it for `Deno.readDirSync`. Pure.
 */
export function searchPattern(dir: string): string {
  const pattern = win32.join(win32.resolve(dir), "*");
  if (pattern.length <= LONGEST_PLAIN_PATH || /^\\\\[?.]\\/.test(pattern)) return pattern;
  return pattern.startsWith("\\\\") ? `\\\\?\\UNC\\${pattern.slice(2)}` : `\\\\?\\${pattern}`;
}
