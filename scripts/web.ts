/**
 * `deno task web`: builds the browser name validator into `docs/validator/`,
 * which GitHub Pages serves as is and which works offline from a file.
 *
 * `web/page.ts` and the rule modules it imports, `lib/standard/names.ts` and
 * `lib/standard/rules.ts`, are bundled by Deno's built-in `deno bundle` into
 * one classic script, `validator.js` (an IIFE, not an ES module: browsers
 * refuse module scripts on file:// pages); `index.html` and `style.css` are
 * copied beside it. The output depends only on the sources and the Deno
 * version, and is committed: `tests/web/build_test.ts` rebuilds it and
 * compares, so the page cannot drift from the CLI's rules.
 *
 * Usage: `deno task web [OUT_DIR]` (default `docs/validator`).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
const SOURCE_DIR = join(REPO_ROOT, "web");

/** Where the committed page lives. */
export const VALIDATOR_DIR: string = join(REPO_ROOT, "docs", "validator");

/** The files of the built page, in `VALIDATOR_DIR`. */
export const VALIDATOR_FILES: readonly string[] = ["index.html", "style.css", "validator.js"];

const BANNER = "// Built by `deno task web` from web/page.ts and lib/standard/names.ts and " +
  "rules.ts. Do not edit: edit the sources and rebuild.\n";

/**
 * Builds the page into `outDir` (created if missing) and returns the paths
 * written.
 *
 * @throws {Error} when `deno bundle` fails, with its error output.
 */
export async function buildValidator(outDir: string): Promise<string[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const script = join(outDir, "validator.js");
  // Relative paths and a fixed working directory keep the bundle's path comments the same
  // wherever the repository is checked out.
  const bundle = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--format=iife",
      `--output=${script}`,
      "web/page.ts",
    ],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!bundle.success) {
    const detail = new TextDecoder().decode(bundle.stderr).trim();
    throw new Error(`deno bundle of web/page.ts failed: ${detail}`);
  }
  await Deno.writeTextFile(script, BANNER + await Deno.readTextFile(script));
  for (const file of ["index.html", "style.css"]) {
    await Deno.copyFile(join(SOURCE_DIR, file), join(outDir, file));
  }
  return VALIDATOR_FILES.map((file) => join(outDir, file));
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? VALIDATOR_DIR;
  try {
    for (const path of await buildValidator(outDir)) console.log(`wrote ${path}`);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
