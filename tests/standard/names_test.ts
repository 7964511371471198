import assert from "node:assert/strict";
import {
  checkExperimentName,
  checkFprName,
  checkNameLength,
  checkStudyName,
  EXAMPLE_STUDY_NAME,
  isCalendarDate,
  MAX_EXPERIMENT_NAME_LENGTH,
} from "../../lib/standard/names.ts";

const rulesOf = (violations: readonly { rule: string }[]) => violations.map((v) => v.rule);

Deno.test("isCalendarDate accepts real days and leap days", () => {
  for (const date of ["20250301", "20240229", "20000229", "19991231", "20250131", "20250430"]) {
    assert.equal(isCalendarDate(date), true, date);
  }
});

Deno.test("isCalendarDate rejects impossible days, century non-leap years and bad shapes", () => {
  for (const date of ["20230229", "19000229", "21000229", "20250230", "20250431", "20251301"]) {
    assert.equal(isCalendarDate(date), false, date);
  }
  for (
    const date of ["20250001", "20250100", "2025031", "202503011", "2025-03-01", "00000101", ""]
  ) {
    assert.equal(isCalendarDate(date), false, date);
  }
});

Deno.test("R1 passes a 4-field study name with a real date", () => {
  const check = checkStudyName(EXAMPLE_STUDY_NAME);
  assert.equal(check.ok, true);
  assert.deepEqual(check.violations, []);
  assert.deepEqual(check.fields.map((f) => [f.label, f.value, f.ok]), [
    ["date", "20250301", true],
    ["user", "alice", true],
    ["project", "lung", true],
    ["customname", "panel1", true],
  ]);
});

Deno.test("R1 passes a leap day and fails 29 February of a common year", () => {
  assert.equal(checkStudyName("20240229_alice_lung_panel1").ok, true);
  const check = checkStudyName("20230229_alice_lung_panel1");
  assert.deepEqual(rulesOf(check.violations), ["R1"]);
  assert.match(check.violations[0]?.message ?? "", /20230229 is not a real calendar date/);
  assert.equal(check.fields[0]?.ok, false);
});

Deno.test("R1 fails a study name with 3 or 5 fields and marks the missing or extra field", () => {
  const short = checkStudyName("20250301_alice_lung");
  assert.deepEqual(rulesOf(short.violations), ["R1"]);
  assert.match(short.violations[0]?.message ?? "", /has 3 fields; it needs exactly 4/);
  assert.deepEqual(short.fields.map((f) => [f.label, f.ok]), [
    ["date", true],
    ["user", true],
    ["project", true],
    ["customname", false],
  ]);
  const long = checkStudyName("20250301_alice_lung_panel1_extra");
  assert.deepEqual(rulesOf(long.violations), ["R1"]);
  assert.equal(long.fields[4]?.label, "extra");
  assert.equal(long.fields[4]?.ok, false);
});

Deno.test("R1 fails a date field that is not YYYYMMDD", () => {
  const check = checkStudyName("2025-03-01_alice_lung_panel1");
  assert.deepEqual(rulesOf(check.violations), ["R1"]);
  assert.match(check.fields[0]?.reason ?? "", /not YYYYMMDD/);
});

Deno.test("R3 fails fields with characters outside [A-Za-z0-9-] and empty fields", () => {
  const spaced = checkStudyName("20250301_al ice_lung_panel.1");
  assert.deepEqual(rulesOf(spaced.violations), ["R3", "R3"]);
  assert.match(spaced.violations[0]?.message ?? "", /user 'al ice' contains a space/);
  assert.match(spaced.violations[1]?.message ?? "", /customname 'panel\.1' contains '\.'/);
  const empty = checkStudyName("20250301__lung_panel1");
  assert.deepEqual(rulesOf(empty.violations), ["R3"]);
  assert.match(empty.violations[0]?.message ?? "", /user is empty/);
  assert.equal(checkStudyName("20250301_alice-b_lung-2_Panel-X9").ok, true);
});

