import assert from "node:assert/strict";
import { evaluateStudy, type ListedEntry, STUDY_LOCK_FILE } from "../../lib/standard/rules.ts";

const STUDY = "20250301_alice_lung_panel1";

/** The listing of a study that passes every rule, with experiments named by suffix. */
function goodListing(suffixes: readonly string[] = [""]): ListedEntry[] {
  const entries: ListedEntry[] = [];
  for (const suffix of suffixes) {
    const experiment = suffix === "" ? STUDY : `${STUDY}_${suffix}`;
    entries.push(
      { path: `${experiment}.xpd`, kind: "file" },
      { path: experiment, kind: "dir" },
      { path: `${experiment}/Scan1`, kind: "dir" },
      { path: `${experiment}/Scan1/${experiment}.qptiff`, kind: "file" },
      { path: `${experiment}/Scan1/.temp`, kind: "dir" },
      { path: `${experiment}/Scan1/.temp/tile.bin`, kind: "file" },
    );
  }
  return entries;
}

const summary = (entries: ListedEntry[], study = STUDY) =>
  evaluateStudy(study, entries).map((v) => `${v.rule} ${v.path}`);

Deno.test("a complete study passes, with one or several experiments", () => {
  assert.deepEqual(summary(goodListing()), []);
  assert.deepEqual(summary(goodListing(["", "B", "C-2"])), []);
});

Deno.test("R1 and R3: the study folder's own name is checked, located at '.'", () => {
  const study = "20230229_alice_lung_panel1";
  const entries = goodListing().map((e) => ({ ...e, path: e.path.replaceAll(STUDY, study) }));
  assert.deepEqual(summary(entries, study), ["R1 ."]);
  const dotted = "20250301_alice_lung_panel.1";
  const more = goodListing().map((e) => ({ ...e, path: e.path.replaceAll(STUDY, dotted) }));
  assert.deepEqual(summary(more, dotted), ["R3 ."]);
});

Deno.test("R2: an experiment folder with a bad suffix is reported", () => {
  assert.deepEqual(summary(goodListing(["", "B_2"])), [`R2 ${STUDY}_B_2`]);
});

Deno.test("R3: an experiment folder name over 60 characters is reported", () => {
  const long = "x".repeat(60 - STUDY.length); // one character too many with the '_'
  assert.deepEqual(summary(goodListing(["", long])), [`R3 ${STUDY}_${long}`]);
  assert.deepEqual(summary(goodListing(["", long.slice(1)])), []);
});

Deno.test("R4: a study without metadata or without experiments is reported", () => {
  const noMetadata = goodListing().filter((e) => !e.path.endsWith(".xpd"));
  assert.deepEqual(summary(noMetadata), ["R4 .", `R6 ${STUDY}`]);
  // An .fpr is metadata enough for R4; the experiment still lacks its own .xpd (R6).
  const onlyFpr = [...noMetadata, { path: `${STUDY}.fpr`, kind: "file" as const }];
  assert.deepEqual(summary(onlyFpr), [`R6 ${STUDY}`]);
  assert.deepEqual(summary([{ path: "x.fpr", kind: "file" }]), ["R4 ."]);
  assert.deepEqual(summary([]), ["R4 .", "R4 ."]);
});

Deno.test("R5: stray files, unexpected folders and links are reported; the lock file is not", () => {
  const entries = [
    ...goodListing(),
    { path: "notes.txt", kind: "file" as const },
    { path: "misc", kind: "dir" as const },
    { path: "link.xpd", kind: "symlink" as const },
    { path: `${STUDY}/Scan1/.temp/deep-link`, kind: "symlink" as const },
    { path: STUDY_LOCK_FILE, kind: "file" as const },
  ];
  assert.deepEqual(summary(entries), [
    `R5 ${STUDY}/Scan1/.temp/deep-link`,
    "R5 link.xpd",
    "R5 misc",
    "R5 notes.txt",
  ]);
  // Only a regular file named like the lock is the tool's own.
  assert.deepEqual(summary([...goodListing(), { path: STUDY_LOCK_FILE, kind: "dir" }]), [
    `R5 ${STUDY_LOCK_FILE}`,
  ]);
});

