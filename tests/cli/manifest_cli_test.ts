/** `manifest show` as a user runs it: read permission only. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { appendRecord, type ManifestRecord } from "../../lib/manifest/mod.ts";
import { runMain } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";

function record(
  name: string,
  status: ManifestRecord["status"],
  error: string | null = null,
  instrument = "fusion-01",
) {
  return {
    backup_name: `${instrument}/${name}`,
    run_name: name,
    instrument,
    source_path: `/data/${name}`,
    truenas_path: `/nas/${instrument}/${name}`,
    s3_uri: `s3://b/${instrument}/${name}/`,
    file_count: 12,
    total_bytes: 5 * 1024 * 1024,
    status,
    started_at: "2025-04-01T02:00:03Z",
    truenas_verified_at: null,
    s3_verified_at: null,
    completed_at: status === "complete" ? "2025-04-01T03:00:00Z" : null,
    source_deleted_at: null,
    error,
  } satisfies ManifestRecord;
}

Deno.test("manifest show: one row per backup with its latest state, errors below", async () => {
  await withTempDir(async (dir) => {
    await appendRecord(dir, record("b_study", "in_progress"));
    await appendRecord(dir, record("a_study", "failed_s3", "upload: cannot reach S3"));
    await appendRecord(dir, record("b_study", "complete"));
    const result = await runMain(["manifest", "show", join(dir, "2025-04.fusion-01.jsonl")], {
      permissions: ["--allow-read"],
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        "backup             status     files     size  started               completed             source deleted",
        "-----------------  ---------  -----  -------  --------------------  --------------------  --------------",
        "fusion-01/a_study  failed_s3     12  5.0 MiB  2025-04-01T02:00:03Z  -                     -",
        "fusion-01/b_study  complete      12  5.0 MiB  2025-04-01T02:00:03Z  2025-04-01T03:00:00Z  -",
        "fusion-01/a_study: upload: cannot reach S3",
        "",
      ].join("\n"),
    );
  });
});

Deno.test("manifest show: a torn line is a warning, a missing path exit 2", async () => {
  await withTempDir(async (dir) => {
    await appendRecord(dir, record("a", "complete"));
    await Deno.writeTextFile(join(dir, "2025-04.fusion-01.jsonl"), '{"backup_name": "x", "ru', {
      append: true,
    });
    const torn = await runMain(["manifest", "show", dir, "-f", "json"], {
      permissions: ["--allow-read"],
    });
    assert.equal(torn.code, 0);
    assert.match(torn.stderr, /^warning: .*2025-04\.fusion-01\.jsonl:2: torn last line/m);
    assert.deepEqual(Object.keys(JSON.parse(torn.stdout).backups), ["fusion-01/a"]);
    const missing = await runMain(["manifest", "show", join(dir, "nope")], {
      permissions: ["--allow-read"],
    });
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^error: manifest not found: .*nope; give a \.jsonl file or the folder\n$/,
    );
    const empty = await runMain(["manifest", "show", join(dir, "..", ".")], {
      permissions: ["--allow-read"],
    });
    assert.equal(empty.code, 0);
  });
});

Deno.test("manifest show <folder>: every instrument's files, and the shared file of earlier versions", async () => {
  await withTempDir(async (dir) => {
    // Written by an earlier version: both instruments in one file of the month.
    await Deno.writeTextFile(
      join(dir, "2025-03.jsonl"),
      [record("old", "complete"), record("old", "complete", null, "fusion-02")]
        .map((r) => `${JSON.stringify({ ...r, started_at: "2025-03-01T02:00:00Z" })}\n`).join(""),
    );
    await appendRecord(dir, record("a_study", "complete"));
    await appendRecord(dir, record("b_study", "failed_s3", "upload: cannot reach S3", "fusion-02"));
    const result = await runMain(["manifest", "show", dir, "-f", "json"], {
      permissions: ["--allow-read"],
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const backups = JSON.parse(result.stdout).backups;
    assert.deepEqual(
      Object.entries(backups).map(([name, r]) => [name, (r as ManifestRecord).status]).sort(),
      [
        ["fusion-01/a_study", "complete"],
        ["fusion-01/old", "complete"],
        ["fusion-02/b_study", "failed_s3"],
        ["fusion-02/old", "complete"],
      ],
    );
  });
});
