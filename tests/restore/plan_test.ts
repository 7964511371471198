/** The pure decisions of a restore (lib/restore/plan.ts), Windows inputs included. */
import assert from "node:assert/strict";
import { OperationFailedError, UsageError } from "../../lib/errors.ts";
import type { BackupStatus, ManifestRecord } from "../../lib/manifest/mod.ts";
import { manifestRecord } from "../_helpers/manifest.ts";
import {
  chooseSource,
  resolveBackup,
  type ShareFacts,
  typicalWait,
  unsafePathReason,
} from "../../lib/restore/mod.ts";

function record(name: string, status: BackupStatus = "complete"): ManifestRecord {
  const failed = status !== "complete";
  return manifestRecord(name, {
    status,
    s3_uri: `s3://lab-archive/fusion/${name}/`,
    ...(failed ? { s3_verified_at: null, completed_at: null, error: "upload: boom" } : {}),
  });
}

const LATEST = new Map(
  [
    record("fusion-01/20250301_alice_lung_panel1"),
    record("fusion-01/20250302_bob_tonsil_run2"),
    record("fusion-02/20250302_bob_tonsil_run2"),
  ].map((r) => [r.backup_name, r]),
);

/** How the user starts the program (lib/invocation.ts), for the hint that lists the backups. */
const COMMAND = "fusion-toolkit.exe";

Deno.test("resolveBackup: <instrument>/<study>, a bare unambiguous study, Windows slashes", () => {
  const alice = "fusion-01/20250301_alice_lung_panel1";
  assert.equal(resolveBackup(alice, LATEST, "m", COMMAND).backup_name, alice);
  assert.equal(
    resolveBackup("20250301_alice_lung_panel1", LATEST, "m", COMMAND).backup_name,
    alice,
  );
  assert.equal(
    resolveBackup("fusion-01\\20250301_alice_lung_panel1\\", LATEST, "m", COMMAND).backup_name,
    alice,
  );
});

Deno.test("resolveBackup: ambiguous and unknown names are usage errors that help", () => {
  assert.throws(
    () => resolveBackup("20250302_bob_tonsil_run2", LATEST, "m", COMMAND),
    (error: unknown) =>
      error instanceof UsageError &&
      error.message ===
        "'20250302_bob_tonsil_run2' was backed up from several instruments " +
          "(fusion-01/20250302_bob_tonsil_run2, fusion-02/20250302_bob_tonsil_run2): name one as " +
          "<instrument>/<study>",
  );
  assert.throws(
    () =>
      resolveBackup(
        "fusion-03/20250302_bob_tonsil_run2",
        LATEST,
        "Z:\\_manifest",
        "deno run -A main.ts",
      ),
    (error: unknown) =>
      error instanceof UsageError &&
      /^no backup named 'fusion-03\/20250302_bob_tonsil_run2' in the manifest Z:\\_manifest \(did you mean fusion-01\/20250302_bob_tonsil_run2, fusion-02\/20250302_bob_tonsil_run2\?\); `deno run -A main\.ts manifest show` lists them$/
        .test(error.message),
  );
  // A typo of a character or two lists the near names, nearest first.
  assert.throws(
    () => resolveBackup("fusion-01/20250302_bob_tonsil_run3", LATEST, "m", COMMAND),
    /\(did you mean fusion-01\/20250302_bob_tonsil_run2, fusion-02\/20250302_bob_tonsil_run2\?\)/,
  );
  assert.throws(
    () => resolveBackup("20250301_alice_lung_pnael1", LATEST, "m", COMMAND),
    /\(did you mean fusion-01\/20250301_alice_lung_panel1\?\)/,
  );
  assert.throws(
    () => resolveBackup("fusion-01/20250301_alice_lung_panel12", LATEST, "m", COMMAND),
    /\(did you mean fusion-01\/20250301_alice_lung_panel1\?\)/,
  );
  // A part of a name lists the backups it is part of.
  assert.throws(
    () => resolveBackup("bob_tonsil", LATEST, "m", COMMAND),
    /\(did you mean fusion-01\/20250302_bob_tonsil_run2, fusion-02\/20250302_bob_tonsil_run2\?\)/,
  );
  assert.throws(
    () => resolveBackup("nothing_like_it", LATEST, "m", COMMAND),
    /: no backup named 'nothing_like_it' in the manifest m; /,
  );
});

