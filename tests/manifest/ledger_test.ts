import assert from "node:assert/strict";
import { join } from "node:path";
import {
  appendRecord,
  manifestFileName,
  type ManifestRecord,
  parseManifest,
  readManifest,
  recordProblem,
  timestamp,
} from "../../lib/manifest/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { UNDER_WINE } from "../_helpers/wine.ts";

function record(name: string, status: ManifestRecord["status"], startedAt: string): ManifestRecord {
  return {
    backup_name: `fusion-01/${name}`,
    run_name: name,
    instrument: "fusion-01",
    source_path: `D:\\FusionData\\${name}`,
    truenas_path: `\\\\truenas\\fusion-backup\\fusion-01\\${name}`,
    s3_uri: `s3://bucket/fusion/fusion-01/${name}/`,
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

Deno.test("records go to the month of started_at, in UTC", () => {
  assert.equal(manifestFileName("2025-04-01T02:00:03Z"), "2025-04.jsonl");
  assert.equal(manifestFileName(new Date("2025-04-30T23:30:00-02:00")), "2025-05.jsonl");
  assert.equal(timestamp(new Date("2025-04-01T02:00:03.456Z")), "2025-04-01T02:00:03Z");
});

Deno.test("appendRecord writes one JSON line per record and readers fold to the latest", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "_manifest");
    const path = await appendRecord(root, record("a", "in_progress", "2025-04-01T02:00:00Z"));
    await appendRecord(root, record("b", "failed_s3", "2025-04-01T03:00:00Z"));
    await appendRecord(root, record("a", "complete", "2025-04-01T02:00:00Z"));
    assert.equal(path, join(root, "2025-04.jsonl"));
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
      "2025-04.jsonl",
      "2025-05.jsonl",
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

// Wine 8.0 writes an append-only handle with pwrite at the size it last saw, not O_APPEND, so two
// processes can overwrite each other's record; Windows appends atomically. Under Wine it cannot tell.
Deno.test("two processes appending at once never interleave records", {
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
          backup_name: tag + "/" + i, run_name: "x".repeat(500), instrument: tag, source_path: "s",
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
