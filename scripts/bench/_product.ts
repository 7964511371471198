/**
 * Running the product from the bench as a user runs it: `deno run` of
 * main.ts with the product's permissions, in a home folder of the bench's
 * own, with the S3 peer's dummy credentials. Deno's module cache stays the
 * one this process uses (a new HOME would otherwise start an empty one, and
 * every run would download and compile its modules first, inside the
 * measured time and memory).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { PRODUCT_FLAGS } from "../../lib/install/permissions.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** The deno argv of `fusion-toolkit <args>` run from source. */
export function productArgs(args: readonly string[]): string[] {
  return ["run", "--quiet", ...PRODUCT_FLAGS, MAIN, ...args];
}

let cacheDir: string | undefined;

/** Deno's cache folder as this process uses it (`deno info --json`). */
async function denoDir(): Promise<string> {
  if (cacheDir === undefined) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stderr: "null",
    }).output();
    cacheDir = JSON.parse(new TextDecoder().decode(output.stdout)).denoDir as string;
  }
  return cacheDir;
}

/** The environment of a product run whose home is `home`. */
export async function productEnv(home: string): Promise<Record<string, string>> {
  return {
    AWS_ACCESS_KEY_ID: "fusion-bench",
    AWS_SECRET_ACCESS_KEY: "fusion-bench",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    HOME: home,
    NO_COLOR: "1",
    DENO_DIR: await denoDir(),
  };
}
