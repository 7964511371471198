import assert from "node:assert/strict";
import { join } from "node:path";
import { describeError, isAtLeast, Logger, type LogRecord, monthOf } from "../../lib/log/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

function capture(options: { verbose?: boolean; clock?: () => Date } = {}) {
  const lines: string[] = [];
  const logger = new Logger({ console: (line) => lines.push(line), ...options });
  return { logger, lines };
}

Deno.test("console lines: info plain, others prefixed; debug only when verbose", () => {
  const { logger, lines } = capture();
  logger.debug("hidden");
  logger.info("copied 3 files");
  logger.warn("slow share");
  logger.error("upload failed");
  assert.deepEqual(lines, ["copied 3 files", "warning: slow share", "error: upload failed"]);
  logger.verbose = true;
  logger.debug("shown");
  assert.equal(lines.at(-1), "debug: shown");
});

Deno.test("the log file is monthly, under the given folder, with the error chain", async () => {
  await withTempDir(async (dir) => {
    let now = new Date("2026-01-31T23:59:59Z");
    const { logger } = capture({ clock: () => now });
    const logs = join(dir, "logs");
    logger.attachFile(logs);
    assert.equal(logger.filePath, join(logs, "2026-01.log"));
    logger.info("first");
    now = new Date("2026-02-01T00:00:01Z");
    logger.error("second", new Error("outer", { cause: new Error("inner") }));
    const january = await Deno.readTextFile(join(logs, "2026-01.log"));
    const february = await Deno.readTextFile(join(logs, "2026-02.log"));
    assert.equal(january, "2026-01-31T23:59:59.000Z INFO    first\n");
    assert.equal(february, "2026-02-01T00:00:01.000Z ERROR   second | outer <- inner\n");
  });
});

Deno.test("an unwritable log folder warns once and never throws", async () => {
  await withTempDir(async (dir) => {
    const blocker = join(dir, "logs");
    await Deno.writeTextFile(blocker, "a file where the folder should be");
    const { logger, lines } = capture();
    logger.attachFile(blocker);
    logger.info("one");
    logger.info("two");
    assert.equal(lines.filter((line) => line.includes("cannot write the log file")).length, 1);
    assert.deepEqual(lines.filter((line) => !line.startsWith("warning")), ["one", "two"]);
  });
});

Deno.test("subscribers receive records; a subscriber that logs does not feed itself", () => {
  const { logger, lines } = capture();
  const seen: LogRecord[] = [];
  const unsubscribe = logger.subscribe((record) => {
    seen.push(record);
    if (isAtLeast(record.level, "warning")) logger.warn(`notify failed for: ${record.message}`);
  });
  logger.info("fine");
  logger.error("bad");
  assert.deepEqual(seen.map((r) => [r.level, r.message]), [["info", "fine"], ["error", "bad"]]);
  assert.equal(lines.at(-1), "warning: notify failed for: bad");
  unsubscribe();
  logger.error("after");
  assert.equal(seen.length, 2);
});

Deno.test("a throwing subscriber is reported and the others still run", () => {
  const { logger, lines } = capture();
  let reached = false;
  logger.subscribe(() => {
    throw new Error("boom");
  });
  logger.subscribe(() => {
    reached = true;
  });
  logger.warn("x");
  assert.equal(reached, true);
  assert.ok(lines.includes("warning: a log subscriber failed: boom"));
});

Deno.test("helpers: month of a date in UTC, error chains, level order", () => {
  assert.equal(monthOf(new Date("2025-12-31T23:30:00-05:00")), "2026-01");
  assert.equal(describeError("plain"), "plain");
  assert.equal(isAtLeast("error", "warning"), true);
  assert.equal(isAtLeast("info", "warning"), false);
});
