/** The attempt tag every object of a backup carries (metadata `attempt`), on values. */
import assert from "node:assert/strict";
import { describeAttempt, formatAttemptTag, parseAttemptTag } from "../../lib/layout/mod.ts";

Deno.test("the attempt tag round-trips; anything else names no attempt", () => {
  const tag = { instrument: "fusion-01", startedAt: "2025-04-01T02:00:03Z", revision: 2 };
  const text = formatAttemptTag(tag);
  assert.equal(text, "instrument=fusion-01;started_at=2025-04-01T02:00:03Z;revision=2");
  assert.deepEqual(parseAttemptTag(text), tag);
  for (const other of [undefined, "", "x", text.replace("revision=2", "revision=0"), `${text};`]) {
    assert.equal(parseAttemptTag(other), undefined, String(other));
  }
  assert.equal(describeAttempt(tag), "the attempt started 2025-04-01T02:00:03Z (revision 2)");
});
