/**
 * `deno task compile [--host]`: builds fusion-toolkit as one executable in
 * dist/, with exactly the product's permissions (lib/install/permissions.ts)
 * baked in and the version of deno.json in its file name, plus a
 * `<exe>.sha256` file in `sha256sum` format.
 *
 * The default target is the Fusion PC's, x86_64-pc-windows-msvc; `--host`
 * builds for this machine instead. `deno compile` downloads Deno's runtime
 * (denort) for the target from dl.deno.land the first time; where that host
 * cannot be reached the script says so and exits 1. It works on a machine
 * that can reach it, e.g. GitHub Actions (.github/workflows/release.yml), or
 * with DENORT_BIN naming a denort binary of the same Deno version.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };
import { PRODUCT_FLAGS } from "../lib/install/permissions.ts";

/** The Fusion PC's target. */
export const WINDOWS_TARGET = "x86_64-pc-windows-msvc";

/** What to build. */
export interface BuildPlan {
  readonly target: string;
  readonly version: string;
  /** The repository root, where deno.json and main.ts are. */
  readonly root: string;
}

/** The file name of the executable, e.g. `fusion-toolkit-0.1.0-x86_64-pc-windows-msvc.exe`. */
export function executableName(version: string, target: string): string {
  const extension = target.includes("windows") ? ".exe" : "";
  return `fusion-toolkit-${version}-${target}${extension}`;
}

/** Where the executable goes: `<root>/dist/<executableName>`. */
export function outputPath(plan: BuildPlan): string {
  return join(plan.root, "dist", executableName(plan.version, plan.target));
}

/** The argv of `deno compile` for `plan`. */
export function compileArgv(plan: BuildPlan): string[] {
  return [
    "compile",
    "--target",
    plan.target,
    "--config",
    join(plan.root, "deno.json"),
    "--output",
    outputPath(plan),
    ...PRODUCT_FLAGS,
    join(plan.root, "main.ts"),
  ];
}

/**
 * The target the command line asks for: `--host` for `hostTarget`, nothing
 * for Windows.
 *
 * @throws {Error} on any other argument, with the usage.
 */
export function targetFromArgs(args: readonly string[], hostTarget: string): string {
  const unknown = args.filter((arg) => arg !== "--host");
  if (unknown.length > 0) {
    throw new Error(
      `unknown argument ${unknown[0]}; usage: deno task compile [--host] ` +
        `(default target ${WINDOWS_TARGET}, --host builds for ${hostTarget})`,
    );
  }
  return args.includes("--host") ? hostTarget : WINDOWS_TARGET;
}

/**
 * One line explaining a failed `deno compile` from its stderr: whether the
 * runtime download failed (and where this works instead) or the build itself.
 */
export function explainFailure(stderr: string, target: string): string {
  const runtime = /denort|dl\.deno\.land|base binary/i.exec(stderr);
  if (runtime !== null) {
    return `deno compile could not get Deno's runtime (denort) for ${target}: ` +
      "this machine cannot download it from dl.deno.land. The build works on a machine that " +
      "can reach dl.deno.land (a maintainer's PC, or GitHub Actions: push a v* tag, see " +
      ".github/workflows/release.yml), or with DENORT_BIN set to a denort binary of this " +
      "Deno version. Everything before this step is checked by `deno task test`.";
  }
  return `deno compile failed for ${target}; see its messages above`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

async function main(): Promise<number> {
  let target: string;
  try {
    target = targetFromArgs(Deno.args, Deno.build.target);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  const plan: BuildPlan = {
    target,
    version: denoJson.version,
    root: fileURLToPath(new URL("..", import.meta.url)),
  };
  const output = outputPath(plan);
  console.log(`building ${output}`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: compileArgv(plan),
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  if (!result.success) {
    await Deno.stderr.write(result.stderr);
    console.error(`\nerror: ${explainFailure(stderr, target)}`);
    return 1;
  }
  await Deno.stderr.write(result.stderr);
  const digest = await sha256File(output);
  await Deno.writeTextFile(`${output}.sha256`, `${digest}  ${basename(output)}\n`);
  const { size } = await Deno.stat(output);
  console.log(`built ${output} (${size} bytes)\nsha256 ${digest} (also in ${output}.sha256)`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
