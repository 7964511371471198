/** The gates on their own: records, share copies and S3 listings as values. */
import assert from "node:assert/strict";
import {
  examples,
  manifestGate,
  s3Gate,
  type ShareCopy,
  shareGate,
} from "../../lib/cleanup/mod.ts";
import type { ManifestRecord } from "../../lib/manifest/mod.ts";

const NAME = "fusion-01/20250301_alice_lung_panel1";
const DIGEST = "a".repeat(64);

function record(fields: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    backup_name: NAME,
    run_name: "20250301_alice_lung_panel1",
    instrument: "fusion-01",
    source_path: "D:\\FusionData\\20250301_alice_lung_panel1",
    truenas_path: "\\\\truenas\\fusion-backup\\fusion-01\\20250301_alice_lung_panel1",
    s3_uri: "s3://lab/fusion/fusion-01/20250301_alice_lung_panel1/",
    file_count: 2,
    total_bytes: 150,
    status: "complete",
    started_at: "2025-04-01T02:00:03Z",
    truenas_verified_at: "2025-04-01T02:41:10Z",
    s3_verified_at: "2025-04-01T04:02:55Z",
    completed_at: "2025-04-01T04:02:56Z",
    source_deleted_at: "2025-04-01T04:03:01Z",
    error: null,
    ...fields,
  };
}

/** A share copy of `a.xpd` (50 bytes) and `a/Scan1/a.qptiff` (100 bytes) with its sidecar. */
function copy(fields: Partial<ShareCopy> = {}): ShareCopy {
  return {
    files: new Map([["_checksums.sha256", 150], ["a.xpd", 50], ["a/Scan1/a.qptiff", 100]]),
    others: [],
    sidecar: [{ path: "a.xpd", sha256Hex: DIGEST }, {
      path: "a/Scan1/a.qptiff",
      sha256Hex: DIGEST,
    }],
    ...fields,
  };
}

const PREFIX = "fusion/fusion-01/20250301_alice_lung_panel1/";

function listing(sizes: Record<string, number>) {
  return {
    bucket: "lab",
    keyPrefix: PREFIX,
    sizes: new Map(Object.entries(sizes).map(([path, size]) => [`${PREFIX}${path}`, size])),
  };
}

const FULL = { "_checksums.sha256": 150, "a.xpd": 50, "a/Scan1/a.qptiff": 100 };

