import assert from "node:assert/strict";
import {
  checkExperimentName,
  checkStudyName,
  EXAMPLE_STUDY_NAME,
  MAX_EXPERIMENT_NAME_LENGTH,
} from "../../lib/standard/names.ts";
import { evaluateStudy } from "../../lib/standard/rules.ts";
import {
  EXAMPLE_EXPERIMENT_NAME,
  experimentView,
  folderView,
  listingOfFiles,
  studyView,
} from "../../web/view.ts";

const STUDIES = [
  EXAMPLE_STUDY_NAME,
  "20240229_alice_lung_panel1",
  "20230229_alice_lung_panel1",
  "20250301_alice_lung",
  "20250301_alice_lung_panel1_extra",
  "20250301_al.ice_lung panel_p1",
  "20250301__lung_panel1",
  `20250301_alice_lung_${"p".repeat(40)}`,
  `20250301_alice_lung_${"p".repeat(41)}`,
  "_",
];

Deno.test("the page's examples pass the CLI's rules", () => {
  assert.equal(studyView(EXAMPLE_STUDY_NAME).status, "pass");
  assert.equal(experimentView(EXAMPLE_STUDY_NAME, EXAMPLE_EXPERIMENT_NAME).status, "pass");
});

Deno.test("a study passes on the page exactly when the CLI's rules pass it and it fits 60", () => {
  for (const study of STUDIES) {
    const view = studyView(study);
    const cli = checkStudyName(study).ok && study.length <= MAX_EXPERIMENT_NAME_LENGTH;
    assert.equal(view.status, cli ? "pass" : "fail", study);
    assert.equal(view.copyText, cli ? study : null, study);
    assert.equal(view.rows.at(-1)?.label, "length", study);
    assert.equal(view.rows.filter((row) => !row.ok).length === 0, cli, study);
  }
});

Deno.test("an experiment passes on the page exactly when the CLI passes study and experiment", () => {
  for (const study of STUDIES) {
    for (const experiment of [study, `${study}_B-2`, `${study}_B_2`, `${study}_`, "other_x"]) {
      const view = experimentView(study, experiment);
      const cli = checkStudyName(study).ok && checkExperimentName(study, experiment).ok;
      assert.equal(view.status, cli ? "pass" : "fail", `${study} / ${experiment}`);
      assert.equal(view.copyText, cli ? experiment : null, `${study} / ${experiment}`);
    }
  }
});

Deno.test("experiment rows: the study's fields, the suffix, then the length", () => {
  const labels = (study: string, experiment: string) =>
    experimentView(study, experiment).rows.map((row) => `${row.label} ${row.rule} ${row.ok}`);
  assert.deepEqual(labels(EXAMPLE_STUDY_NAME, EXAMPLE_EXPERIMENT_NAME), [
    "date R1 true",
    "user R3 true",
    "project R3 true",
    "customname R3 true",
    "suffix R2 true",
    "length R3 true",
  ]);
  assert.deepEqual(labels(EXAMPLE_STUDY_NAME, EXAMPLE_STUDY_NAME), [
    "date R1 true",
    "user R3 true",
    "project R3 true",
    "customname R3 true",
    "length R3 true",
  ]);
  assert.deepEqual(labels(EXAMPLE_STUDY_NAME, "20250301_bob_lung_panel1"), [
    "name R2 false",
    "length R3 true",
  ]);
});

Deno.test("nothing typed, or no study yet: no rows, a hint, nothing to copy", () => {
  const cases = [studyView(""), experimentView("", ""), experimentView(EXAMPLE_STUDY_NAME, "")];
  for (const view of cases) {
    assert.equal(view.status, "empty");
    assert.deepEqual(view.rows, []);
    assert.equal(view.copyText, null);
  }
  const waiting = experimentView("", EXAMPLE_EXPERIMENT_NAME);
  assert.equal(waiting.status, "empty");
  assert.match(waiting.summary, /Type the study name first/);
});

Deno.test("the summary names every failing row with its rule", () => {
  assert.equal(
    studyView("20230229_al.ice_lung").summary,
    "FAIL: 3 of 5 checks fail (date R1, user R3, customname R1).",
  );
  assert.equal(
    studyView(EXAMPLE_STUDY_NAME).summary,
    `PASS: '${EXAMPLE_STUDY_NAME}' is a valid study name.`,
  );
});

const S = EXAMPLE_STUDY_NAME;

/** The file paths a browser lists for a study folder with these experiments (suffix "" is S). */
function browserFiles(experiments: readonly string[], options: { xpd?: boolean } = {}): string[] {
  return experiments.flatMap((suffix) => {
    const experiment = suffix === "" ? S : `${S}_${suffix}`;
    return [
      ...(options.xpd === false ? [] : [`${S}/${experiment}.xpd`]),
      `${S}/${experiment}/Scan1/${experiment}.qptiff`,
      `${S}/${experiment}/Scan1/.temp/tile_00000.bin`,
    ];
  });
}

Deno.test("a chosen folder's file paths become the listing the CLI's rules take", () => {
  assert.deepEqual(listingOfFiles(browserFiles([""])), {
    study: S,
    entries: [
      { path: `${S}.xpd`, kind: "file" },
      { path: S, kind: "dir" },
      { path: `${S}/Scan1`, kind: "dir" },
      { path: `${S}/Scan1/${S}.qptiff`, kind: "file" },
      { path: `${S}/Scan1/.temp`, kind: "dir" },
      { path: `${S}/Scan1/.temp/tile_00000.bin`, kind: "file" },
    ],
  });
});

Deno.test("folder: a complete study passes; an experiment without its .xpd fails R6", () => {
  assert.equal(folderView([]).status, "empty");
  const complete = folderView([...browserFiles(["", "B"]), `${S}/${S}.fpr`]);
  assert.deepEqual(complete, {
    status: "pass",
    summary: `PASS: the study folder '${S}' follows R1–R8 (7 files checked).`,
    violations: [],
  });
  // S.xpd, S/ and S_B/ without S_B.xpd: an .fpr does not stand in for it.
  const files = [...browserFiles([""]), ...browserFiles(["B"], { xpd: false }), `${S}/${S}.fpr`];
  const view = folderView(files);
  assert.equal(view.status, "fail");
  assert.equal(
    view.summary,
    `FAIL: the study folder '${S}' has 1 violation (R6; 6 files checked).`,
  );
  assert.deepEqual(view.violations, evaluateStudy(S, listingOfFiles(files).entries));
  assert.deepEqual(view.violations.map((v) => `${v.rule} ${v.path}`), [`R6 ${S}_B`]);
});
