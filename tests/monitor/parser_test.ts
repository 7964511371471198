/** The block parser over fixture logs, whole and in every way of cutting them into chunks. */
import assert from "node:assert/strict";
import {
  BlockParser,
  type ErrorBlock,
  MAX_BLOCK_LINES,
  MAX_LINE_CHARS,
  type MonitorPatterns,
} from "../../lib/monitor/mod.ts";
import { DEFAULT_PATTERNS, fixturePath } from "./_patterns.ts";

/** Feeds `text` cut after the line numbers in `cuts`, then flushes; returns every block. */
function parse(
  text: string,
  options: { cuts?: readonly number[]; patterns?: MonitorPatterns } = {},
): ErrorBlock[] {
  const parser = new BlockParser(options.patterns ?? DEFAULT_PATTERNS);
  const lines = text.split(/(?<=\n)/);
  const cuts = [...(options.cuts ?? []), lines.length];
  const blocks: ErrorBlock[] = [];
  let from = 0;
  for (const cut of cuts) {
    blocks.push(...parser.feed(lines.slice(from, cut).join("")));
    from = cut;
  }
  const last = parser.flush();
  if (last !== undefined) blocks.push(last);
  return blocks;
}

/** Every block parsed line by line, through a saved and restored state between lines. */
function parseLineByLineWithRestarts(text: string): ErrorBlock[] {
  const blocks: ErrorBlock[] = [];
  let state = new BlockParser(DEFAULT_PATTERNS).state;
  for (const line of text.split(/(?<=\n)/)) {
    const parser = new BlockParser(DEFAULT_PATTERNS, JSON.parse(JSON.stringify(state)));
    blocks.push(...parser.feed(line));
    state = parser.state;
  }
  const last = new BlockParser(DEFAULT_PATTERNS, state).flush();
  if (last !== undefined) blocks.push(last);
  return blocks;
}

function summary(blocks: readonly ErrorBlock[]) {
  return blocks.map((block) => ({
    first: block.lines[0],
    lines: block.lines.length,
    sample: block.sample,
    cycle: block.cycle,
  }));
}

async function fixtureText(name: string, encoding = "utf-8"): Promise<string> {
  // TextDecoder drops the byte-order mark, as the tail does by skipping it.
  return new TextDecoder(encoding).decode(await Deno.readFile(fixturePath(name)));
}

/** Every way of cutting the text into two chunks, and one chunk per line. */
function assertSameInEveryChunking(text: string, expected: ErrorBlock[]): void {
  const count = text.split(/(?<=\n)/).length;
  for (let cut = 0; cut <= count; cut++) {
    assert.deepEqual(parse(text, { cuts: [cut] }), expected, `cut after line ${cut}`);
  }
  const everyLine = Array.from({ length: count }, (_, index) => index);
  assert.deepEqual(parse(text, { cuts: everyLine }), expected, "one line per chunk");
  assert.deepEqual(parseLineByLineWithRestarts(text), expected, "state saved after every line");
}

Deno.test("log4net fixture: multi-line stack traces, an error before any sample, cycle reset by a new sample", async () => {
  const text = await fixtureText("fusion_log4net.log");
  const blocks = parse(text);
  assert.deepEqual(summary(blocks), [
    {
      first: "2025-03-01 08:02:14,733 [5] ERROR Akoya.Fusion.Hardware.StageController - " +
        "Stage homing timed out after 30000 ms",
      lines: 5,
      sample: undefined,
      cycle: undefined,
    },
    {
      first: "2025-03-01 08:31:19,225 [12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - " +
        "Exposure failed for tile 413 channel CD68",
      lines: 9,
      sample: "Tonsil_A",
      cycle: "2",
    },
    {
      first: "2025-03-01 09:45:13,900 [3] FATAL Akoya.Fusion.Fluidics.PumpController - " +
        "Pressure sensor out of range (412 kPa); run paused",
      lines: 1,
      sample: "S12",
      cycle: undefined,
    },
    {
      first: "2025-03-01 09:58:01,442 [12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - " +
        "Exposure failed for tile 88 channel CD3",
      lines: 3,
      sample: "S12",
      cycle: "7",
    },
  ]);
  assert.deepEqual(blocks[1]?.lines.slice(1), [
    "Akoya.Fusion.Imaging.CameraException: Frame grab timeout (DCAMERR_TIMEOUT)",
    " ---> System.IO.IOException: The semaphore timeout period has expired.",
    "   at Akoya.Fusion.Imaging.Dcam.DcamDevice.Capture(Int32 exposureMs)",
    "   at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)",
    "   --- End of inner exception stack trace ---",
    "   at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)",
    "   at Akoya.Fusion.Imaging.AcquisitionEngine.AcquireTile(Tile tile, Cycle cycle)",
    "   at Akoya.Fusion.Imaging.AcquisitionEngine.<RunCycleAsync>d__31.MoveNext()",
  ], "the blank line before the next entry is not part of the block");
  assert.ok(blocks.every((block) => block.omittedLines === 0 && !block.history));
  assertSameInEveryChunking(text, blocks);
});

