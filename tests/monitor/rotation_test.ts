/**
 * Rotation by rename against real files: the instrument's own handle keeps
 * writing to the renamed file while the tail holds it open by identity, a
 * new file appears, the tail stops and restarts in the middle. Passes are
 * driven one by one and the clock is injected, so each step is exact; the
 * same with the real loop and real emails is in delivery_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { monitorStatePath, readMonitorState } from "../../lib/monitor/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { append, firstLines, GRACE_SECONDS, openTail, startEmpty } from "./_tail.ts";

/** The instrument: a writer holding the log open, as a .NET logger does. */
async function openWriter(log: string) {
  const file = await Deno.open(log, { write: true, append: true, create: true });
  const encoder = new TextEncoder();
  return {
    write: async (text: string) => {
      await file.write(encoder.encode(text));
    },
    [Symbol.dispose]: () => file.close(),
  };
}

const warnings = (lines: readonly string[]) => lines.filter((line) => line.startsWith("warning:"));

Deno.test("rename: the old file is read to its end, lines written after the rename included, before the new one", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    const writer = await openWriter(run.log);
    try {
      await writer.write(
        "2025-03-01 10:00:00 INFO Sample name: S7\n2025-03-01 10:00:01 ERROR a\n" +
          "2025-03-01 10:00:02 INFO ok\n",
      );
      await run.tail.poll();
      assert.deepEqual(firstLines(run.delivered), ["2025-03-01 10:00:01 ERROR a"]);
      // Written just before the rotation, not read yet.
      await writer.write("2025-03-01 10:00:03 ERROR b\n");
      await Deno.rename(run.log, `${run.log}.1`);
      // The instrument's handle still writes to the renamed file for a moment.
      await writer.write("   at B()\n2025-03-01 10:00:04 ERROR c after the rename\n");
      await run.tail.poll();
      assert.deepEqual(warnings(run.lines), [], "a rotation's gap is no warning");
      await writer.write("2025-03-01 10:00:05 INFO closing\n");
    } finally {
      writer[Symbol.dispose]();
    }
    await Deno.writeTextFile(run.log, "2025-03-01 10:00:06 ERROR d in the new file\n");
    await run.tail.poll();
    assert.deepEqual(
      run.delivered.map((block) => block.lines),
      [
        ["2025-03-01 10:00:01 ERROR a"],
        ["2025-03-01 10:00:03 ERROR b", "   at B()"],
        ["2025-03-01 10:00:04 ERROR c after the rename"],
      ],
      "the old file changed in this pass: the new one waits",
    );
    await run.tail.poll();
    await run.tail.poll();
    assert.deepEqual(firstLines(run.delivered).slice(3), [
      "2025-03-01 10:00:06 ERROR d in the new file",
    ]);
    assert.equal(run.delivered[3]?.sample, "S7", "the context carries over to the new file");
    assert.ok(run.lines.some((line) => /was rotated \(renamed, replaced or removed\)/.test(line)));
    assert.ok(
      run.lines.some((line) => /rotated or replaced \(the old file was read to its end/.test(line)),
    );
    assert.deepEqual(warnings(run.lines), []);
    const { state } = await readMonitorState(monitorStatePath(dir));
    const info = await Deno.stat(run.log);
    assert.deepEqual(state?.identity, { dev: info.dev, ino: info.ino });
    assert.equal(state?.offset, info.size);
  });
});

Deno.test("rename: a last line without its line ending is read when the old file is finished", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(run.log, "2025-03-01 10:00:00 INFO ok\n2025-03-01 10:00:01 ERROR cut short");
    await run.tail.poll();
    await Deno.rename(run.log, `${run.log}.1`);
    await Deno.writeTextFile(run.log, "");
    await run.tail.poll();
    assert.deepEqual(firstLines(run.delivered), ["2025-03-01 10:00:01 ERROR cut short"]);
  });
});

Deno.test("rename: an old file still written to is left for the new one when the grace is over", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    const writer = await openWriter(run.log);
    try {
      await Deno.rename(run.log, `${run.log}.1`);
      await Deno.writeTextFile(run.log, "2025-03-01 11:00:00 ERROR in the new file\n");
      for (let second = 0; second < GRACE_SECONDS; second += 20) {
        await writer.write(`2025-03-01 10:00:${second} INFO still writing to the old file\n`);
        await run.tail.poll();
        run.now += 20_000;
      }
      assert.deepEqual(run.delivered, [], "the new file waited for the old one");
      await writer.write("2025-03-01 10:01:00 ERROR in the old file, past the grace\n");
      await run.tail.poll();
      await writer.write("2025-03-01 10:01:01 ERROR in the old file, after it was left\n");
      await run.tail.poll();
      await run.tail.poll();
    } finally {
      writer[Symbol.dispose]();
    }
    assert.deepEqual(firstLines(run.delivered), [
      "2025-03-01 10:01:00 ERROR in the old file, past the grace",
      "2025-03-01 11:00:00 ERROR in the new file",
    ]);
  });
});

