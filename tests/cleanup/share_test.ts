/**
 * The share's file side: statfs figures (Windows ones as inputs), paths
 * (Windows ones as inputs), listing, removal, and the ledger file.
 */
import assert from "node:assert/strict";
import { join, posix, win32 } from "node:path";
import {
  appendLedgerLine,
  EVICTING_DIR,
  evictingPath,
  isSameOrInside,
  ledgerFileName,
  type LedgerLine,
  listLeftovers,
  listShare,
  readLedger,
  readShareCopy,
  removeTree,
  spaceFromStatfs,
} from "../../lib/cleanup/mod.ts";
import { OperationFailedError } from "../../lib/errors.ts";
import { sha256Hex } from "../../lib/storage/mod.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";
import { withTempDir } from "../_helpers/temp.ts";

Deno.test("statfs figures: free is what this account may write, total the whole file system", () => {
  assert.deepEqual(
    spaceFromStatfs({ bsize: 4096n, blocks: 1000n, bavail: 250n }, "linux", "/mnt/share"),
    { freeBytes: 1_024_000, totalBytes: 4_096_000 },
  );
  // A 100 TiB ZFS share reporting 512-byte blocks: no precision lost.
  const blocks = 100n * 2n ** 40n / 512n;
  assert.deepEqual(
    spaceFromStatfs({ bsize: 512n, blocks, bavail: blocks / 4n }, "linux", "/mnt/share"),
    { freeBytes: 25 * 2 ** 40, totalBytes: 100 * 2 ** 40 },
  );
});

Deno.test("statfs figures on Windows: cluster counts capped at 32 bits are refused", () => {
  const share = "\\\\truenas\\fusion-backup";
  assert.deepEqual(
    spaceFromStatfs({ bsize: 1048576n, blocks: 16_000_000n, bavail: 4_000_000n }, "windows", share),
    { freeBytes: 4_000_000 * 1048576, totalBytes: 16_000_000 * 1048576 },
  );
  for (
    const figures of [
      { bsize: 4096n, blocks: 0xFFFF_FFFFn, bavail: 100n },
      { bsize: 4096n, blocks: 0xFFFF_FFFFn, bavail: 0xFFFF_FFFFn },
    ]
  ) {
    assert.throws(() => spaceFromStatfs(figures, "windows", share), (error: unknown) => {
      assert.ok(error instanceof OperationFailedError);
      assert.match(error.message, /share at \\\\truenas\\fusion-backup capped at 2\^32 clusters/);
      return true;
    });
  }
  // The same count elsewhere is simply large.
  assert.equal(
    spaceFromStatfs({ bsize: 4096n, blocks: 0xFFFF_FFFFn, bavail: 1n }, "linux", "/x").totalBytes,
    0xFFFF_FFFF * 4096,
  );
});

Deno.test("statfs figures that cannot be true are refused", () => {
  for (
    const figures of [
      { bsize: 4096n, blocks: 0n, bavail: 0n },
      { bsize: 4096n, blocks: 10n, bavail: 11n },
    ]
  ) {
    assert.throws(
      () => spaceFromStatfs(figures, "linux", "/mnt/share"),
      /reports .* free of .*: its free space cannot be trusted/,
    );
  }
});

Deno.test("isSameOrInside with POSIX and Windows paths", () => {
  assert.equal(isSameOrInside("/share/_manifest", "/share", posix), true);
  assert.equal(isSameOrInside("/share", "/share", posix), true);
  assert.equal(isSameOrInside("/share/f1/x/_manifest", "/share/f1/x", posix), true);
  assert.equal(isSameOrInside("/share/f1", "/share/f1/x", posix), false);
  assert.equal(isSameOrInside("/share/..f1", "/share", posix), true);
  assert.equal(isSameOrInside("/other", "/share", posix), false);
  assert.equal(isSameOrInside("/share-2", "/share", posix), false);
  const unc = "\\\\truenas\\fusion-backup";
  assert.equal(isSameOrInside(`${unc}\\_manifest`, unc, win32), true);
  assert.equal(isSameOrInside(`${unc}\\_MANIFEST`, `${unc}\\_manifest`, win32), true);
  assert.equal(isSameOrInside("Z:\\fusion-backup", unc, win32), false);
  assert.equal(isSameOrInside("Z:\\_manifest", "z:\\", win32), true);
  assert.equal(isSameOrInside("C:\\_manifest", "Z:\\", win32), false);
});

