import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cooldownFilePath,
  cooldownKey,
  planCooldown,
  pruneSentTimes,
  readSentTimes,
  writeSentTimes,
} from "../../lib/notify/cooldown.ts";
import { withTempDir } from "../_helpers/temp.ts";

const items = (...messages: string[]) => messages.map((message) => ({ message }));

Deno.test("plan: the first of each message goes; repeats and recent ones are held back", () => {
  const now = 1_000_000;
  const sent = new Map([[cooldownKey("share is slow"), now - 299_000], [
    cooldownKey("old"),
    now - 300_000,
  ]]);
  const plan = planCooldown(items("a", "share  is\nslow", "b", "a", "old"), sent, now, 300);
  assert.deepEqual(plan.send, items("a", "b", "old"));
  assert.deepEqual(plan.suppressed, items("share  is\nslow", "a"));
});

Deno.test("plan: a cooldown of 0 still deduplicates within a batch", () => {
  const plan = planCooldown(items("x", "x", "y"), new Map([["y", 5]]), 5, 0);
  assert.deepEqual(plan.send, items("x", "y"));
  assert.deepEqual(plan.suppressed, items("x"));
});

Deno.test("keys are whitespace-insensitive and bounded; pruning drops expired entries", () => {
  assert.equal(cooldownKey("  a \t b\n"), "a b");
  assert.equal(cooldownKey("z".repeat(500)).length, 200);
  const pruned = pruneSentTimes(new Map([["fresh", 900], ["stale", 100]]), 1000, 0.5);
  assert.deepEqual([...pruned.keys()], ["fresh"]);
});

Deno.test("the state file round-trips; missing is empty; damaged is empty with a problem", async () => {
  await withTempDir(async (dir) => {
    const file = cooldownFilePath(dir);
    assert.equal(file, join(dir, "state", "toolkit_error_cooldown.json"));
    assert.deepEqual(await readSentTimes(file), { sent: new Map() });
    const time = Date.parse("2026-03-01T02:00:00Z");
    assert.equal(await writeSentTimes(file, new Map([["share is slow", time]])), undefined);
    assert.deepEqual(await readSentTimes(file), { sent: new Map([["share is slow", time]]) });
    await Deno.writeTextFile(file, "{torn");
    const damaged = await readSentTimes(file);
    assert.equal(damaged.sent.size, 0);
    assert.match(damaged.problem ?? "", /is not valid JSON; it will be rewritten/);
  });
});

Deno.test("an unwritable state folder is a problem, not a throw", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "state"), "a file where the folder should be");
    const problem = await writeSentTimes(cooldownFilePath(dir), new Map([["m", 1]]));
    assert.match(problem ?? "", /^cannot write .*toolkit_error_cooldown\.json: /);
  });
});
