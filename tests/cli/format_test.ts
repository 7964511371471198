import assert from "node:assert/strict";
import { formatBytes, formatDuration, formatRate, renderTable } from "../../lib/text/mod.ts";
import { progressText, StatusLine, TerminalProgress } from "../../lib/cli/_progress.ts";

Deno.test("sizes, rates and durations read like a person writes them", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(123 * 1024 ** 3), "123 GiB");
  assert.equal(formatRate(180e6), "180 MB/s");
  assert.equal(formatRate(0), "-");
  assert.equal(formatDuration(45), "45s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(7620), "2h07m");
});

Deno.test("renderTable pads columns and aligns numbers right", () => {
  assert.equal(
    renderTable(["name", "files"], [["a", "5"], ["long-name", "1234"]], ["left", "right"]),
    "name       files\n---------  -----\na              5\nlong-name   1234\n",
  );
});

Deno.test("progressText shows files, bytes, rate and ETA", () => {
  assert.equal(
    progressText({
      study: "s",
      stage: "copy",
      files: 10,
      bytes: 1000e6,
      filesDone: 4,
      bytesDone: 250e6,
      elapsed: 2,
    }),
    "s copy: 4/10 files, 238 MiB/954 MiB, 125 MB/s, ETA 6s",
  );
  assert.equal(
    progressText({
      study: "s",
      stage: "confirm",
      files: 3,
      bytes: 0,
      filesDone: 1,
      bytesDone: 0,
      elapsed: 1,
    }),
    "s confirm: 1/3 files",
  );
});

Deno.test("the status line is drawn only on a terminal, and log lines print above it", () => {
  const written: string[] = [];
  const io = (terminal: boolean) => ({
    out: () => {},
    err: (text: string) => written.push(text),
    stderrIsTerminal: terminal,
  });
  let clock = 0;
  const line = new StatusLine(io(true));
  const progress = new TerminalProgress(line, () => clock);
  progress.stage("s", "copy", 2, 100);
  clock = 100;
  progress.advance(0, 10); // too soon after the last draw: skipped
  clock = 1000;
  progress.advance(1, 40);
  line.print("log line\n");
  progress.end();
  assert.deepEqual(written, [
    "\r\x1b[Ks copy: 0/2 files, 0 B/100 B, -",
    "\r\x1b[Ks copy: 1/2 files, 50 B/100 B, 0.0 MB/s, ETA 1s",
    "\r\x1b[Klog line\ns copy: 1/2 files, 50 B/100 B, 0.0 MB/s, ETA 1s",
    "\r\x1b[K",
  ]);
  written.length = 0;
  const plain = new StatusLine(io(false));
  new TerminalProgress(plain).stage("s", "copy", 1, 1);
  plain.print("log\n");
  assert.deepEqual(written, ["log\n"]);
});
