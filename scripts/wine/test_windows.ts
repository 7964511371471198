/**
 * `deno task test:windows`: the Windows lane. Runs README's test runner
 * (scripts/test.ts) with Deno's Windows build, deno.exe, under Wine
 * (scripts/wine/run.sh), so every `deno test` group of deno.json runs with
 * Windows semantics: `C:\` temp folders and `\` paths, USERPROFILE, UNC
 * shares, CRLF, rename over an existing file, and `Deno.execPath()` ending in `.exe`
 * (the CLI tests spawn main.ts with deno.exe too). New groups join by
 * themselves; a group that cannot run there is listed in
 * {@linkcode NOT_ON_WINDOWS} with the reason.
 *
 * Usage: `deno task test:windows [group ...] [--summary-file PATH]`; the
 * summary is scripts/test.ts's `{"passed":N,"failed":M,"ignored":K}`.
 * Exit status: scripts/test.ts's, or 77 when Wine is missing and cannot be
 * installed here (nothing ran; one line says why).
 *
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { testGroups } from "../test.ts";

/** Groups left out of the Windows lane, each with the reason it gives. */
export const NOT_ON_WINDOWS: Readonly<Record<string, string>> = {
  web: "it drives a Chromium-based browser, and Wine has none a Windows process can start; " +
    "the page runs in a browser, the same on every OS, and its rule modules " +
    "(lib/standard/names.ts and rules.ts) run in test:standard here",
};

const RUN_SH = fileURLToPath(new URL("./run.sh", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The Windows name of a Linux path under Wine, whose `Z:` drive is the Linux root. */
function wineDrivePath(linuxPath: string): string {
  return `Z:${linuxPath.replaceAll("/", "\\")}`;
}

/**
 * Downloads every npm package of deno.json into deno.exe's cache before the
 * tests start, trying again on failure: under Wine a download has been seen
 * to fail its TLS check once among hundreds, and a test's child process
 * fetching a package then would fail that test for a reason it does not test.
 */
async function fillNpmCache(): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const status = await new Deno.Command("bash", {
      args: [RUN_SH, "install"],
      cwd: REPO_ROOT,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (status.success) return;
    console.log(`filling deno.exe's npm cache failed (attempt ${attempt} of 3)`);
  }
  console.log("the npm cache is incomplete: tests that need a missing package will fail");
}

async function main(): Promise<number> {
  const args = [...Deno.args];
  let summaryFile: string | undefined;
  const summaryAt = args.indexOf("--summary-file");
  if (summaryAt >= 0) {
    const path = args[summaryAt + 1];
    if (path === undefined) {
      console.error("--summary-file needs a path");
      return 2;
    }
    summaryFile = wineDrivePath(resolve(path));
    args.splice(summaryAt, 2);
  }
  const all = testGroups();
  const skipped = all.filter((group) => group in NOT_ON_WINDOWS);
  for (const group of skipped) {
    console.log(`test:${group} is not in the Windows lane: ${NOT_ON_WINDOWS[group]}`);
  }
  // Named groups go to scripts/test.ts as they are (it rejects unknown ones); fmt, lint and the
  // type check are the Linux lane's job, and scripts/test.ts skips them when given groups.
  const groups = args.length > 0 ? args : all.filter((group) => !skipped.includes(group));
  if (groups.length === 0) {
    console.error("no test group to run in the Windows lane");
    return 2;
  }
  console.log(`== Windows lane: ${groups.map((group) => `test:${group}`).join(", ")}`);
  await fillNpmCache();
  const status = await new Deno.Command("bash", {
    args: [
      RUN_SH,
      ...["run", "--allow-run", "--allow-read", "--allow-write", "--allow-env", "scripts/test.ts"],
      ...(summaryFile === undefined ? [] : ["--summary-file", summaryFile]),
      ...groups,
    ],
    cwd: REPO_ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return status.code;
}

if (import.meta.main) Deno.exit(await main());
