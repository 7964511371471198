import assert from "node:assert/strict";
import { join } from "node:path";
import {
  appendRecord,
  manifestFileName,
  manifestFilesInFoldOrder,
  type ManifestRecord,
  parseManifest,
  parseManifestFileName,
  readManifest,
  recordProblem,
  timestamp,
} from "../../lib/manifest/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { UNDER_WINE } from "../_helpers/wine.ts";

function record(
  name: string,
  status: ManifestRecord["status"],
  startedAt: string,
  instrument = "fusion-01",
): ManifestRecord {
  return {
    backup_name: `${instrument}/${name}`,
    run_name: name,
    instrument,
    source_path: `D:\\FusionData\\${name}`,
    truenas_path: `\\\\truenas\\fusion-backup\\${instrument}\\${name}`,
    s3_uri: `s3://bucket/fusion/${instrument}/${name}/`,
    file_count: 3,
    total_bytes: 1234,
    status,
    started_at: startedAt,
    truenas_verified_at: null,
    s3_verified_at: null,
    completed_at: status === "complete" ? startedAt : null,
    source_deleted_at: null,
    error: null,
  };
}

Deno.test("records go to their instrument's file of the month of started_at, in UTC", () => {
  assert.equal(manifestFileName("2025-04-01T02:00:03Z", "fusion-01"), "2025-04.fusion-01.jsonl");
  assert.equal(
    manifestFileName(new Date("2025-04-30T23:30:00-02:00"), "Fusion.B_2"),
    "2025-05.Fusion.B_2.jsonl",
  );
  assert.throws(
    () => manifestFileName("2025-04-01T02:00:03Z", "../x"),
    /"\.\.\/x" cannot name an instrument's manifest file: use letters, digits/,
  );
  assert.equal(timestamp(new Date("2025-04-01T02:00:03.456Z")), "2025-04-01T02:00:03Z");
});

Deno.test("manifest file names: every instrument's, the older shared one, nothing else", () => {
  assert.deepEqual(parseManifestFileName("2025-04.fusion-01.jsonl"), {
    month: "2025-04",
    instrument: "fusion-01",
  });
  assert.deepEqual(parseManifestFileName("2025-04.a.jsonl.jsonl"), {
    month: "2025-04",
    instrument: "a.jsonl",
  });
  assert.deepEqual(parseManifestFileName("2025-04.jsonl"), {
    month: "2025-04",
    instrument: undefined,
  });
  for (
    const other of [
      "cleanup-2025-04.jsonl",
      "2025-04.fusion-01 - Copy.jsonl",
      "2025-04..jsonl",
      "2025-04.jsonl.bak",
      "2025-4.fusion-01.jsonl",
      "2025-04.x/y.jsonl",
    ]
  ) {
    assert.equal(parseManifestFileName(other), undefined, other);
  }
  // Month first; in a month the shared file of earlier versions before any instrument's own.
  assert.deepEqual(
    manifestFilesInFoldOrder([
      "2025-05.fusion-02.jsonl",
      "cleanup-2025-04.jsonl",
      "2025-04.fusion-02.jsonl",
      "2025-04.jsonl",
      "2025-03.jsonl",
      "2025-04.fusion-01.jsonl",
    ]),
    [
      "2025-03.jsonl",
      "2025-04.jsonl",
      "2025-04.fusion-01.jsonl",
      "2025-04.fusion-02.jsonl",
      "2025-05.fusion-02.jsonl",
    ],
  );
});

Deno.test("appendRecord writes one JSON line per record and readers fold to the latest", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "_manifest");
    const path = await appendRecord(root, record("a", "in_progress", "2025-04-01T02:00:00Z"));
    await appendRecord(root, record("b", "failed_s3", "2025-04-01T03:00:00Z"));
    await appendRecord(root, record("a", "complete", "2025-04-01T02:00:00Z"));
    assert.equal(path, join(root, "2025-04.fusion-01.jsonl"));
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.equal(lines.length, 4);
    assert.equal(lines[3], "");
    assert.deepEqual(
      JSON.parse(lines[0] ?? ""),
      record("a", "in_progress", "2025-04-01T02:00:00Z"),
    );
    const contents = await readManifest(root);
    assert.deepEqual(contents.files, [path]);
    assert.equal(contents.records.length, 3);
    assert.deepEqual([...contents.latest.keys()], ["fusion-01/a", "fusion-01/b"]);
    assert.equal(contents.latest.get("fusion-01/a")?.status, "complete");
    assert.deepEqual(contents.warnings, []);
  });
});

Deno.test("a folder folds its monthly files in month order; a missing folder is empty", async () => {
  await withTempDir(async (dir) => {
    await appendRecord(dir, record("a", "complete", "2025-05-01T00:00:00Z"));
    await appendRecord(dir, record("a", "in_progress", "2025-04-01T00:00:00Z"));
    await Deno.writeTextFile(join(dir, "cleanup-2025-05.jsonl"), "not a manifest\n");
    await Deno.writeTextFile(join(dir, "notes.txt"), "x");
    const contents = await readManifest(dir);
    assert.deepEqual(contents.files.map((f) => f.slice(dir.length + 1)), [
      "2025-04.fusion-01.jsonl",
      "2025-05.fusion-01.jsonl",
    ]);
    assert.equal(contents.latest.get("fusion-01/a")?.status, "complete");
    assert.deepEqual(await readManifest(join(dir, "missing")), {
      files: [],
      records: [],
      latest: new Map(),
      warnings: [],
    });
  });
});