Deno.test("several name rules broken at once are all reported", () => {
  const check = checkStudyName("20231301_bob!_lung");
  assert.deepEqual(rulesOf(check.violations), ["R1", "R1", "R3"]);
});

Deno.test("R2 passes the 4-field form and a 5-field suffix", () => {
  assert.equal(checkExperimentName(EXAMPLE_STUDY_NAME, EXAMPLE_STUDY_NAME).ok, true);
  const five = checkExperimentName(EXAMPLE_STUDY_NAME, `${EXAMPLE_STUDY_NAME}_B-2`);
  assert.equal(five.ok, true);
  assert.deepEqual(five.fields.map((f) => [f.label, f.value, f.ok]), [["suffix", "B-2", true]]);
});

Deno.test("R2 fails a suffix with '_' or other characters, and a foreign name", () => {
  const underscore = checkExperimentName(EXAMPLE_STUDY_NAME, `${EXAMPLE_STUDY_NAME}_B_2`);
  assert.deepEqual(rulesOf(underscore.violations), ["R2"]);
  assert.match(underscore.violations[0]?.message ?? "", /suffix 'B_2' contains '_'/);
  assert.deepEqual(
    rulesOf(checkExperimentName(EXAMPLE_STUDY_NAME, `${EXAMPLE_STUDY_NAME}_`).violations),
    ["R2"],
  );
  const foreign = checkExperimentName(EXAMPLE_STUDY_NAME, "20250301_bob_lung_panel1");
  assert.deepEqual(rulesOf(foreign.violations), ["R2"]);
  assert.match(foreign.violations[0]?.message ?? "", /must be named/);
});

Deno.test("R3 allows an experiment name of exactly 60 characters and fails 61", () => {
  const study = "20250301_alice_lung_panel1"; // 26 characters
  const at60 = `${study}_${"x".repeat(MAX_EXPERIMENT_NAME_LENGTH - study.length - 1)}`;
  assert.equal(at60.length, 60);
  assert.equal(checkExperimentName(study, at60).ok, true);
  const at61 = `${at60}y`;
  const check = checkExperimentName(study, at61);
  assert.deepEqual(rulesOf(check.violations), ["R3"]);
  assert.match(check.violations[0]?.message ?? "", /is 61 characters; the limit is 60/);
});

Deno.test("checkNameLength shows a name's length against 60 and agrees with R3", () => {
  const study = "20250301_alice_lung_panel1";
  assert.deepEqual(checkNameLength(study), {
    label: "length",
    value: "26",
    ok: true,
    rule: "R3",
    reason: "26 of at most 60 characters",
  });
  const at60 = `${study}_${"x".repeat(MAX_EXPERIMENT_NAME_LENGTH - study.length - 1)}`;
  const at61 = `${at60}y`;
  assert.equal(checkNameLength(at60).ok, true);
  assert.equal(checkNameLength(at60).reason, "60 of at most 60 characters");
  const long = checkNameLength(at61);
  assert.equal(long.ok, false);
  assert.equal(long.reason, "61 characters; the limit is 60 (Windows path length)");
  for (const name of [at60, at61]) {
    const r3 = checkExperimentName(study, name).violations.some((v) => v.rule === "R3");
    assert.equal(checkNameLength(name).ok, !r3, name);
  }
});

Deno.test("R7 passes '_'-separated .fpr names and fails bad characters or empty fields", () => {
  assert.deepEqual(checkFprName("20250301_alice_lung_panel1.fpr"), []);
  assert.deepEqual(checkFprName("any-name_2.fpr"), []);
  assert.deepEqual(checkFprName("ANY.FPR"), []);
  assert.deepEqual(rulesOf(checkFprName("panel one.fpr")), ["R7"]);
  assert.deepEqual(rulesOf(checkFprName("a__b.fpr")), ["R7"]);
  assert.deepEqual(rulesOf(checkFprName(".fpr")), ["R7"]);
});
