/**
 * lib/layout/paths.ts: the one s3:// URI parser (cleanup, restore and audit
 * read manifest records' `s3_uri` through it) and the backup's paths.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  backupFolder,
  localPath,
  metadataStorageClass,
  parseS3Uri,
  s3Key,
} from "../../lib/layout/mod.ts";

Deno.test("parseS3Uri: the bucket and the key prefix without its trailing /", () => {
  assert.deepEqual(parseS3Uri("s3://lab/fusion/fusion-01/x/"), {
    bucket: "lab",
    prefix: "fusion/fusion-01/x",
  });
  assert.deepEqual(parseS3Uri("s3://lab/fusion-01/x"), { bucket: "lab", prefix: "fusion-01/x" });
  assert.deepEqual(parseS3Uri("s3://lab-archive/fusion/fusion-01/S/"), {
    bucket: "lab-archive",
    prefix: "fusion/fusion-01/S",
  });
  assert.deepEqual(parseS3Uri("s3://b/fusion-01/S/"), { bucket: "b", prefix: "fusion-01/S" });
  for (const bad of ["", "s3://lab", "s3://lab/", "https://lab/x/", "https://b/x", "lab/x/"]) {
    assert.equal(parseS3Uri(bad), undefined, bad);
  }
});

Deno.test("a backup's folder and its files' local paths", () => {
  assert.equal(backupFolder("/share", "fusion-01", "S"), join("/share", "fusion-01", "S"));
  assert.equal(localPath("/share", "a/b/c.txt"), join("/share", "a", "b", "c.txt"));
});

Deno.test("metadata objects stay readable when the data goes to an archive class", () => {
  assert.equal(metadataStorageClass("DEEP_ARCHIVE"), "STANDARD");
  assert.equal(metadataStorageClass("GLACIER"), "STANDARD");
  assert.equal(metadataStorageClass("STANDARD_IA"), "STANDARD_IA");
});

Deno.test("s3Key joins with '/', dropping leading, trailing and doubled slashes", () => {
  assert.equal(
    s3Key("fusion", "fusion-01", "20250301_a_b_c", "Scan1/x.qptiff"),
    "fusion/fusion-01/20250301_a_b_c/Scan1/x.qptiff",
  );
  assert.equal(s3Key("", "fusion-01", "study"), "fusion-01/study");
  assert.equal(s3Key("/fusion/raw/", "/a//b/", "c"), "fusion/raw/a/b/c");
  assert.equal(s3Key("", "_manifest", "2025-04.jsonl"), "_manifest/2025-04.jsonl");
  assert.equal(s3Key("p", "dir with space/ü 漢字.txt"), "p/dir with space/ü 漢字.txt");
  assert.equal(s3Key(""), "");
});