Deno.test("evictingPath: beside the study, under its instrument", () => {
  assert.equal(
    evictingPath("/share/fusion-01/20250301_x", posix),
    `/share/fusion-01/${EVICTING_DIR}/20250301_x`,
  );
  assert.equal(
    evictingPath("\\\\truenas\\fusion-backup\\fusion-01\\20250301_x", win32),
    `\\\\truenas\\fusion-backup\\fusion-01\\${EVICTING_DIR}\\20250301_x`,
  );
  assert.equal(evictingPath("Z:\\fusion-01\\s", win32), `Z:\\fusion-01\\${EVICTING_DIR}\\s`);
});

Deno.test("listShare: the backup level only, without dot names or whatever holds the manifest", async () => {
  await withTempDir(async (root) => {
    for (
      const dir of ["f1/b", "f1/a", "f1/.evicting/old", "f2/c", ".zfs/snapshot/x", "_manifest"]
    ) {
      await Deno.mkdir(join(root, dir), { recursive: true });
    }
    await Deno.mkdir(join(root, "f3", "nested", "_manifest"), { recursive: true });
    await Deno.mkdir(join(root, "f3", "other"), { recursive: true });
    await Deno.writeTextFile(join(root, "f1", "notes.txt"), "x");
    await Deno.writeTextFile(join(root, ".cleanup.lock"), "{}");
    await Deno.writeTextFile(join(root, "README.txt"), "x");
    await Deno.symlink(join(root, "f1"), join(root, "f4"));
    const manifestHere = await listShare(root, join(root, "_manifest"));
    assert.deepEqual(manifestHere.map((entry) => [entry.instrument, entry.name, entry.kind]), [
      ["f1", "a", "dir"],
      ["f1", "b", "dir"],
      ["f1", "notes.txt", "file"],
      ["f2", "c", "dir"],
      ["f3", "nested", "dir"],
      ["f3", "other", "dir"],
    ]);
    assert.equal(manifestHere[0]?.path, join(root, "f1", "a"));
    const nested = await listShare(root, join(root, "f3", "nested", "_manifest"));
    assert.deepEqual(
      nested.filter((entry) => entry.instrument === "f3").map((entry) => entry.name),
      ["other"],
      "a folder holding the manifest is never a candidate",
    );
    const inInstrument = await listShare(root, join(root, "f2"));
    assert.ok(!inInstrument.some((entry) => entry.instrument === "f2"));
  });
});

Deno.test("listLeftovers: what the .evicting folders hold", async () => {
  await withTempDir(async (root) => {
    await Deno.mkdir(join(root, "f1", EVICTING_DIR, "s1", "sub"), { recursive: true });
    await Deno.mkdir(join(root, "f2", "s2"), { recursive: true });
    await Deno.writeTextFile(join(root, "f3"), "not a folder");
    assert.deepEqual(await listLeftovers(root), [{
      instrument: "f1",
      name: "s1",
      path: join(root, "f1", EVICTING_DIR, "s1"),
      originalPath: join(root, "f1", "s1"),
    }]);
  });
});

// Needs symbolic links: see CANNOT_SYMLINK for where they cannot be made.
Deno.test("readShareCopy: files with sizes, links apart, the sidecar parsed or its error", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "a", "empty"), { recursive: true });
    await Deno.writeTextFile(join(dir, "a", "x.bin"), "12345");
    await Deno.symlink(join(dir, "a"), join(dir, "link"));
    let copy = await readShareCopy(dir);
    assert.deepEqual([...copy.files], [["a/x.bin", 5]]);
    assert.deepEqual(copy.others, ["link"]);
    assert.equal(copy.sidecar, undefined);
    await Deno.writeTextFile(join(dir, "_checksums.sha256"), `${"b".repeat(64)}  a/x.bin\n`);
    copy = await readShareCopy(dir);
    assert.deepEqual(copy.sidecar, [{ path: "a/x.bin", sha256Hex: "b".repeat(64) }]);
    // The list's own digest, of its bytes as stored, for the record's sidecar_sha256.
    assert.equal(
      copy.sidecarSha256,
      sha256Hex(new TextEncoder().encode(`${"b".repeat(64)}  a/x.bin\n`)),
    );
    await Deno.writeTextFile(join(dir, "_checksums.sha256"), "garbage\n");
    copy = await readShareCopy(dir);
    assert.match(String(copy.sidecar), /_checksums\.sha256: line 1 is not/);
  });
});

