import assert from "node:assert/strict";
import { editDistance } from "../../lib/text/mod.ts";

Deno.test("editDistance counts each typo as one edit", () => {
  const study = "20250302_bob_tonsil_r1";
  assert.equal(editDistance(study, study), 0);
  assert.equal(editDistance(study, "20250302_bob_tonsil_r2"), 1, "a character replaced");
  assert.equal(editDistance(study, `${study}x`), 1, "one added");
  assert.equal(editDistance(study, "20250302_bob_tonsl_r1"), 1, "one missing");
  assert.equal(editDistance(study, "20250302_bob_tosnil_r1"), 1, "two adjacent swapped");
  assert.equal(editDistance(study, "20250302_bob_tonsil_r12x"), 2);
});

Deno.test("editDistance: empty strings, case, and symmetry", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("Alice", "alice"), 1, "case counts; lower-case both to ignore it");
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("sitting", "kitten"), 3);
  // Each part is edited once: "ca" -> "abc" is three edits, not two (swap, then insert between).
  assert.equal(editDistance("ca", "abc"), 3);
});
