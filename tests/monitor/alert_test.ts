/** The fusion_error alert built from a block, and the email subject it gives. */
import assert from "node:assert/strict";
import { blockAlert, blockTitle, describeContext, type ErrorBlock } from "../../lib/monitor/mod.ts";
import { composeMessage } from "../../lib/notify/message.ts";
import { DEFAULT_PATTERNS } from "./_patterns.ts";

const BLOCK: ErrorBlock = {
  lines: [
    "2025-03-01 09:58:01,442 [12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - Exposure failed",
    "   at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)",
  ],
  omittedLines: 3,
  sample: "S12",
  cycle: "7",
  history: false,
};

Deno.test("the title drops the timestamp and the separators after it", () => {
  assert.equal(
    blockTitle(BLOCK, DEFAULT_PATTERNS.lineStart),
    "[12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - Exposure failed",
  );
  const nlog = { ...BLOCK, lines: ["2025-03-02 14:15:02.1000|FATAL|Akoya.Fusion.App|Unhandled"] };
  assert.equal(blockTitle(nlog, DEFAULT_PATTERNS.lineStart), "FATAL|Akoya.Fusion.App|Unhandled");
  const bare = { ...BLOCK, lines: ["2025-03-02 14:15:02"] };
  assert.equal(blockTitle(bare, DEFAULT_PATTERNS.lineStart), "2025-03-02 14:15:02");
});

Deno.test("the alert names sample and cycle, quotes the block, and counts omitted lines", () => {
  const alert = blockAlert(BLOCK, "C:\\ProgramData\\Akoya\\Fusion\\Logs\\Fusion.log", /^\S+ \S+/);
  const message = composeMessage("fusion_error", alert, {
    host: "FUSION-01",
    time: new Date("2025-03-01T10:00:00Z"),
  });
  assert.equal(
    message.subject,
    "[fusion-toolkit] fusion_error on FUSION-01 (sample S12, cycle 7): " +
      "[12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - Exposure failed",
  );
  assert.ok(message.text.includes(
    [
      "Log excerpt:",
      `  | ${BLOCK.lines[0]}`,
      `  | ${BLOCK.lines[1]}`,
      "  | ... 3 more lines not shown",
    ].join("\n"),
  ));
  assert.ok(
    message.text.includes(
      "  The instrument logged an error in C:\\ProgramData\\Akoya\\Fusion\\Logs\\Fusion.log.",
    ),
  );
  assert.ok(message.text.includes("\nSample:    S12\nCycle:     7\n"));
});

Deno.test("without context the alert says so and names none", () => {
  const alone = { ...BLOCK, sample: undefined, cycle: undefined, omittedLines: 0 };
  const alert = blockAlert(alone, "Fusion.log", DEFAULT_PATTERNS.lineStart);
  assert.equal("sample" in alert || "cycle" in alert, false);
  assert.ok(alert.lines?.includes("No sample was named in the log before this error."));
  assert.equal(alert.excerpt, BLOCK.lines.join("\n"));
  assert.equal(describeContext(alone), "");
  assert.equal(describeContext({ ...alone, cycle: "3" }), " (cycle 3)");
  assert.equal(describeContext(BLOCK), " (sample S12, cycle 7)");
});