Deno.test("rename: a log missing past the grace is a warning; the old file is finished and the next one read whole", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(run.log, "2025-03-01 10:00:00 ERROR before the rename\n");
    await run.tail.poll();
    await Deno.rename(run.log, `${run.log}.1`);
    await run.tail.poll();
    assert.deepEqual(firstLines(run.delivered), ["2025-03-01 10:00:00 ERROR before the rename"]);
    assert.deepEqual(warnings(run.lines), []);
    run.now += GRACE_SECONDS * 1000;
    await run.tail.poll();
    assert.equal(warnings(run.lines).length, 1);
    assert.match(
      warnings(run.lines)[0] ?? "",
      /Fusion\.log does not exist, for longer than \[monitor\] rotation_grace_seconds = 60 /,
    );
    await Deno.writeTextFile(run.log, "2025-03-01 12:00:00 ERROR first in the next file\n");
    await run.tail.poll();
    await run.tail.poll();
    assert.deepEqual(firstLines(run.delivered), [
      "2025-03-01 10:00:00 ERROR before the rename",
      "2025-03-01 12:00:00 ERROR first in the next file",
    ]);
  });
});

Deno.test("a stop in the middle of a rotation: the restart finishes the renamed file from its position, then the new one", async () => {
  await withTempDir(async (dir) => {
    const writer = await openWriter(join(dir, "Fusion.log"));
    const first = await startEmpty(dir);
    try {
      await writer.write(
        "2025-03-01 10:00:00 INFO Sample name: S3\n2025-03-01 10:00:01 ERROR a\n" +
          "2025-03-01 10:00:02 ERROR b, its stack trace still coming\n",
      );
      await first.tail.poll();
      await Deno.rename(first.log, `${first.log}.1`);
      await writer.write("   at B()\n");
      // The rotation noticed, the old file still growing: stopped here.
      await first.tail.poll();
    } finally {
      first[Symbol.dispose]();
    }
    assert.ok(first.lines.some((line) => /was rotated \(renamed/.test(line)));
    assert.deepEqual(firstLines(first.delivered), ["2025-03-01 10:00:01 ERROR a"]);
    // While the monitor is stopped: the instrument ends the block in the old file, then rotates.
    try {
      await writer.write(
        "   at C()\n2025-03-01 10:00:03 ERROR c\n2025-03-01 10:00:04 INFO ok\n",
      );
    } finally {
      writer[Symbol.dispose]();
    }
    await Deno.writeTextFile(first.log, "2025-03-01 10:00:05 ERROR d in the new file\n");

    using second = await openTail(dir);
    await second.tail.poll();
    assert.ok(
      second.lines.some((line) =>
        line.includes(
          "is another file than the one read before: reading the rest of that one, " +
            `now ${first.log}.1, from byte `,
        )
      ),
    );
    await second.tail.poll();
    await second.tail.poll();
    assert.deepEqual(second.delivered.map((block) => [block.lines, block.sample]), [
      [
        ["2025-03-01 10:00:02 ERROR b, its stack trace still coming", "   at B()", "   at C()"],
        "S3",
      ],
      [["2025-03-01 10:00:03 ERROR c"], "S3"],
      [["2025-03-01 10:00:05 ERROR d in the new file"], "S3"],
    ]);
    assert.deepEqual(warnings(second.lines), []);
  });
});

Deno.test("a restart after the renamed file was moved away: the new file is read from its start", async () => {
  await withTempDir(async (dir) => {
    const first = await startEmpty(dir);
    try {
      await append(first.log, "2025-03-01 10:00:00 ERROR a\n2025-03-01 10:00:01 INFO ok\n");
      await first.tail.poll();
    } finally {
      first[Symbol.dispose]();
    }
    await Deno.mkdir(join(dir, "archive"));
    await Deno.rename(first.log, join(dir, "archive", "Fusion.log.1"));
    await Deno.writeTextFile(first.log, "2025-03-01 10:00:05 ERROR d in the new file\n");
    using second = await openTail(dir);
    await second.tail.poll();
    await second.tail.poll();
    assert.deepEqual(firstLines(second.delivered), ["2025-03-01 10:00:05 ERROR d in the new file"]);
    assert.ok(
      second.lines.some((line) =>
        line.includes(`(the file read before is no longer in ${dir}); reading it from the start`)
      ),
    );
  });
});