const SHARE_OK: ShareFacts = {
  reachable: true,
  folderPresent: true,
  sidecarPresent: true,
  folder: "\\\\truenas\\fusion-backup\\fusion-01\\S",
  root: "\\\\truenas\\fusion-backup",
};

Deno.test("chooseSource: the share when its verified copy is there, else S3, with the reason", () => {
  const complete = record("fusion-01/S");
  assert.deepEqual(chooseSource(complete, SHARE_OK, undefined), {
    source: "truenas",
    reason: "the share holds its verified copy at \\\\truenas\\fusion-backup\\fusion-01\\S",
  });
  assert.deepEqual(
    chooseSource(complete, { ...SHARE_OK, folderPresent: false, sidecarPresent: false }, undefined),
    {
      source: "s3",
      reason:
        "\\\\truenas\\fusion-backup\\fusion-01\\S is no longer on the share (cleanup evicts old backups)",
    },
  );
  assert.deepEqual(chooseSource(complete, { ...SHARE_OK, sidecarPresent: false }, undefined), {
    source: "s3",
    reason:
      "\\\\truenas\\fusion-backup\\fusion-01\\S has no _checksums.sha256 (its backup did not finish there)",
  });
  assert.deepEqual(chooseSource(complete, { ...SHARE_OK, reachable: false }, undefined), {
    source: "s3",
    reason: "the share is not reachable at \\\\truenas\\fusion-backup",
  });
  assert.deepEqual(chooseSource(complete, SHARE_OK, "s3"), { source: "s3", reason: "--from s3" });
  // A backup whose S3 upload failed still has its verified share copy.
  assert.equal(
    chooseSource(record("fusion-01/S", "failed_s3"), SHARE_OK, undefined).source,
    "truenas",
  );
});

Deno.test("chooseSource: a source that cannot serve is a failure saying what to do", () => {
  const gone = { ...SHARE_OK, folderPresent: false, sidecarPresent: false };
  assert.throws(
    () => chooseSource(record("fusion-01/S"), gone, "truenas"),
    (error: unknown) =>
      error instanceof OperationFailedError &&
      /^cannot restore fusion-01\/S from the share: .* is no longer on the share .*; restore it from S3 with --from s3$/
        .test(error.message),
  );
  assert.throws(
    () => chooseSource(record("fusion-01/S", "failed_s3"), SHARE_OK, "s3"),
    /: cannot restore fusion-01\/S from S3: its S3 copy is not verified \(manifest status failed_s3\); restore it from the share with --from truenas$/,
  );
  assert.throws(
    () => chooseSource(record("fusion-01/S", "failed_s3"), gone, undefined),
    /: cannot restore fusion-01\/S: .* is no longer on the share .*, and its S3 copy is not verified/,
  );
});

Deno.test("unsafePathReason refuses paths that could leave the destination", () => {
  assert.equal(unsafePathReason("exp/Scan1/a.qptiff"), undefined);
  assert.equal(unsafePathReason(".temp/x"), undefined);
  assert.equal(unsafePathReason("../evil"), "a '..' path segment");
  assert.equal(unsafePathReason("a/../../evil"), "a '..' path segment");
  assert.equal(unsafePathReason("a//b"), "a '' path segment");
  assert.equal(unsafePathReason("./a"), "a '.' path segment");
  assert.equal(unsafePathReason("/etc/passwd"), "an absolute path");
  assert.equal(unsafePathReason("C:/Windows/x"), "an absolute path");
  assert.equal(unsafePathReason("c:evil"), "an absolute path");
  assert.equal(unsafePathReason("a\\..\\..\\evil"), "a backslash in the path");
  assert.equal(unsafePathReason(""), "an empty path");
});

Deno.test("typicalWait", () => {
  assert.equal(typicalWait("GLACIER", "Standard"), "3-5 hours");
  assert.equal(typicalWait("GLACIER", "Bulk"), "5-12 hours");
  assert.equal(typicalWait("DEEP_ARCHIVE", "Standard"), "within 12 hours");
  assert.equal(typicalWait("DEEP_ARCHIVE", "Bulk"), "within 48 hours");
});