Deno.test("each instrument appends to its own file; the folder reads every instrument's", async () => {
  await withTempDir(async (dir) => {
    const one = await appendRecord(dir, record("a", "in_progress", "2025-04-01T02:00:00Z"));
    const two = await appendRecord(
      dir,
      record("a", "in_progress", "2025-04-01T02:00:00Z", "fusion-02"),
    );
    await appendRecord(dir, record("a", "complete", "2025-04-01T02:00:00Z", "fusion-02"));
    await appendRecord(dir, record("a", "complete", "2025-04-01T02:00:00Z"));
    assert.equal(one, join(dir, "2025-04.fusion-01.jsonl"));
    assert.equal(two, join(dir, "2025-04.fusion-02.jsonl"));
    for (const [path, instrument] of [[one, "fusion-01"], [two, "fusion-02"]]) {
      const lines = (await Deno.readTextFile(path ?? "")).trim().split("\n");
      assert.deepEqual(lines.map((line) => JSON.parse(line).instrument), [instrument, instrument]);
    }
    const contents = await readManifest(dir);
    assert.deepEqual(contents.files, [one, two]);
    assert.deepEqual(
      [...contents.latest.values()].map((r) => [r.backup_name, r.status]),
      [["fusion-01/a", "complete"], ["fusion-02/a", "complete"]],
    );
    assert.deepEqual(contents.warnings, []);
  });
});

Deno.test("a share with the shared files of earlier versions and per-instrument files reads as one", async () => {
  await withTempDir(async (dir) => {
    const lines = (...records: ManifestRecord[]) =>
      records.map((r) => `${JSON.stringify(r)}\n`).join("");
    // Written by earlier versions: one file per month, both instruments in it.
    await Deno.writeTextFile(
      join(dir, "2025-03.jsonl"),
      lines(
        record("old", "in_progress", "2025-03-01T02:00:00Z"),
        record("old", "in_progress", "2025-03-01T02:00:00Z", "fusion-02"),
        record("old", "complete", "2025-03-01T02:00:00Z"),
        record("old", "complete", "2025-03-01T02:00:00Z", "fusion-02"),
      ),
    );
    // April: fusion-01 failed under the old version, was upgraded and ran again the same month.
    await Deno.writeTextFile(
      join(dir, "2025-04.jsonl"),
      lines(
        record("mid", "in_progress", "2025-04-01T02:00:00Z"),
        record("mid", "failed_s3", "2025-04-01T02:00:00Z"),
        record("gone", "complete", "2025-04-01T03:00:00Z", "fusion-02"),
      ),
    );
    await appendRecord(dir, record("mid", "in_progress", "2025-04-20T02:00:00Z"));
    await appendRecord(dir, record("mid", "complete", "2025-04-20T02:00:00Z"));
    await appendRecord(dir, record("new", "complete", "2025-05-01T02:00:00Z", "fusion-02"));
    await Deno.writeTextFile(join(dir, "cleanup-2025-05.jsonl"), "{}\n");

    const contents = await readManifest(dir);
    assert.deepEqual(contents.files.map((file) => file.slice(dir.length + 1)), [
      "2025-03.jsonl",
      "2025-04.jsonl",
      "2025-04.fusion-01.jsonl",
      "2025-05.fusion-02.jsonl",
    ]);
    assert.deepEqual(
      [...contents.latest.values()].map((r) => [r.backup_name, r.status, r.started_at]).sort(),
      [
        ["fusion-01/mid", "complete", "2025-04-20T02:00:00Z"],
        ["fusion-01/old", "complete", "2025-03-01T02:00:00Z"],
        ["fusion-02/gone", "complete", "2025-04-01T03:00:00Z"],
        ["fusion-02/new", "complete", "2025-05-01T02:00:00Z"],
        ["fusion-02/old", "complete", "2025-03-01T02:00:00Z"],
      ],
    );
    assert.deepEqual(contents.warnings, []);
  });
});

Deno.test("a record of another instrument in an instrument's file is kept, with a warning", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "2025-04.Fusion-01.jsonl");
    await Deno.writeTextFile(
      path,
      `${JSON.stringify(record("a", "complete", "2025-04-01T02:00:00Z", "Fusion-01"))}\n` +
        `${JSON.stringify(record("b", "complete", "2025-04-01T02:00:00Z", "fusion-01"))}\n`,
    );
    const contents = await readManifest(dir);
    assert.deepEqual([...contents.latest.keys()], ["Fusion-01/a", "fusion-01/b"]);
    assert.equal(contents.warnings.length, 1);
    assert.equal(contents.warnings[0]?.line, 2);
    assert.match(
      contents.warnings[0]?.message ?? "",
      /^a record of instrument 'fusion-01' in the file of 'Fusion-01': two PCs are writing one manifest file; give every PC its own \[backup\] instrument name/,
    );
  });
});

