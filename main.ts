/**
 * fusion-toolkit's only entry point: `deno run main.ts <args>` in
 * development, the compiled `fusion-toolkit.exe` in production.
 *
 * @module
 */
import { denoIo, runCli } from "./lib/cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, { io: denoIo() }));
}
