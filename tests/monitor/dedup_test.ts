/** Dedup keys and the sent_keep_days window (pure, with explicit times). */
import assert from "node:assert/strict";
import {
  DEDUP_KEY_CHARS,
  dedupKey,
  type ErrorBlock,
  pruneSent,
  sentWithin,
} from "../../lib/monitor/mod.ts";
import { DEFAULT_PATTERNS } from "./_patterns.ts";

function block(...lines: string[]): ErrorBlock {
  return { lines, omittedLines: 0, sample: undefined, cycle: undefined, history: false };
}

const DAY = 24 * 60 * 60 * 1000;

Deno.test("the key ignores timestamps and spacing, and keeps the first 200 characters", () => {
  const first = block(
    "2025-03-01 08:31:19,225 [12] ERROR Akoya.Fusion.Imaging - Exposure failed",
    "   at Akoya.Fusion.Imaging.Camera.Capture()   (frame stamped 08:31:19.100)",
  );
  const again = block(
    "2025-04-17 22:05:01,003 [12] ERROR Akoya.Fusion.Imaging - Exposure  failed",
    "\tat Akoya.Fusion.Imaging.Camera.Capture() (frame stamped 22:05:00.950)",
  );
  const key = dedupKey(first, DEFAULT_PATTERNS.lineStart);
  assert.equal(
    key,
    "[12] ERROR Akoya.Fusion.Imaging - Exposure failed at Akoya.Fusion.Imaging.Camera.Capture() " +
      "(frame stamped )",
  );
  assert.equal(dedupKey(again, DEFAULT_PATTERNS.lineStart), key);
  const us = block("3/1/2025 8:00:09 AM ERROR Focus lost");
  assert.equal(dedupKey(us, DEFAULT_PATTERNS.lineStart), "ERROR Focus lost");
  const other = block("2025-03-01 08:31:19,225 [12] ERROR Akoya.Fusion.Imaging - Stage lost");
  assert.notEqual(dedupKey(other, DEFAULT_PATTERNS.lineStart), key);
  const long = block(`2025-03-01 08:31:19 ERROR ${"x".repeat(300)}`, "at A()");
  assert.equal(dedupKey(long, DEFAULT_PATTERNS.lineStart).length, DEDUP_KEY_CHARS);
});

Deno.test("sent within the window is a repeat; at or past it, not; pruning drops the old", () => {
  const now = Date.parse("2025-03-31T12:00:00Z");
  const sent = new Map([
    ["recent", now - 29 * DAY],
    ["edge", now - 30 * DAY],
    ["old", now - 45 * DAY],
  ]);
  assert.equal(sentWithin(sent, "recent", now, 30), now - 29 * DAY);
  assert.equal(sentWithin(sent, "edge", now, 30), undefined);
  assert.equal(sentWithin(sent, "old", now, 30), undefined);
  assert.equal(sentWithin(sent, "never", now, 30), undefined);
  assert.deepEqual([...pruneSent(sent, now, 30).keys()], ["recent"]);
  assert.deepEqual([...pruneSent(sent, now, 60).keys()], ["recent", "edge", "old"]);
});
