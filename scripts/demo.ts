/**
 * `deno task demo`: the main job on built-in sample data. Builds a sample
 * source tree of passing and failing studies in a temp folder and runs the
 * real CLI on it, printing each command before its output.
 *
 * Usage: `deno task demo [--keep]` (`--keep` leaves the sample data in place).
 *
 * @module
 */
import { join } from "node:path";
import { denoIo, runCli } from "../lib/cli/mod.ts";
import { makeSampleRoot } from "./sample_data.ts";

async function step(args: string[]): Promise<number> {
  console.log(`\n$ fusion-toolkit ${args.join(" ")}`);
  const code = await runCli(args, { io: denoIo() });
  console.log(`(exit ${code})`);
  return code;
}

async function main(): Promise<number> {
  const keep = Deno.args.includes("--keep");
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-demo-" });
  try {
    const source = join(dir, "FusionData");
    await makeSampleRoot(source);
    console.log(`sample source tree: ${source}`);
    console.log("two studies follow the naming standard; three break it on purpose.");
    const rootCode = await step(["validate", "root", source]);
    const studyCode = await step([
      "validate",
      "study",
      join(source, "20250310_dave_colon_trial"),
      "-f",
      "json",
    ]);
    // The failing studies are the point of the demo: exit 1 is what it should show.
    const expected = rootCode === 1 && studyCode === 1;
    console.log(expected ? "\ndemo finished as expected." : "\ndemo: unexpected exit codes.");
    return expected ? 0 : 1;
  } finally {
    if (keep) console.log(`sample data kept in ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
}

Deno.exit(await main());
