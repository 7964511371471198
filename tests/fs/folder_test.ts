/**
 * readFolderSync against Deno's own reader, on real folders: it must answer
 * exactly as `Deno.readDirSync` does (names, kinds, errors), since the
 * listing of a study decides what the backup deletes. Runs in both lanes:
 * getdents64 on Linux, FindFirstFileExW/FindNextFileW under Wine.
 */
import assert from "node:assert/strict";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { entryKind, searchPattern } from "../../lib/fs/folder.ts";
import { readFolderSync } from "../../lib/fs/mod.ts";
import { CANNOT_JUNCTION, CANNOT_SYMLINK } from "../_helpers/links.ts";
import { withTempDir } from "../_helpers/temp.ts";

/** Runs `body` (synchronous, as the reader is) in a fresh temp folder. */
function inTempDir(body: (dir: string) => void): Promise<void> {
  return withTempDir((dir) => Promise.resolve(body(dir)));
}

/** `name kind` per entry, sorted: how two listings are compared. */
function ours(dir: string): string[] {
  return readFolderSync(dir).map((entry) => `${entry.name} ${entry.kind}`).sort();
}

function deno(dir: string): string[] {
  return Array.from(Deno.readDirSync(dir), (entry) => `${entry.name} ${entryKind(entry)}`).sort();
}

Deno.test("readFolderSync lists a folder of thousands of long names as Deno does", async () => {
  await inTempDir((dir) => {
    // 3,000 names of 150+ characters: some 100 batches of the OS's call, not one.
    for (let file = 0; file < 3000; file++) {
      Deno.writeFileSync(join(dir, `${"tile_".repeat(30)}${file}.bin`), new Uint8Array(0));
    }
    for (const name of [".hidden", "études é.txt", "日本語.qptiff", "emoji 😀.txt", "a b"]) {
      Deno.writeTextFileSync(join(dir, name), "x");
    }
    Deno.mkdirSync(join(dir, "empty folder"));
    Deno.mkdirSync(join(dir, "Scan1", ".temp"), { recursive: true });
    const listed = ours(dir);
    assert.equal(listed.length, 3007);
    assert.deepEqual(listed, deno(dir));
    assert.ok(listed.includes("Scan1 dir") && listed.includes("日本語.qptiff file"));
    assert.deepEqual(ours(join(dir, "empty folder")), []);
  });
});

Deno.test("readFolderSync reports links as links, as Deno does", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await inTempDir((dir) => {
    Deno.mkdirSync(join(dir, "target"));
    Deno.writeTextFileSync(join(dir, "file"), "x");
    Deno.symlinkSync(join(dir, "target"), join(dir, "to folder"));
    Deno.symlinkSync(join(dir, "file"), join(dir, "to file"));
    Deno.symlinkSync(join(dir, "nowhere"), join(dir, "dangling"));
    assert.deepEqual(ours(dir), [
      "dangling symlink",
      "file file",
      "target dir",
      "to file symlink",
      "to folder symlink",
    ]);
    assert.deepEqual(ours(dir), deno(dir));
  });
});

Deno.test("readFolderSync reports a junction as a link, as Deno does", {
  ignore: CANNOT_JUNCTION,
}, async () => {
  await inTempDir((dir) => {
    Deno.mkdirSync(join(dir, "target"));
    symlinkSync(join(dir, "target"), join(dir, "junction"), "junction");
    assert.deepEqual(ours(dir), ["junction symlink", "target dir"]);
    assert.deepEqual(ours(dir), deno(dir));
  });
});

