/**
 * The tail against real files in temp folders: appending while a writer
 * holds the file open, partial lines, truncation and replacement in place,
 * a missing file, restarts, the dedup window (with an injected clock),
 * encodings. Rotation by rename is in rotation_test.ts. `deliver` records
 * blocks here; the email path is tested in delivery_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAX_LINE_BYTES, monitorStatePath, readMonitorState } from "../../lib/monitor/mod.ts";
import { waitUntil } from "../_helpers/monitor.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { append, firstLines, GRACE_SECONDS, openTail, startEmpty } from "./_tail.ts";
import { fixturePath } from "./_patterns.ts";

const DAY = 24 * 60 * 60 * 1000;

Deno.test("first start: errors already in the log are history; later ones are delivered with context", async () => {
  await withTempDir(async (dir) => {
    await Deno.copyFile(fixturePath("fusion_log4net.log"), join(dir, "Fusion.log"));
    using run = await openTail(dir);
    await run.tail.poll();
    await run.tail.poll();
    assert.equal(run.delivered.length, 0);
    assert.equal(run.tail.stats.history, 4);
    assert.ok(
      run.lines.some((line) => /^first start: reading the 3220 bytes already in/.test(line)),
    );
    assert.equal(
      run.lines.filter((line) => /^4 error block\(s\) already in .* were not emailed/.test(line))
        .length,
      1,
    );
    await append(
      run.log,
      "2025-03-01 10:30:00,000 [12] ERROR Akoya.Fusion.Imaging - Stage lost\n   at A.B()\n" +
        "2025-03-01 10:30:01,000 [12] INFO  Akoya.Fusion.Imaging - Recovered\n",
    );
    await run.tail.poll();
    assert.deepEqual(run.delivered, [{
      lines: [
        "2025-03-01 10:30:00,000 [12] ERROR Akoya.Fusion.Imaging - Stage lost",
        "   at A.B()",
      ],
      omittedLines: 0,
      sample: "S12",
      cycle: "7",
      history: false,
    }]);
    assert.ok(
      run.lines.includes(
        "Fusion.log error (sample S12, cycle 7): [12] ERROR Akoya.Fusion.Imaging - Stage lost",
      ),
    );
  });
});

Deno.test("appending while a writer holds the file open; a partial last line waits for its end", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    const writer = await Deno.open(run.log, { write: true, append: true });
    try {
      const write = (text: string) => writer.write(new TextEncoder().encode(text));
      await write("2025-03-01 10:00:00 INFO Sample name: S3\n2025-03-01 10:00:01 ERR");
      await run.tail.poll();
      assert.equal(run.tail.stats.offset, 41, "only the complete line is read");
      await write("OR Exposure failed\n   at A()\n");
      await run.tail.poll();
      assert.equal(run.delivered.length, 0, "the stack trace may still be coming");
      await write("   at B()\n2025-03-01 10:00:02 INFO next\n");
      await run.tail.poll();
      assert.deepEqual(run.delivered.map((block) => block.lines), [[
        "2025-03-01 10:00:01 ERROR Exposure failed",
        "   at A()",
        "   at B()",
      ]]);
      assert.equal(run.delivered[0]?.sample, "S3");
    } finally {
      writer.close();
    }
  });
});

Deno.test("the last block is delivered once the file stays unchanged for one poll", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(run.log, "2025-03-01 10:00:01 FATAL Pump stalled\n   at P()\n");
    await run.tail.poll();
    assert.equal(run.delivered.length, 0);
    await append(run.log, "   at Q()\n");
    await run.tail.poll();
    assert.equal(run.delivered.length, 0, "it grew: still pending");
    await run.tail.poll();
    assert.deepEqual(run.delivered.map((block) => block.lines.length), [3]);
    await run.tail.poll();
    assert.equal(run.delivered.length, 1);
  });
});

Deno.test("rotation: a file shorter than the position is read from the start, after the old pending block", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(
      run.log,
      "2025-03-01 10:00:00 INFO Sample name: S5\n2025-03-01 10:00:01 INFO Cycle 2\n" +
        "2025-03-01 10:00:02 ERROR last words of the old file\n",
    );
    await run.tail.poll();
    await Deno.writeTextFile(run.log, "2025-03-02 00:00:00 ERROR first of the new\n");
    await run.tail.poll();
    assert.deepEqual(firstLines(run.delivered), [
      "2025-03-01 10:00:02 ERROR last words of the old file",
    ]);
    assert.ok(run.lines.some((line) => /was rotated or replaced \(it is shorter/.test(line)));
    await append(run.log, "2025-03-02 00:00:01 INFO ok\n");
    await run.tail.poll();
    assert.deepEqual(firstLines(run.delivered), [
      "2025-03-01 10:00:02 ERROR last words of the old file",
      "2025-03-02 00:00:00 ERROR first of the new",
    ]);
    assert.deepEqual([run.delivered[1]?.sample, run.delivered[1]?.cycle], ["S5", "2"]);
  });
});

Deno.test("rewritten in place: new content already longer than the position is noticed by its first bytes", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(run.log, "2025-03-01 10:00:00 INFO one\n");
    await run.tail.poll();
    // The same file (same identity), truncated and written again between two polls.
    await Deno.writeTextFile(
      run.log,
      "2025-03-02 08:00:00 INFO new file\n2025-03-02 08:00:01 ERROR early in the new file\n" +
        "2025-03-02 08:00:02 INFO ok\n",
    );
    await run.tail.poll();
    assert.ok(
      run.lines.some((line) => /rotated or replaced \(its first bytes changed\)/.test(line)),
    );
    assert.deepEqual(firstLines(run.delivered), [
      "2025-03-02 08:00:01 ERROR early in the new file",
    ]);
  });
});

Deno.test("a missing log: no warning within the grace, one after it, then its content is read as new", async () => {
  await withTempDir(async (dir) => {
    using run = await openTail(dir);
    await run.tail.poll();
    assert.deepEqual(run.lines, [
      `${run.log} does not exist right now (a rotation?); waiting for it, with a warning if it ` +
      `is still missing after ${GRACE_SECONDS} s`,
    ]);
    run.now += GRACE_SECONDS * 1000 - 1;
    await run.tail.poll();
    assert.equal(run.lines.filter((line) => line.startsWith("warning:")).length, 0);
    run.now += 1;
    await run.tail.poll();
    await run.tail.poll();
    const warnings = run.lines.filter((line) => line.startsWith("warning:"));
    assert.deepEqual(warnings, [
      `warning: ${run.log} does not exist, for longer than [monitor] rotation_grace_seconds = ` +
      `${GRACE_SECONDS} (a rotation takes less); waiting for it (checking every 0.01 s); ` +
      "check [monitor] log_path if this lasts",
    ]);
    await Deno.writeTextFile(
      run.log,
      "2025-03-01 10:00:00 ERROR written before the file was first seen\n" +
        "2025-03-01 10:00:01 INFO ok\n",
    );
    await run.tail.poll();
    assert.ok(run.lines.includes(`${run.log} is there now; reading it`));
    assert.equal(run.delivered.length, 1, "created after the monitor started: not history");
    // Missing again: the grace starts again.
    await Deno.rename(run.log, `${run.log}.1`);
    await run.tail.poll();
    assert.equal(run.lines.filter((line) => line.startsWith("warning:")).length, 1);
    run.now += GRACE_SECONDS * 1000;
    await run.tail.poll();
    assert.equal(run.lines.filter((line) => line.startsWith("warning:")).length, 2);
  });
});

Deno.test("a log renamed away: its pending block is sent once the old file stays unchanged", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(run.log, "2025-03-01 10:00:01 ERROR before rotation\n");
    await run.tail.poll();
    await Deno.rename(run.log, `${run.log}.1`);
    await run.tail.poll();
    assert.deepEqual(firstLines(run.delivered), ["2025-03-01 10:00:01 ERROR before rotation"]);
  });
});

Deno.test("restart: nothing is sent twice, and the sample, cycle and pending block carry over", async () => {
  await withTempDir(async (dir) => {
    using first = await startEmpty(dir);
    await append(
      first.log,
      "2025-03-01 10:00:00 INFO Sample name: S9\n2025-03-01 10:00:01 INFO Cycle 4\n" +
        "2025-03-01 10:00:02 ERROR one\n2025-03-01 10:00:03 ERROR two\n   at T()\n",
    );
    await first.tail.poll();
    assert.deepEqual(firstLines(first.delivered), ["2025-03-01 10:00:02 ERROR one"]);
    const saved = await readMonitorState(monitorStatePath(dir));
    assert.equal(saved.state?.offset, (await Deno.stat(first.log)).size);
    assert.deepEqual(saved.state?.parser.pending?.lines, [
      "2025-03-01 10:00:03 ERROR two",
      "   at T()",
    ]);

    using second = await openTail(dir);
    await append(
      second.log,
      "   at U()\n2025-03-01 10:00:04 ERROR three\n2025-03-01 10:00:05 INFO x\n",
    );
    await second.tail.poll();
    assert.deepEqual(second.delivered.map((block) => [block.lines, block.sample, block.cycle]), [
      [["2025-03-01 10:00:03 ERROR two", "   at T()", "   at U()"], "S9", "4"],
      [["2025-03-01 10:00:04 ERROR three"], "S9", "4"],
    ]);
    assert.ok(!second.lines.some((line) => line.includes("first start")));
  });
});

Deno.test("a crash right after an email: the restart finds the block again and does not resend it", async () => {
  await withTempDir(async (dir) => {
    const sent: string[] = [];
    using crashing = await startEmpty(dir);
    await append(
      crashing.log,
      "2025-03-01 10:00:01 ERROR one\n2025-03-01 10:00:02 ERROR two\n2025-03-01 10:00:03 INFO ok\n",
    );
    using crashOnSecond = await openTail(dir, {
      deliver: (block) => {
        if (sent.length === 1) throw new Error("simulated crash while emailing");
        sent.push(block.lines[0] ?? "");
        return Promise.resolve(true);
      },
    });
    await assert.rejects(crashOnSecond.tail.poll(), /simulated crash/);
    using restarted = await openTail(dir);
    await restarted.tail.poll();
    assert.deepEqual(sent, ["2025-03-01 10:00:01 ERROR one"]);
    assert.deepEqual(firstLines(restarted.delivered), ["2025-03-01 10:00:02 ERROR two"]);
    assert.equal(restarted.tail.stats.repeated, 1);
  });
});

Deno.test("dedup window: the same error is not emailed again within sent_keep_days, and is after", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    const occurrence = (time: string) =>
      `2025-03-01 ${time} [7] ERROR Akoya.Fusion.Fluidics - Reagent well 12 empty\n` +
      `2025-03-01 ${time} [7] INFO  Akoya.Fusion.Fluidics - paused\n`;
    await append(run.log, occurrence("10:00:00"));
    await run.tail.poll();
    run.now += 29 * DAY;
    await append(run.log, occurrence("11:00:00"));
    await run.tail.poll();
    assert.equal(run.delivered.length, 1);
    assert.ok(run.lines.some((line) =>
      line.endsWith(
        "not emailed again: the same error was emailed 2025-03-01T12:00:00.000Z " +
          "([monitor] sent_keep_days = 30)",
      )
    ));
    using restarted = await openTail(dir, { now: run.now + DAY });
    await append(run.log, occurrence("12:00:00"));
    await restarted.tail.poll();
    assert.equal(restarted.delivered.length, 1, "30 days later the window is over");
    const state = await readMonitorState(monitorStatePath(dir));
    assert.deepEqual([...state.state?.sent.values() ?? []], [restarted.now]);
  });
});

Deno.test("old dedup entries are pruned from the state file", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(run.log, "2025-03-01 10:00:00 ERROR alpha\n2025-03-01 10:00:01 INFO ok\n");
    await run.tail.poll();
    run.now += 31 * DAY;
    await append(run.log, "2025-03-01 10:00:02 ERROR beta\n2025-03-01 10:00:03 INFO ok\n");
    await run.tail.poll();
    const state = await readMonitorState(monitorStatePath(dir));
    assert.deepEqual([...state.state?.sent.keys() ?? []], ["ERROR beta"]);
  });
});

Deno.test("a block that could not be emailed is not remembered: it is tried when it recurs", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "Fusion.log"), "");
    let accept = false;
    const tried: string[] = [];
    using run = await openTail(dir, {
      deliver: (block) => {
        tried.push(block.lines[0] ?? "");
        return Promise.resolve(accept);
      },
    });
    await run.tail.poll();
    await append(run.log, "2025-03-01 10:00:00 ERROR boom\n2025-03-01 10:00:01 INFO ok\n");
    await run.tail.poll();
    accept = true;
    await append(run.log, "2025-03-01 11:00:00 ERROR boom\n2025-03-01 11:00:01 INFO ok\n");
    await run.tail.poll();
    assert.equal(tried.length, 2);
    assert.equal(run.tail.stats.emailed, 1);
  });
});

Deno.test("UTF-8 with a BOM and UTF-16 LE logs are read, also appended to while tailing", async () => {
  for (
    const [name, encode] of [
      ["fusion_utf8_bom.log", (text: string) => new TextEncoder().encode(text)],
      ["fusion_utf16le.log", (text: string) => {
        const units = Uint16Array.from(text, (char) => char.charCodeAt(0));
        return new Uint8Array(units.buffer);
      }],
    ] as const
  ) {
    await withTempDir(async (dir) => {
      const log = join(dir, "Fusion.log");
      const fixture = await Deno.readFile(fixturePath(name));
      // The BOM and the first line, so the first start has no history.
      const firstLineEnd = fixture.indexOf(0x0a) + (name.includes("16") ? 2 : 1);
      await Deno.writeFile(log, fixture.subarray(0, firstLineEnd));
      using run = await openTail(dir);
      await run.tail.poll();
      await Deno.writeFile(log, fixture.subarray(firstLineEnd), { append: true });
      await run.tail.poll();
      await run.tail.poll();
      assert.deepEqual(run.delivered.map((block) => [block.lines, block.sample, block.cycle]), [[
        [
          "3/1/2025 8:00:09 AM ERROR Focus lost at z = 98.7 µm (Δ 3.6 µm) — 自动对焦失败 🔬",
          "   at Akoya.Fusion.Imaging.Focus.Track()",
        ],
        "LN-2025-017",
        "12",
      ]], name);
      // U+0A0A holds 0x0A bytes that are not line ends; U+FEFF inside the text is kept.
      await Deno.writeFile(
        log,
        encode(
          "3/1/2025 8:01:00 AM ERROR \ufeffcode \u0a0a\u010a\r\n3/1/2025 8:01:01 AM INFO ok\r\n",
        ),
        { append: true },
      );
      await run.tail.poll();
      assert.equal(run.delivered[1]?.lines[0], "3/1/2025 8:01:00 AM ERROR \ufeffcode \u0a0a\u010a");
      assert.equal(run.tail.stats.offset, (await Deno.stat(log)).size);
    });
  }
});

Deno.test("a line longer than MAX_LINE_BYTES is cut, and reading goes on", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    const huge = "x".repeat(MAX_LINE_BYTES + 1000);
    await append(
      run.log,
      `2025-03-01 10:00:00 ERROR ${huge}\n2025-03-01 10:00:01 ERROR after\n2025-03-01 10:00:02 INFO\n`,
    );
    await run.tail.poll();
    assert.deepEqual(
      run.delivered.map((block) => [block.lines.length, block.lines[0]?.slice(0, 26)]),
      [[2, "2025-03-01 10:00:00 ERROR "], [1, "2025-03-01 10:00:01 ERROR "]],
      "the rest of the long line continues the first block",
    );
    assert.equal(run.tail.stats.offset, (await Deno.stat(run.log)).size);
  });
});

Deno.test("a log path that is a folder is a warning, once, and polling goes on", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "Fusion.log"));
    using run = await openTail(dir);
    await run.tail.poll();
    await run.tail.poll();
    assert.deepEqual(run.lines.filter((line) => line.startsWith("warning:")), [
      `warning: ${run.log} is not a file; check [monitor] log_path; trying again every 0.01 s`,
    ]);
  });
});

Deno.test("a state that cannot be saved stops the tail with an error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "Fusion.log"), "2025-03-01 10:00:00 INFO x\n");
    using run = await openTail(dir);
    await Deno.writeTextFile(join(dir, "state"), "a file where the folder should be");
    await assert.rejects(run.tail.poll(), Deno.errors.AlreadyExists);
  });
});

Deno.test("a damaged state file: a warning, and the log is read as on a first start", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "state"));
    await Deno.writeTextFile(monitorStatePath(dir), "{");
    await Deno.writeTextFile(join(dir, "Fusion.log"), "2025-03-01 10:00:00 ERROR old\n");
    using run = await openTail(dir);
    await run.tail.poll();
    await run.tail.poll();
    assert.match(run.lines[0] ?? "", /^warning: the monitor state .* is damaged/);
    assert.deepEqual([run.delivered.length, run.tail.stats.history], [0, 1]);
  });
});

Deno.test("another log_path: read as a first start, keeping the dedup map", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    await append(run.log, "2025-03-01 10:00:00 ERROR boom\n2025-03-01 10:00:01 INFO ok\n");
    await run.tail.poll();
    await Deno.writeTextFile(join(dir, "Other.log"), "2025-03-01 10:00:00 INFO x\n");
    using other = await openTail(dir, { logName: "Other.log" });
    assert.match(
      other.lines[0] ?? "",
      /^the monitor state was for .*Fusion\.log; .*Other\.log is read/,
    );
    await other.tail.poll();
    await append(other.log, "2025-03-02 09:00:00 ERROR boom\n2025-03-02 09:00:01 INFO ok\n");
    await other.tail.poll();
    assert.deepEqual([other.delivered.length, other.tail.stats.repeated], [0, 1]);
  });
});

Deno.test("run() polls until aborted, then leaves the state saved at the end of the log", async () => {
  await withTempDir(async (dir) => {
    using run = await startEmpty(dir);
    const controller = new AbortController();
    const running = run.tail.run(controller.signal);
    await append(run.log, "2025-03-01 10:00:00 ERROR while running\n2025-03-01 10:00:01 INFO ok\n");
    await waitUntil("the block to be delivered", () => run.delivered.length > 0);
    controller.abort();
    await running;
    assert.deepEqual(firstLines(run.delivered), ["2025-03-01 10:00:00 ERROR while running"]);
    const state = await readMonitorState(monitorStatePath(dir));
    assert.equal(state.state?.offset, (await Deno.stat(run.log)).size);
    assert.match(
      run.lines.join("\n"),
      /monitor tail: following .*Fusion\.log, checking every 0\.01 s/,
    );
  });
});
