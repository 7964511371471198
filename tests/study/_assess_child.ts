/**
 * Prints the assessment of every study under the root given as argument, as
 * JSON: what a process the permission bits apply to finds there.
 *
 * @module
 */
import { assessRoot } from "../../lib/study/mod.ts";

console.log(JSON.stringify(assessRoot(Deno.args[0] ?? ".")));