Deno.test("a torn last line is skipped with a warning, and the next append starts a new line", async () => {
  await withTempDir(async (dir) => {
    const path = await appendRecord(dir, record("a", "complete", "2025-04-01T00:00:00Z"));
    const torn = JSON.stringify(record("b", "in_progress", "2025-04-01T00:00:00Z")).slice(0, 40);
    await Deno.writeTextFile(path, torn, { append: true });
    const before = await readManifest(dir);
    assert.deepEqual([...before.latest.keys()], ["fusion-01/a"]);
    assert.equal(before.warnings.length, 1);
    assert.match(before.warnings[0]?.message ?? "", /torn last line/);
    assert.equal(before.warnings[0]?.line, 2);
    await appendRecord(dir, record("c", "complete", "2025-04-02T00:00:00Z"));
    const after = await readManifest(dir);
    assert.deepEqual([...after.latest.keys()], ["fusion-01/a", "fusion-01/c"]);
    assert.equal(after.warnings.length, 1);
    assert.match(after.warnings[0]?.message ?? "", /not valid JSON/);
  });
});

// Two processes of one machine on one file (the same instrument; the cleanup ledger): appends
// there are atomic. Two machines never share a file (see the per-instrument tests above).
// Wine 8.0 writes an append-only handle with pwrite at the size it last saw, not O_APPEND, so two
// processes can overwrite each other's record; Windows appends atomically. Under Wine it cannot tell.
Deno.test("two processes of one machine appending at once never interleave records", {
  ignore: UNDER_WINE,
}, async () => {
  await withTempDir(async (dir) => {
    const script = `
      import { appendRecord } from ${
      JSON.stringify(new URL("../../lib/manifest/mod.ts", import.meta.url).href)
    };
      const [dir, tag] = Deno.args;
      for (let i = 0; i < 200; i++) {
        await appendRecord(dir, {
          backup_name: tag + "/" + i, run_name: "x".repeat(500), instrument: "fusion-01", source_path: "s",
          truenas_path: "t", s3_uri: "u", file_count: i, total_bytes: i, status: "complete",
          started_at: "2025-04-01T00:00:00Z", truenas_verified_at: null, s3_verified_at: null,
          completed_at: null, source_deleted_at: null, error: null,
        });
      }`;
    const file = join(dir, "writer.ts");
    await Deno.writeTextFile(file, script);
    const manifest = join(dir, "m");
    const writers = ["p1", "p2"].map((tag) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-lock",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          file,
          manifest,
          tag,
        ],
        stdout: "null",
        stderr: "inherit",
      }).output()
    );
    for (const status of await Promise.all(writers)) assert.equal(status.code, 0);
    const contents = await readManifest(manifest);
    assert.deepEqual(contents.warnings, []);
    assert.equal(contents.records.length, 400);
    assert.equal(contents.latest.size, 400);
  });
});

Deno.test("lines that are JSON but not records are skipped with a warning", () => {
  const good = JSON.stringify(record("a", "complete", "2025-04-01T00:00:00Z"));
  const bad = JSON.stringify({
    ...record("b", "complete", "2025-04-01T00:00:00Z"),
    status: "done",
  });
  const parsed = parseManifest(`${good}\n${bad}\n[1]\n\n`, "m.jsonl");
  assert.equal(parsed.records.length, 1);
  assert.deepEqual(parsed.warnings.map((w) => w.line), [2, 3]);
  assert.match(parsed.warnings[0]?.message ?? "", /'status' is not one of/);
  assert.equal(
    recordProblem({ ...record("c", "complete", "x"), file_count: -1 }),
    "'file_count' is not a whole number",
  );
  assert.equal(
    recordProblem({ ...record("c", "complete", "x"), error: 3 }),
    "'error' is neither a string nor null",
  );
});

Deno.test("sidecar_sha256: a digest or null, and absent in the records of earlier versions", () => {
  const digest = "ab".repeat(32);
  const earlier = record("a", "complete", "2025-04-01T00:00:00Z");
  assert.equal("sidecar_sha256" in earlier, false);
  assert.equal(recordProblem(earlier), undefined);
  assert.equal(recordProblem({ ...earlier, sidecar_sha256: null }), undefined);
  assert.equal(recordProblem({ ...earlier, sidecar_sha256: digest }), undefined);
  for (const bad of ["AB".repeat(32), "ab".repeat(31), 7]) {
    assert.equal(
      recordProblem({ ...earlier, sidecar_sha256: bad }),
      "'sidecar_sha256' is neither a SHA-256 hex digest nor null",
    );
  }
  const parsed = parseManifest(
    `${JSON.stringify(earlier)}\n${JSON.stringify({ ...earlier, sidecar_sha256: digest })}\n`,
    "m.jsonl",
  );
  assert.deepEqual(parsed.warnings, []);
  assert.deepEqual(parsed.records.map((r) => r.sidecar_sha256), [undefined, digest]);
});