Deno.test("NLog fixture with CRLF line endings: no carriage return in any line", async () => {
  const text = await fixtureText("fusion_nlog_crlf.log");
  assert.ok(text.includes("\r\n"));
  const blocks = parse(text);
  assert.deepEqual(summary(blocks), [
    {
      first: "2025-03-02 14:09:43.8810|ERROR|Akoya.Fusion.Fluidics.FluidicsController|" +
        "Reagent well 12 empty (expected 250 uL)",
      lines: 3,
      sample: "Colon-B_03",
      cycle: "3",
    },
    {
      first: "2025-03-02 14:15:02.1000|FATAL|Akoya.Fusion.App|Unhandled exception",
      lines: 3,
      sample: "Colon-B_03",
      cycle: "4",
    },
  ]);
  assert.ok(blocks.flatMap((block) => block.lines).every((line) => !line.includes("\r")));
  assertSameInEveryChunking(text, blocks);
});

Deno.test("UTF-8 with a BOM and UTF-16 LE fixtures read the same: en-US dates, non-ASCII text", async () => {
  const utf8 = await fixtureText("fusion_utf8_bom.log");
  const utf16 = await fixtureText("fusion_utf16le.log", "utf-16le");
  assert.equal(utf16, utf8);
  const blocks = parse(utf8);
  assert.deepEqual(blocks, [{
    lines: [
      "3/1/2025 8:00:09 AM ERROR Focus lost at z = 98.7 µm (Δ 3.6 µm) — 自动对焦失败 🔬",
      "   at Akoya.Fusion.Imaging.Focus.Track()",
    ],
    omittedLines: 0,
    sample: "LN-2025-017",
    cycle: "12",
    history: false,
  }]);
  assertSameInEveryChunking(utf8, blocks);
});

Deno.test("a pending block grows across chunks and is returned when the next entry starts", () => {
  const parser = new BlockParser(DEFAULT_PATTERNS);
  assert.deepEqual(parser.feed("2025-03-01 10:00:00 INFO Sample name: S1\n"), []);
  assert.deepEqual(parser.feed("2025-03-01 10:00:01 ERROR boom\n   at A.B()\n"), []);
  assert.ok(parser.hasPending);
  assert.deepEqual(parser.state.pending?.lines, ["2025-03-01 10:00:01 ERROR boom", "   at A.B()"]);
  assert.deepEqual(parser.feed("   at C.D()\n"), []);
  const [block] = parser.feed("2025-03-01 10:00:02 INFO next\n");
  assert.deepEqual(block?.lines, ["2025-03-01 10:00:01 ERROR boom", "   at A.B()", "   at C.D()"]);
  assert.equal(block?.sample, "S1");
  assert.equal(parser.hasPending, false);
  assert.equal(parser.flush(), undefined);
});

Deno.test("ERROR in a continuation line or in a line before the first entry is not a block", () => {
  const text = [
    "ERROR: this line has no timestamp",
    "2025-03-01 10:00:00 INFO Retry policy:",
    "   on ERROR retry 3 times",
    "2025-03-01 10:00:01 INFO done",
    "",
  ].join("\n");
  assert.deepEqual(parse(text), []);
});

Deno.test("lines before the first entry still set the sample and cycle", () => {
  const text = "Sample name: S7\nCycle 3\n2025-03-01 10:00:01 ERROR boom\n";
  assert.deepEqual(summary(parse(text)), [{
    first: "2025-03-01 10:00:01 ERROR boom",
    lines: 1,
    sample: "S7",
    cycle: "3",
  }]);
});

Deno.test("the error line's own sample and cycle count; its stack trace's count for later blocks", () => {
  const text = [
    "2025-03-01 10:00:00 INFO Sample name: S1",
    "2025-03-01 10:00:01 ERROR Exposure failed, Sample name: S2, Cycle 4",
    "   Cycle 5",
    "2025-03-01 10:00:02 ERROR again",
    "",
  ].join("\n");
  assert.deepEqual(summary(parse(text)).map(({ sample, cycle }) => [sample, cycle]), [
    ["S2", "4"],
    ["S2", "5"],
  ]);
});

Deno.test("the same sample named again keeps the cycle; another sample clears it", () => {
  const text = [
    "2025-03-01 10:00:00 INFO Sample name: S1",
    "2025-03-01 10:00:00 INFO Cycle 9",
    "2025-03-01 10:00:00 INFO Sample name: S1",
    "2025-03-01 10:00:01 ERROR one",
    "2025-03-01 10:00:00 INFO Sample name: S2",
    "2025-03-01 10:00:01 ERROR two",
    "",
  ].join("\n");
  assert.deepEqual(summary(parse(text)).map(({ sample, cycle }) => [sample, cycle]), [
    ["S1", "9"],
    ["S2", undefined],
  ]);
});

