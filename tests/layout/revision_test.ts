import assert from "node:assert/strict";
import {
  isOwnFile,
  isRevisionPath,
  listName,
  listNames,
  listRevision,
  revisionOf,
  revisionPath,
  storingRevision,
  studyPathOf,
} from "../../lib/layout/mod.ts";

Deno.test("revisions: list names, stored paths and study paths map back and forth", () => {
  assert.equal(listName(1), "_checksums.sha256");
  assert.equal(listName(12), "_checksums.r12.sha256");
  assert.equal(listRevision("_checksums.sha256"), 1);
  assert.equal(listRevision("_checksums.r12.sha256"), 12);
  for (const name of ["_checksums.r0.sha256", "_checksums.r1x.sha256", "a/_checksums.sha256"]) {
    assert.equal(listRevision(name), undefined, name);
  }
  assert.equal(revisionPath(1, "a/b.bin"), "a/b.bin");
  assert.equal(revisionPath(3, "a/b.bin"), "_revisions/3/a/b.bin");
  assert.equal(studyPathOf("_revisions/3/a/b.bin"), "a/b.bin");
  assert.equal(studyPathOf("a/_revisions/3/b.bin"), "a/_revisions/3/b.bin");
  assert.equal(storingRevision("_revisions/3/a/b.bin"), 3);
  assert.equal(storingRevision("_revisions/12/b.bin"), 12);
  assert.equal(storingRevision("a/_revisions/3/b.bin"), 1);
  assert.equal(storingRevision("_revisions/0/b.bin"), 1, "no revision 0: a study path");
  assert.equal(storingRevision("b.bin"), 1);
  for (
    const stored of ["b.bin", "a/_revisions/3/b.bin", "_revisions/0/b.bin", "_revisions/7/a/b"]
  ) {
    assert.equal(revisionPath(storingRevision(stored), studyPathOf(stored)), stored);
  }
  assert.equal(isRevisionPath("_revisions/3/a"), true);
  assert.equal(isRevisionPath("a/_revisions"), false);
  assert.equal(revisionOf({}), 1);
  assert.equal(revisionOf({ revision: 4 }), 4);
  assert.equal(listNames(1), "_checksums.sha256");
  assert.equal(listNames(2), "any of _checksums.sha256, _checksums.r2.sha256");
  assert.equal(isOwnFile("_checksums.r2.sha256"), true);
  assert.equal(isOwnFile(".fusion-toolkit-copied.jsonl"), true);
  assert.equal(isOwnFile("a/_checksums.sha256"), false);
});