Deno.test("R5: special files (FIFOs, sockets, devices) are reported at every depth, once", () => {
  const entries = [
    ...goodListing(),
    { path: "pipe", kind: "other" as const },
    { path: `${STUDY}/Scan1/.temp/socket`, kind: "other" as const },
  ];
  assert.deepEqual(summary(entries), [`R5 ${STUDY}/Scan1/.temp/socket`, "R5 pipe"]);
});

Deno.test("R6: .xpd files and experiment folders pair one to one, both ways", () => {
  // Passing: every experiment has its .xpd and every .xpd its experiment; an .fpr pairs with nothing.
  const paired = [...goodListing(["", "B"]), { path: `${STUDY}.fpr`, kind: "file" as const }];
  assert.deepEqual(summary(paired), []);
  // An .xpd without its experiment folder.
  const entries = [...goodListing(), { path: `${STUDY}_B.xpd`, kind: "file" as const }];
  assert.deepEqual(summary(entries), [`R6 ${STUDY}_B.xpd`]);
  // An experiment folder without its .xpd (S.xpd, S/ and S_B/): with or without an .fpr.
  const unpaired = goodListing(["", "B"]).filter((e) => e.path !== `${STUDY}_B.xpd`);
  assert.deepEqual(summary(unpaired), [`R6 ${STUDY}_B`]);
  assert.deepEqual(summary([...unpaired, { path: `${STUDY}.fpr`, kind: "file" }]), [
    `R6 ${STUDY}_B`,
  ]);
  assert.match(
    evaluateStudy(STUDY, unpaired)[0]?.message ?? "",
    /^no '20250301_alice_lung_panel1_B\.xpd' beside it: every experiment directory has its own \.xpd/,
  );
  // The pairing is by exact name; only the extension's case is free.
  const upperExtension = goodListing().map((e) =>
    e.path === `${STUDY}.xpd` ? { ...e, path: `${STUDY}.XPD` } : e
  );
  assert.deepEqual(summary(upperExtension), []);
});

Deno.test("R7: a badly named .fpr is reported; it need not match an experiment", () => {
  assert.deepEqual(summary([...goodListing(), { path: "other_panel.fpr", kind: "file" }]), []);
  assert.deepEqual(summary([...goodListing(), { path: "panel one.fpr", kind: "file" }]), [
    "R7 panel one.fpr",
  ]);
});

Deno.test("R8: an experiment needs a Scan<N> holding a .qptiff file and a .temp folder", () => {
  const without = (suffix: string) => goodListing().filter((e) => !e.path.endsWith(suffix));
  assert.deepEqual(summary(without("/.temp/tile.bin").filter((e) => !e.path.endsWith("/.temp"))), [
    `R8 ${STUDY}`,
  ]);
  assert.deepEqual(summary(without(".qptiff")), [`R8 ${STUDY}`]);
  const renamed = goodListing().map((e) => ({ ...e, path: e.path.replace("/Scan1", "/ScanA") }));
  assert.deepEqual(summary(renamed), [`R8 ${STUDY}`]);
  // A .qptiff that is a folder does not count; one complete scan among several is enough.
  const qptiffDir = goodListing().map((e) =>
    e.path.endsWith(".qptiff") ? { ...e, kind: "dir" as const } : e
  );
  assert.deepEqual(summary(qptiffDir), [`R8 ${STUDY}`]);
  const twoScans = [...goodListing(), { path: `${STUDY}/Scan2`, kind: "dir" as const }];
  assert.deepEqual(summary(twoScans), []);
  // Extensions are matched without regard to case (Windows file names).
  const upper = goodListing().map((e) => ({ ...e, path: e.path.replace(".qptiff", ".QPTIFF") }));
  assert.deepEqual(summary(upper), []);
});

Deno.test("several broken rules are all reported, in rule order", () => {
  const study = "20250230_bob_lung";
  const entries: ListedEntry[] = [
    { path: `${study}_X.xpd`, kind: "file" },
    { path: `${study}_a.b`, kind: "dir" },
    { path: "readme.md", kind: "file" },
  ];
  assert.deepEqual(summary(entries, study), [
    "R1 .",
    "R1 .",
    `R2 ${study}_a.b`,
    "R5 readme.md",
    `R6 ${study}_X.xpd`,
    `R6 ${study}_a.b`,
    `R8 ${study}_a.b`,
  ]);
});