Deno.test("default sample and cycle patterns: what they take and what they leave", () => {
  const sampleOf = (line: string) => parse(`${line}\n2025-03-01 10:00:00 ERROR x\n`)[0]?.sample;
  assert.equal(sampleOf("Sample name: S12"), "S12");
  assert.equal(sampleOf("SampleName=Tonsil_A, 40 cycles"), "Tonsil_A");
  assert.equal(sampleOf('Starting sample "Tonsil_A"'), "Tonsil_A");
  assert.equal(sampleOf("sample_id: LN-3"), "LN-3");
  assert.equal(sampleOf("Acquiring sample images"), undefined);
  assert.equal(sampleOf("Sample Tonsil_A complete"), undefined);
  const cycleOf = (line: string) => parse(`${line}\n2025-03-01 10:00:00 ERROR x\n`)[0]?.cycle;
  assert.equal(cycleOf("Cycle 7 of 40"), "7");
  assert.equal(cycleOf("Cycle: 7"), "7");
  assert.equal(cycleOf("cycle #7"), "7");
  assert.equal(cycleOf("Cycle No. 7"), "7");
  assert.equal(cycleOf("Cycle 7/40"), "7");
  assert.equal(cycleOf("at Akoya.Fusion.Cycle7Handler.Run()"), undefined);
  assert.equal(cycleOf("40 cycles done"), undefined);
  assert.equal(cycleOf("recycle 3 buffers"), undefined);
});

Deno.test("custom patterns: group 1 when there is no named group, the match when there is no group", () => {
  const patterns: MonitorPatterns = {
    lineStart: /^\[\d+\]/,
    error: /\bE\b/,
    sample: /SAMPLE (\w+)/,
    cycle: /C\d+/,
  };
  const text = "[1] I SAMPLE x1 C4\n[2] E failed\n";
  assert.deepEqual(summary(parse(text, { patterns })), [
    { first: "[2] E failed", lines: 1, sample: "x1", cycle: "C4" },
  ]);
});

Deno.test("a runaway block keeps its first lines and counts the rest; long lines are clipped", () => {
  const long = "x".repeat(MAX_LINE_CHARS + 50);
  const trace = Array.from({ length: MAX_BLOCK_LINES + 25 }, (_, index) => `   at F${index}()`);
  const text = ["2025-03-01 10:00:00 ERROR " + long, ...trace, ""].join("\n");
  const [block] = parse(text);
  assert.equal(block?.lines.length, MAX_BLOCK_LINES);
  assert.equal(block?.omittedLines, 26);
  assert.equal(block?.lines[0]?.length, MAX_LINE_CHARS + 3);
  assert.ok(block?.lines[0]?.endsWith("x..."));
});

Deno.test("blocks fed as history are marked, also when they end in a later chunk", () => {
  const parser = new BlockParser(DEFAULT_PATTERNS);
  const old = parser.feed("2025-03-01 10:00:00 ERROR old\n2025-03-01 10:00:01 ERROR older\n", {
    history: true,
  });
  assert.deepEqual(old.map((block) => block.history), [true]);
  const [ended, fresh] = [
    ...parser.feed("2025-03-01 10:00:02 ERROR new\n2025-03-01 10:00:03 INFO ok\n"),
  ];
  assert.deepEqual([ended?.history, fresh?.history], [true, false]);
});

Deno.test("a pattern that could match across lines is still applied one line at a time", () => {
  const patterns: MonitorPatterns = { ...DEFAULT_PATTERNS, sample: /Sample:\s*(\S+)/ };
  const text = "Sample:\n2025-03-01 10:00:00 ERROR boom\n";
  assert.deepEqual(summary(parse(text, { patterns })), [
    { first: "2025-03-01 10:00:00 ERROR boom", lines: 1, sample: undefined, cycle: undefined },
  ]);
});

Deno.test("docs/cli.md's tightened log4net error pattern: the same blocks, and an INFO mentioning ERROR is not one", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/cli.md", import.meta.url));
  const tightened = /for log4net,\s+`'([^`]+)'`/.exec(doc)?.[1];
  assert.ok(tightened !== undefined, "docs/cli.md shows a tightened pattern for log4net");
  assert.equal(tightened, String.raw`^\S+ \S+ \[\d+\] (?:ERROR|FATAL) `);
  const patterns = { ...DEFAULT_PATTERNS, error: new RegExp(tightened) };
  const text = await fixtureText("fusion_log4net.log");
  assert.deepEqual(parse(text, { patterns }), parse(text));
  const info = "2025-03-01 10:00:00,000 [4] INFO  Akoya.Fusion.Run - on ERROR retry 3 times\n";
  assert.equal(parse(info).length, 1, "the default pattern takes it");
  assert.equal(parse(info, { patterns }).length, 0);
});
