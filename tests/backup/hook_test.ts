import assert from "node:assert/strict";
import { OperationFailedError } from "../../lib/errors.ts";
import { runHook } from "../../lib/hooks/mod.ts";
import { Logger } from "../../lib/log/mod.ts";

Deno.test("runHook: empty argv does nothing; success passes; failure is an exit-1 error", async () => {
  const lines: string[] = [];
  const logger = new Logger({ console: (line) => lines.push(line) });
  await runHook([], "backup", logger);
  assert.deepEqual(lines, []);
  await runHook([Deno.execPath(), "eval", "Deno.exit(0)"], "backup", logger);
  await assert.rejects(
    runHook([Deno.execPath(), "eval", "Deno.exit(7)"], "backup", logger),
    (error: unknown) => {
      assert.ok(error instanceof OperationFailedError);
      assert.equal(error.exitCode, 1);
      assert.match(error.message, /the backup hook .* failed with exit code 7; backup did not run/);
      return true;
    },
  );
  await assert.rejects(
    runHook(["/no/such/program"], "cleanup", logger),
    /could not start "\/no\/such\/program"/,
  );
});