Deno.test("readFolderSync lists a folder whose path passes 260 characters", async () => {
  await inTempDir((dir) => {
    // Made with short names, then each folder renamed to a long one from the deepest up, so no
    // path Deno is given passes 260 characters: under Wine, Deno's scoped write permission
    // fails past that (docs/development.md, "The Windows lane").
    const levels = 8;
    const short = Array.from({ length: levels }, (_, level) => `${level}`);
    Deno.mkdirSync(join(dir, ...short, "inner"), { recursive: true });
    Deno.writeTextFileSync(join(dir, ...short, "tile.bin"), "x");
    const long = "d".repeat(40);
    for (let level = levels; level > 0; level--) {
      const parent = join(dir, ...short.slice(0, level - 1));
      Deno.renameSync(join(parent, short[level - 1]!), join(parent, long));
    }
    const deep = join(dir, ...Array(levels).fill(long));
    assert.ok(deep.length > 320);
    assert.deepEqual(ours(deep), ["inner dir", "tile.bin file"]);
    assert.deepEqual(ours(deep), deno(deep));
  });
});

/**
 * Calls `use` with the C library's open(2), close(2) and mkfifo(3): Deno makes neither a
 * named pipe nor a file whose name is not valid UTF-8.
 */
function withLibc(use: (libc: Deno.DynamicLibrary<typeof LIBC>["symbols"]) => void): void {
  const libc = Deno.dlopen("libc.so.6", LIBC);
  try {
    use(libc.symbols);
  } finally {
    libc.close();
  }
}

const LIBC = {
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
} as const;

/** `path` as the C library takes it: its bytes, then NUL. */
function cPath(...parts: (string | number)[]): Uint8Array {
  const bytes = parts.flatMap((part) =>
    typeof part === "number" ? [part] : [...new TextEncoder().encode(part)]
  );
  return new Uint8Array([...bytes, 0]);
}

Deno.test("readFolderSync reports a named pipe as neither file, folder nor link, as Deno does", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await inTempDir((dir) => {
    withLibc((libc) => assert.equal(libc.mkfifo(cPath(`${dir}/pipe`), 0o644), 0));
    Deno.writeTextFileSync(join(dir, "file"), "x");
    assert.deepEqual(ours(dir), ["file file", "pipe other"]);
    assert.deepEqual(ours(dir), deno(dir));
  });
});

Deno.test("readFolderSync keeps a name that is not valid UTF-8, spelled as Deno spells it", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await inTempDir((dir) => {
    const O_WRONLY_CREAT = 0o101;
    withLibc((libc) => {
      const fd = libc.open(cPath(`${dir}/bad`, 0xff), O_WRONLY_CREAT, 0o644);
      assert.ok(fd >= 0, "the test file was created");
      libc.close(fd);
    });
    assert.deepEqual(ours(dir), ["bad\uFFFD file"]);
    assert.deepEqual(ours(dir), deno(dir));
  });
});

Deno.test("readFolderSync fails as Deno's reader does: no folder, or a file", async () => {
  await inTempDir((dir) => {
    Deno.writeTextFileSync(join(dir, "file"), "x");
    for (const path of [join(dir, "missing"), join(dir, "file")]) {
      const denoError = (() => {
        try {
          Deno.readDirSync(path);
        } catch (error) {
          return error as Error;
        }
        assert.fail(`Deno listed ${path}`);
      })();
      assert.throws(() => readFolderSync(path), (error: Error) => {
        assert.equal(error.constructor, denoError.constructor);
        assert.equal(error.message, denoError.message);
        return true;
      });
    }
  });
});

Deno.test("searchPattern spells a long Windows path as a \\\\?\\ one, as Rust does", () => {
  assert.equal(searchPattern("C:\\Fusion\\study"), "C:\\Fusion\\study\\*");
  assert.equal(searchPattern("C:/Fusion/study/"), "C:\\Fusion\\study\\*");
  const long = `C:\\Fusion\\${"d".repeat(250)}`;
  assert.equal(searchPattern(long), `\\\\?\\${long}\\*`);
  const share = `\\\\truenas\\fusion-backup\\${"d".repeat(250)}`;
  assert.equal(searchPattern(share), `\\\\?\\UNC\\truenas\\fusion-backup\\${"d".repeat(250)}\\*`);
  const verbatim = `\\\\?\\C:\\${"d".repeat(250)}`;
  assert.equal(searchPattern(verbatim), `${verbatim}\\*`);
});