// Needs symbolic links: see CANNOT_SYMLINK for where they cannot be made.
Deno.test("removeTree: files, folders and links go; a link's target is never touched", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await withTempDir(async (dir) => {
    const outside = join(dir, "outside");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "keep.txt"), "keep");
    const tree = join(dir, "tree");
    await Deno.mkdir(join(tree, "a", "b", "empty"), { recursive: true });
    await Deno.writeTextFile(join(tree, "a", "b", "f.bin"), "123");
    await Deno.writeTextFile(join(tree, "top.bin"), "4567");
    await Deno.symlink(outside, join(tree, "a", "to-outside"));
    const removal = await removeTree(tree);
    assert.equal(removal.failed, 0);
    assert.deepEqual(removal.errors, []);
    assert.equal(removal.files, 3);
    await assert.rejects(Deno.lstat(tree), Deno.errors.NotFound);
    assert.equal(await Deno.readTextFile(join(outside, "keep.txt")), "keep");
    assert.deepEqual(await removeTree(tree), { files: 0, bytes: 0, errors: [], failed: 0 });
  });
});

Deno.test("the ledger: one JSON line per event in cleanup-YYYY-MM.jsonl, month of the line (UTC)", async () => {
  assert.equal(ledgerFileName(new Date("2025-04-30T23:59:59Z")), "cleanup-2025-04.jsonl");
  assert.equal(ledgerFileName(new Date("2025-05-01T00:00:00Z")), "cleanup-2025-05.jsonl");
  await withTempDir(async (dir) => {
    const manifestRoot = join(dir, "_manifest");
    const line: LedgerLine = {
      event: "evicted",
      backup_name: "f1/s",
      path: "/share/f1/s",
      evicting_path: "/share/f1/.evicting/s",
      files: 2,
      bytes: 10,
      completed_at: "2025-01-01T00:00:00Z",
      s3_uri: "s3://lab/f1/s/",
      started_at: "2025-05-20T02:00:00Z",
      evicted_at: "2025-05-20T02:00:01Z",
      share_bytes: 100,
      free_before_bytes: 10,
      free_before_pct: 10,
      free_after_bytes: 20,
      free_after_pct: 20,
      resumed: false,
      host: "fusion-pc",
      error: null,
    };
    const at = new Date("2025-05-20T02:00:01Z");
    const file = await appendLedgerLine(manifestRoot, line, at);
    assert.equal(file, join(manifestRoot, "cleanup-2025-05.jsonl"));
    // A torn line (a crash mid-append) is not glued to the next one.
    await Deno.writeTextFile(file, '{"event":"evic', { append: true });
    await appendLedgerLine(manifestRoot, { ...line, event: "eviction_failed" }, at);
    const lines = (await Deno.readTextFile(file)).split("\n");
    assert.deepEqual(JSON.parse(lines[0]!), line);
    assert.equal(lines[1], '{"event":"evic');
    assert.equal(JSON.parse(lines[2]!).event, "eviction_failed");
    assert.equal(lines[3], "");
    // Read back, every month in order, the torn line counted and left out.
    await appendLedgerLine(manifestRoot, line, new Date("2025-04-02T00:00:00Z"));
    await Deno.writeTextFile(join(manifestRoot, "2025-05.jsonl"), "{}\n");
    const read = await readLedger(manifestRoot);
    assert.deepEqual(read.lines.map((item) => item.event), [
      "evicted",
      "evicted",
      "eviction_failed",
    ]);
    assert.equal(read.unreadable, 1);
    assert.deepEqual(await readLedger(join(dir, "none")), { lines: [], unreadable: 0 });
  });
});
