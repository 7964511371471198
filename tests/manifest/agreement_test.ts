import assert from "node:assert/strict";
import {
  disagreementsWithRecord,
  recordedSidecarSha256,
  unrecordedSidecarNote,
} from "../../lib/manifest/mod.ts";
import { manifestRecord } from "../_helpers/manifest.ts";

const RECORDED = "a".repeat(64);
const OTHER = "b".repeat(64);
const NAME = "_checksums.sha256";

Deno.test("a copy agrees when its sidecar digest, file count and bytes are the record's", () => {
  const record = manifestRecord("fusion-01/s", { sidecar_sha256: RECORDED });
  const copy = { sidecarName: NAME, sidecarSha256: RECORDED, files: 3, bytes: 300 };
  assert.deepEqual(disagreementsWithRecord(record, copy), []);
  // What a copy cannot tell is not held against it: missing files, a list checked elsewhere.
  assert.deepEqual(
    disagreementsWithRecord(record, { ...copy, sidecarSha256: undefined, files: undefined }),
    [],
  );
  assert.deepEqual(disagreementsWithRecord(record, { ...copy, bytes: undefined }), []);
});

Deno.test("each disagreement is named with both values", () => {
  const record = manifestRecord("fusion-01/s", { sidecar_sha256: RECORDED });
  assert.deepEqual(
    disagreementsWithRecord(record, {
      sidecarName: NAME,
      sidecarSha256: OTHER,
      files: 3,
      bytes: 299,
    }),
    [
      `its ${NAME} has SHA-256 bbbbbbbbbbbb…, the manifest recorded aaaaaaaaaaaa… (the list was ` +
      "changed after the backup)",
      "its files hold 299 bytes, the manifest recorded 300",
    ],
  );
  // A count that differs already says the list is not the backup's; bytes would add nothing.
  assert.deepEqual(
    disagreementsWithRecord(record, {
      sidecarName: NAME,
      sidecarSha256: RECORDED,
      files: 2,
      bytes: 200,
    }),
    [`its ${NAME} lists 2 files, the manifest recorded 3`],
  );
});

Deno.test("a record of an earlier version: count and bytes are checked, the sidecar is not", () => {
  for (
    const record of [
      manifestRecord("fusion-01/s"),
      manifestRecord("fusion-01/s", { sidecar_sha256: null }),
    ]
  ) {
    assert.equal(recordedSidecarSha256(record), undefined);
    assert.deepEqual(
      disagreementsWithRecord(record, {
        sidecarName: NAME,
        sidecarSha256: OTHER,
        files: 3,
        bytes: 300,
      }),
      [],
    );
    assert.deepEqual(
      disagreementsWithRecord(record, {
        sidecarName: NAME,
        sidecarSha256: OTHER,
        files: 3,
        bytes: 301,
      }),
      ["its files hold 301 bytes, the manifest recorded 300"],
    );
  }
  assert.match(
    unrecordedSidecarNote(manifestRecord("fusion-01/s"), NAME),
    /^the manifest record of fusion-01\/s holds no sidecar_sha256 .*: _checksums\.sha256 itself could not be checked against the manifest; its file count and bytes were$/,
  );
});
