/**
 * `deno task demo` reads as a story a newcomer can trust: it ends saying all
 * went as announced, every non-zero exit was announced beforehand, nothing
 * warns, and what it shows belongs to this machine (no Windows path on Linux).
 */
import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { REPO_ROOT } from "../_helpers/cli.ts";

Deno.test("the demo runs its story: every exit announced, no warning, its own paths", async () => {
  // The demo task's own command line, as `deno task demo` runs it.
  const args = denoJson.tasks.demo.split(" ").slice(1);
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const text = stdout + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text);
  assert.match(stdout, /\ndemo finished as expected: every exit code was the one announced\.\n$/);
  const exits = [...text.matchAll(/^\(exit (\d+)(.*)\)$/gm)];
  const commands = text.match(/^\$ fusion-toolkit /gm) ?? [];
  assert.ok(commands.length >= 7, text);
  assert.equal(exits.length, commands.length, "each command ends with its exit code");
  for (const [line, code, rest] of exits) {
    if (code !== "0") assert.equal(rest, ", as announced", line);
  }
  assert.doesNotMatch(text, /^warning:/m);
  // The +1 of the sidecar is explained where the counts differ.
  assert.match(text, /S3 upload verified \(8 files and _checksums\.sha256\)/);
  assert.match(text, /^files and size include each backup's _checksums\.sha256$/m);
  // The monitor watches the demo's own sample log, not the Windows default.
  assert.match(text, /^Monitor\n {2}.*fusion-toolkit-demo-\w+[\\/]Fusion\.log$/m);
});
