/** The `--only` matcher (lib/restore/glob.ts): pure, no files. */
import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { compileOnly, globToRegExp } from "../../lib/restore/glob.ts";

const STUDY_FILES = [
  "20250301_a_b_c.xpd",
  "20250301_a_b_c.fpr",
  "20250301_a_b_c/Scan1/20250301_a_b_c.qptiff",
  "20250301_a_b_c/Scan1/.temp/tile_00000.bin",
  "20250301_a_b_c_B/Scan2/20250301_a_b_c_B.qptiff",
];

function selected(...patterns: string[]): string[] {
  const matches = compileOnly(patterns);
  return STUDY_FILES.filter(matches);
}

Deno.test("* stays within a name, ** spans folders (none included)", () => {
  assert.deepEqual(selected("*.xpd"), ["20250301_a_b_c.xpd"]);
  assert.deepEqual(selected("**/*.qptiff"), [
    "20250301_a_b_c/Scan1/20250301_a_b_c.qptiff",
    "20250301_a_b_c_B/Scan2/20250301_a_b_c_B.qptiff",
  ]);
  assert.deepEqual(selected("*/Scan1/*.qptiff"), ["20250301_a_b_c/Scan1/20250301_a_b_c.qptiff"]);
  assert.deepEqual(selected("**/.temp/**"), ["20250301_a_b_c/Scan1/.temp/tile_00000.bin"]);
  assert.deepEqual(selected("**"), STUDY_FILES);
  assert.deepEqual(selected("**/*.xpd"), ["20250301_a_b_c.xpd"], "** matches no folder too");
  assert.deepEqual(selected("2025*qptiff"), [], "* never crosses /");
});

Deno.test("a folder selects everything in it; \\ is a separator; ./ and trailing / are ignored", () => {
  const scan1 = [
    "20250301_a_b_c/Scan1/20250301_a_b_c.qptiff",
    "20250301_a_b_c/Scan1/.temp/tile_00000.bin",
  ];
  assert.deepEqual(selected("20250301_a_b_c/Scan1"), scan1);
  assert.deepEqual(selected("20250301_a_b_c\\Scan1\\"), scan1);
  assert.deepEqual(selected("./20250301_a_b_c/Scan1/"), scan1);
  assert.deepEqual(selected("20250301_a_b_c"), scan1, "not the _B experiment");
});

Deno.test("? [] [!] {,} and several patterns", () => {
  assert.deepEqual(selected("*/Scan?/*.qptiff").length, 2);
  assert.deepEqual(selected("*/Scan[2-9]/*"), ["20250301_a_b_c_B/Scan2/20250301_a_b_c_B.qptiff"]);
  assert.deepEqual(selected("*/Scan[!2]/*.qptiff"), [
    "20250301_a_b_c/Scan1/20250301_a_b_c.qptiff",
  ]);
  assert.deepEqual(selected("*.{xpd,fpr}"), ["20250301_a_b_c.xpd", "20250301_a_b_c.fpr"]);
  assert.deepEqual(selected("*.xpd", "*.fpr"), ["20250301_a_b_c.xpd", "20250301_a_b_c.fpr"]);
  assert.deepEqual(selected("*.XPD"), [], "case-sensitive");
});

Deno.test("regular-expression characters are literal; an unclosed [ is literal", () => {
  assert.ok(compileOnly(["a+b(1).txt"])("a+b(1).txt"));
  assert.ok(!compileOnly(["a.txt"])("abtxt"));
  assert.ok(compileOnly(["x[1"])("x[1"));
  assert.ok(compileOnly(["[]]x"])("]x"));
  const deep = globToRegExp("a/**/b");
  assert.deepEqual(["a/b", "a/x/b", "a/x/y/b", "ab", "a/xb"].map((path) => deep.test(path)), [
    true,
    true,
    true,
    false,
    false,
  ]);
});

Deno.test("an empty pattern or an unclosed { is a usage error", () => {
  assert.throws(() => globToRegExp(""), UsageError);
  assert.throws(() => globToRegExp("./"), UsageError);
  assert.throws(() => globToRegExp("*.{xpd,fpr"), /has a '\{' without its '\}'/);
});
