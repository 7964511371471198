/**
 * The one assessment of a study: which studies are due, the newest change,
 * what the walk finds (links, special files, unreadable folders), and that
 * validate's verdict is the backup's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findStudyLocks, lockStudy, STUDY_LOCK_FILE } from "../../lib/layout/mod.ts";
import {
  assessFolder,
  assessRoot,
  changeSince,
  dueStudies,
  EMPTY_LISTING,
  listingChange,
  type StudyAssessment,
  validateStudy,
} from "../../lib/study/mod.ts";
import { makeSampleStudy } from "../../scripts/sample_data.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { CANNOT_UNREAD, respectingPermissions } from "../_helpers/unreadable.ts";

const DAY = 86_400_000;
const NOW = new Date("2025-06-30T00:00:00Z");
const A = "20250301_alice_lung_panel1";

function assessed(name: string, days: number, fields: Partial<StudyAssessment> = {}) {
  return {
    name,
    path: `/${name}`,
    kind: "dir",
    listing: EMPTY_LISTING,
    unreadable: [],
    violations: [],
    newestMtime: NOW.getTime() - days * DAY,
    refusal: undefined,
    ...fields,
  } satisfies StudyAssessment;
}

Deno.test("dueStudies takes the idle ones and those refused whatever their age, oldest first", () => {
  const studies = [
    assessed("c", 20),
    assessed("a", 14),
    assessed("b", 13.9),
    assessed("d", 20),
    assessed("e", 400),
    assessed("link", 0, { kind: "symlink", newestMtime: 0, refusal: "a link" }),
    assessed("closed", 1, { unreadable: [{ path: "x", message: "denied" }], refusal: "no" }),
    assessed("bad-but-busy", 1, { refusal: "naming standard: R1" }),
  ];
  assert.deepEqual(dueStudies(studies, 14, NOW).map((s) => s.name), [
    "link",
    "e",
    "c",
    "d",
    "a",
    "closed",
  ]);
  assert.equal(dueStudies(studies, 0, NOW).length, 8);
});

Deno.test("the newest change is of anything inside, not the folder itself nor the study lock", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, A, { mtime: new Date(NOW.getTime() - 30 * DAY) });
    const deep = join(path, A, "Scan1", ".temp", "tile_00001.bin");
    const recent = new Date(NOW.getTime() - 2 * DAY);
    await Deno.utime(deep, recent, recent);
    assert.equal(assessFolder(path, A).newestMtime, recent.getTime());
    // A backup's lock (made now, left by a crash) is not the instrument writing.
    await Deno.writeTextFile(join(path, STUDY_LOCK_FILE), "{}");
    const study = assessFolder(path, A);
    assert.equal(study.newestMtime, recent.getTime());
    assert.ok(!study.listing.files.some((file) => file.path === STUDY_LOCK_FILE));
    assert.equal(study.refusal, undefined);
  });
});

Deno.test("assessRoot: folders by name, dot folders and files skipped, links refused unfollowed", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await withTempDir(async (dir) => {
    const real = await makeSampleStudy(dir, A);
    await Deno.mkdir(join(dir, ".recycle"));
    await Deno.writeTextFile(join(dir, "readme.txt"), "x");
    await Deno.symlink(real, join(dir, "20250302_bob_tonsil_run2"));
    const studies = assessRoot(dir);
    assert.deepEqual(studies.map((s) => [s.name, s.kind, s.refusal === undefined]), [
      [A, "dir", true],
      ["20250302_bob_tonsil_run2", "symlink", false],
    ]);
    assert.match(studies[1]?.refusal ?? "", /is a symbolic link, which the backup never follows/);
    assert.deepEqual(studies[1]?.listing, EMPTY_LISTING, "the link is not followed");
  });
});

// mkfifo makes a FIFO on Linux and macOS; Windows has no such file.
Deno.test("a FIFO deep in a study is R5 for validate and a refusal for the backup alike", {
  ignore: Deno.build.os === "windows",
}, async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, A);
    const fifo = join(path, A, "Scan1", "pipe");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.equal(made.code, 0);
    const study = assessFolder(path, A);
    assert.deepEqual(study.listing.unsupported, [`${A}/Scan1/pipe`]);
    assert.deepEqual(study.violations.map((v) => `${v.rule} ${v.path}`), [`R5 ${A}/Scan1/pipe`]);
    assert.match(study.refusal ?? "", /R5 .*pipe: special file/);
    const report = await validateStudy(path);
    assert.equal(report.ok, false);
    assert.deepEqual(report.violations, study.violations);
  });
});

const ASSESS = fileURLToPath(new URL("./_assess_child.ts", import.meta.url));

// An unreadable folder needs a process the permission bits apply to (see _helpers/unreadable.ts).
Deno.test("an unreadable folder inside one study refuses that study alone, naming the path", {
  ignore: CANNOT_UNREAD,
}, async () => {
  await withTempDir(async (dir) => {
    const closed = await makeSampleStudy(dir, A);
    await makeSampleStudy(dir, "20250302_bob_tonsil_run2");
    const locked = join(closed, A, "Scan1");
    await Deno.chmod(locked, 0o000);
    try {
      const [command, args] = respectingPermissions([
        Deno.execPath(),
        "run",
        "--allow-read",
        "--allow-ffi",
        ASSESS,
        dir,
      ]);
      const output = await new Deno.Command(command, { args, stderr: "inherit" }).output();
      assert.equal(output.code, 0);
      const studies = JSON.parse(new TextDecoder().decode(output.stdout)) as StudyAssessment[];
      assert.deepEqual(studies.map((s) => [s.name, s.refusal === undefined]), [
        [A, false],
        ["20250302_bob_tonsil_run2", true],
      ]);
      assert.deepEqual(studies[0]?.unreadable.map((item) => item.path), [`${A}/Scan1`]);
      assert.match(
        studies[0]?.refusal ?? "",
        new RegExp(
          `^cannot read ${A}/Scan1 in the study: .*[Pp]ermission denied.*; give the ` +
            "account that runs the backup read access to the whole study folder$",
        ),
      );
    } finally {
      await Deno.chmod(locked, 0o755);
    }
  });
});

Deno.test("listingChange names the first file or folder that appeared, changed or went", () => {
  const file = (path: string, size = 1, mtime = 1) => ({ path, size, mtime });
  const base = { ...EMPTY_LISTING, files: [file("a"), file("b")], dirs: ["d"] };
  assert.equal(listingChange(base, base), undefined);
  assert.equal(listingChange(base, { ...base, files: [file("a"), file("b", 2)] }), "b changed");
  assert.equal(listingChange(base, { ...base, files: [file("a")] }), "b disappeared");
  assert.equal(
    listingChange(base, { ...base, files: [...base.files, file("c")] }),
    "c appeared",
  );
  assert.equal(listingChange(base, { ...base, dirs: ["d", "e"] }), "e appeared");
  assert.equal(listingChange(base, { ...base, dirs: [] }), "d disappeared");
});

Deno.test("changeSince walks a study against its listing and names what changed, as listingChange does", async () => {
  await withTempDir(async (dir) => {
    const study = await makeSampleStudy(dir, A, { experiments: ["", "B"], tempFiles: 3 });
    const { listing } = assessFolder(study, A);
    assert.equal(changeSince(study, listing), undefined);
    const scan = join(study, A, "Scan1");
    const [first] = listing.files;
    assert.ok(first !== undefined);
    const cases: [
      string,
      (path: string) => Promise<unknown>,
      (path: string) => Promise<unknown>,
    ][] = [
      [
        `${first.path} changed`,
        (path) => Deno.writeTextFile(join(path, first.path), "more", { append: true }),
        (path) => Deno.truncate(join(path, first.path), first.size),
      ],
      [
        `${A}/Scan1/late.tif appeared`,
        (path) => Deno.writeTextFile(join(path, A, "Scan1", "late.tif"), "x"),
        (path) => Deno.remove(join(path, A, "Scan1", "late.tif")),
      ],
      [
        `${A}/Scan1/empty appeared`,
        (path) => Deno.mkdir(join(path, A, "Scan1", "empty")),
        (path) => Deno.remove(join(path, A, "Scan1", "empty")),
      ],
    ];
    for (const [said, change, undo] of cases) {
      await change(study);
      assert.equal(changeSince(study, listing), said);
      assert.equal(
        changeSince(study, listing),
        listingChange(listing, assessFolder(study, A).listing),
      );
      await undo(study);
      await Deno.utime(join(study, first.path), first.mtime / 1000, first.mtime / 1000);
      assert.equal(changeSince(study, listing), undefined, `${said}, then undone`);
    }
    const last = listing.files.at(-1)!;
    const kept = await Deno.readFile(join(study, last.path));
    await Deno.remove(join(study, last.path));
    assert.equal(changeSince(study, listing), `${last.path} disappeared`);
    await Deno.writeFile(join(study, last.path), kept);
    await Deno.utime(join(study, last.path), last.mtime / 1000, last.mtime / 1000);
    assert.equal(changeSince(study, listing), undefined);
    await Deno.remove(scan, { recursive: true });
    assert.match(changeSince(study, listing) ?? "", / disappeared$/);
  });
});

Deno.test("a study lock is written with its holder, found, and taken over when left behind", async () => {
  await withTempDir(async (dir) => {
    const study = await makeSampleStudy(dir, A);
    const holder = {
      hostname: "fusion-pc",
      pid: Deno.pid,
      started_at: "2025-04-01T02:00:00Z",
      command: "backup run",
      instrument: "fusion-01",
    };
    const first = await lockStudy(study, holder);
    assert.equal(first.tookOver, undefined);
    assert.deepEqual(await findStudyLocks(dir), [{ study: A, path: first.path, holder }]);
    // A run that ended mid-study never released it: the next one takes it over.
    const next = await lockStudy(study, { ...holder, pid: 1, started_at: "2025-05-01T02:00:00Z" });
    assert.deepEqual(next.tookOver, holder);
    await next.release();
    assert.deepEqual(await findStudyLocks(dir), []);
    await next.release();
  });
});