Deno.test("manifest gate: only a complete record with a valid completed_at for this folder passes", () => {
  assert.equal(manifestGate(record(), NAME), undefined);
  assert.match(
    manifestGate(record({ status: "in_progress", completed_at: null }), NAME) ?? "",
    /^its latest manifest record is in_progress \(a backup that never finished/,
  );
  assert.equal(
    manifestGate(record({ status: "failed_s3", error: "upload: cannot reach S3" }), NAME),
    "its latest manifest record is failed_s3: upload: cannot reach S3",
  );
  assert.equal(
    manifestGate(record({ status: "failed_truenas", error: null }), NAME),
    "its latest manifest record is failed_truenas: no error recorded",
  );
  assert.match(
    manifestGate(record({ status: "failed_validation" }), NAME) ?? "",
    /failed_validation/,
  );
  for (const completed_at of [null, "", "soon"]) {
    assert.equal(
      manifestGate(record({ completed_at }), NAME),
      "its complete manifest record has no valid completed_at",
    );
  }
  assert.equal(
    manifestGate(record({ instrument: "fusion-02" }), NAME),
    "its manifest record names instrument 'fusion-02' and study '20250301_alice_lung_panel1', " +
      "not this folder",
  );
});

Deno.test("share gate: the share copy must be exactly what the sidecar and the record list", () => {
  assert.equal(shareGate(copy(), record()), undefined);
  assert.equal(
    shareGate(copy({ sidecar: undefined }), record()),
    "it has no _checksums.sha256, so what S3 must hold is unknown",
  );
  assert.equal(
    shareGate(copy({ sidecar: "line 3 is not '<sha256>  <path>'" }), record()),
    "its _checksums.sha256 is unreadable: line 3 is not '<sha256>  <path>'",
  );
  assert.equal(
    shareGate(copy({ others: ["a/link"] }), record()),
    "it holds links or special files that were never backed up: a/link",
  );
  const halfDeleted = copy({ files: new Map([["_checksums.sha256", 150], ["a.xpd", 50]]) });
  assert.equal(
    shareGate(halfDeleted, record()),
    "1 file listed in _checksums.sha256 is missing from the share copy: a/Scan1/a.qptiff",
  );
  const extra = new Map(copy().files);
  for (const name of ["notes1.txt", "notes2.txt", "notes3.txt", "notes4.txt"]) extra.set(name, 1);
  assert.equal(
    shareGate(copy({ files: extra }), record()),
    "it holds 4 files not listed in _checksums.sha256, so not in S3: notes1.txt, notes2.txt, " +
      "notes3.txt and 1 more",
  );
  assert.equal(
    shareGate(copy(), record({ total_bytes: 151 })),
    "its files hold 150 bytes, the manifest recorded 151",
  );
  assert.equal(
    shareGate(copy(), record({ file_count: 3 })),
    "its _checksums.sha256 lists 2 files, the manifest recorded 3",
  );
});

Deno.test("share gate: a file list other than the one the manifest recorded is no proof", () => {
  const listed = "b".repeat(64);
  const recorded = record({ sidecar_sha256: listed });
  assert.equal(shareGate(copy({ sidecarSha256: listed }), recorded), undefined);
  // A file changed on the share together with its line: counts and sizes agree, the list does not.
  assert.equal(
    shareGate(copy({ sidecarSha256: "c".repeat(64) }), recorded),
    "its _checksums.sha256 has SHA-256 cccccccccccc…, the manifest recorded bbbbbbbbbbbb… " +
      "(the list was changed after the backup)",
  );
  // A record of an earlier version holds no digest: its count and bytes are still checked.
  assert.equal(shareGate(copy({ sidecarSha256: "c".repeat(64) }), record()), undefined);
  assert.equal(
    shareGate(copy({ sidecarSha256: "c".repeat(64) }), record({ total_bytes: 151 })),
    "its files hold 150 bytes, the manifest recorded 151",
  );
});

Deno.test("share gate: the copy journal a backup left when it stopped right after `complete` is no reason to keep", () => {
  const files = new Map(copy().files);
  files.set(".fusion-toolkit-copied.jsonl", 300);
  assert.equal(shareGate(copy({ files }), record()), undefined);
  files.set("a/.fusion-toolkit-copied.jsonl", 300);
  assert.match(shareGate(copy({ files }), record()) ?? "", /not listed .*: a\/\.fusion-toolkit/);
});

Deno.test("share gate: a file named like the sidecar deeper in the study is an ordinary file", () => {
  const files = new Map(copy().files);
  files.set("a/_checksums.sha256", 10);
  assert.match(shareGate(copy({ files }), record()) ?? "", /not listed .*: a\/_checksums\.sha256$/);
});

Deno.test("S3 gate: every listed file and the sidecar, each with the share copy's size", () => {
  assert.equal(s3Gate(copy(), listing(FULL), record()), undefined);
  // Extra objects (empty-folder markers, a later upload) do not matter.
  assert.equal(s3Gate(copy(), listing({ ...FULL, "a/Scan1/.temp/": 0 }), record()), undefined);
  assert.equal(
    s3Gate(copy(), listing({ "a.xpd": 50, "a/Scan1/a.qptiff": 100 }), record()),
    `S3 lacks 1 of 3 files under s3://lab/${PREFIX}: _checksums.sha256`,
  );
  assert.equal(
    s3Gate(copy(), listing({}), record()),
    `S3 lacks 3 of 3 files under s3://lab/${PREFIX}: a.xpd, a/Scan1/a.qptiff, _checksums.sha256`,
  );
  assert.equal(
    s3Gate(copy(), listing({ ...FULL, "a/Scan1/a.qptiff": 99 }), record()),
    `S3 holds 1 file of the wrong size under s3://lab/${PREFIX}: ` +
      "a/Scan1/a.qptiff (99 bytes in S3, 100 on the share)",
  );
  assert.equal(
    s3Gate(copy({ sidecar: undefined }), listing(FULL), record()),
    "it has no readable _checksums.sha256",
  );
});

Deno.test("S3 gate: keys are the prefix plus the sidecar's paths, as they are, case and all", () => {
  const sidecar = [{ path: "Dir With Space/ü.xpd", sha256Hex: DIGEST }];
  const files = new Map([["_checksums.sha256", 80], ["Dir With Space/ü.xpd", 7]]);
  assert.equal(
    s3Gate(
      { files, others: [], sidecar },
      listing({ "_checksums.sha256": 80, "Dir With Space/ü.xpd": 7 }),
      record(),
    ),
    undefined,
  );
  assert.match(
    s3Gate(
      { files, others: [], sidecar },
      listing({ "_checksums.sha256": 80, "dir with space/ü.xpd": 7 }),
      record(),
    ) ?? "",
    /lacks 1 of 2/,
  );
});

Deno.test("examples: three, then a count", () => {
  assert.equal(examples(["a"]), "a");
  assert.equal(examples(["a", "b", "c"]), "a, b, c");
  assert.equal(examples(["a", "b", "c", "d", "e"]), "a, b, c and 2 more");
});

Deno.test("manifest gate: a backup whose source is still on the instrument is not evicted yet", () => {
  assert.equal(
    manifestGate(record({ source_deleted_at: null }), NAME),
    "its source is still on the instrument: the next backup run deletes it, or adds what " +
      "changed as a new revision of this backup",
  );
});

Deno.test("gates on a revised backup: every revision's files are listed; an unfinished later one's are not the backup's", () => {
  const two = record({ revision: 2, file_count: 2, total_bytes: 150 });
  const revised: ShareCopy = {
    files: new Map([
      ["_checksums.sha256", 150],
      ["_checksums.r2.sha256", 160],
      ["a.xpd", 50],
      ["a/Scan1/a.qptiff", 100], // revision 1's image, superseded in revision 2
      ["_revisions/2/a/Scan1/a.qptiff", 100],
      // What an unfinished revision 3 left: not part of this backup, and not in S3.
      ["_revisions/3/a/x.bin", 7],
    ]),
    others: [],
    sidecar: [{ path: "a.xpd", sha256Hex: DIGEST }, {
      path: "_revisions/2/a/Scan1/a.qptiff",
      sha256Hex: DIGEST,
    }],
    earlier: [{ path: "a.xpd", sha256Hex: DIGEST }, {
      path: "a/Scan1/a.qptiff",
      sha256Hex: DIGEST,
    }],
  };
  assert.equal(shareGate(revised, two), undefined);
  // The revision's own list is the one its record's digest names.
  assert.equal(
    shareGate(
      { ...revised, sidecarSha256: "d".repeat(64) },
      { ...two, sidecar_sha256: "e".repeat(64) },
    ),
    "its _checksums.r2.sha256 has SHA-256 dddddddddddd…, the manifest recorded eeeeeeeeeeee… " +
      "(the list was changed after the backup)",
  );
  const all = {
    "_checksums.sha256": 150,
    "_checksums.r2.sha256": 160,
    "a.xpd": 50,
    "a/Scan1/a.qptiff": 100,
    "_revisions/2/a/Scan1/a.qptiff": 100,
  };
  assert.equal(s3Gate(revised, listing(all), two), undefined);
  // Revision 1's superseded image must be in S3 too: once evicted, S3 is the only copy.
  const { "a/Scan1/a.qptiff": _image, ...lost } = all;
  assert.match(s3Gate(revised, listing(lost), two) ?? "", /lacks 1 of 5 .*: a\/Scan1\/a\.qptiff$/);
  assert.equal(
    shareGate({ ...revised, sidecar: undefined }, two),
    "it has no _checksums.r2.sha256, so what S3 must hold is unknown",
  );
  assert.match(
    shareGate({ ...revised, earlier: [] }, two) ?? "",
    /^it holds 1 file not listed in _checksums\.r2\.sha256, so not in S3: a\/Scan1\/a\.qptiff$/,
  );
});
