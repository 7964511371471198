import assert from "node:assert/strict";
import { composeMessage, NOTIFY_EVENTS } from "../../lib/notify/mod.ts";
import { SUBJECT_MAX } from "../../lib/notify/message.ts";

const TIME = new Date("2026-03-01T02:00:03.250Z");

Deno.test("a backup failure reads as a person expects: subject with event, host, study", () => {
  const message = composeMessage(
    "backup_failure",
    {
      title: "1 of 3 studies failed",
      study: "20250301_alice_lung_panel1",
      lines: ["20250301_alice_lung_panel1: failed_s3 at upload: connection reset", ""],
    },
    {
      host: "FUSION-PC",
      time: TIME,
      configFile: "C:\\Users\\lab\\.config\\fusion-toolkit\\config.toml",
      logFile: "C:\\Users\\lab\\.config\\fusion-toolkit\\logs\\2026-03.log",
      recipientsFile: "C:\\Users\\lab\\.config\\fusion-toolkit\\recipients\\backup_failure.txt",
    },
  );
  assert.equal(
    message.subject,
    "[fusion-toolkit] backup_failure on FUSION-PC (20250301_alice_lung_panel1): 1 of 3 studies failed",
  );
  assert.equal(
    message.text,
    [
      "fusion-toolkit alert: backup_failure",
      "(backup run ended with a non-zero exit code)",
      "",
      "1 of 3 studies failed",
      "",
      "  20250301_alice_lung_panel1: failed_s3 at upload: connection reset",
      "",
      "Study:     20250301_alice_lung_panel1",
      "Host:      FUSION-PC",
      "Time:      2026-03-01 02:00:03 UTC",
      "Log file:  C:\\Users\\lab\\.config\\fusion-toolkit\\logs\\2026-03.log",
      "Config:    C:\\Users\\lab\\.config\\fusion-toolkit\\config.toml",
      "",
      "You receive this because your address is listed in " +
      "C:\\Users\\lab\\.config\\fusion-toolkit\\recipients\\backup_failure.txt.",
      "Edit that file to change who receives backup_failure alerts.",
      "",
    ].join("\n"),
  );
});

Deno.test("a fusion error names sample and cycle and quotes the log block", () => {
  const message = composeMessage(
    "fusion_error",
    {
      title: "Stage motor error",
      sample: "S12",
      cycle: 7,
      excerpt: "2026-03-01 10:00:00 ERROR Stage motor error\n   at Motor.Move()\n",
    },
    { host: "fusion-01", time: TIME },
  );
  assert.equal(
    message.subject,
    "[fusion-toolkit] fusion_error on fusion-01 (sample S12, cycle 7): Stage motor error",
  );
  assert.match(
    message.text,
    /\nLog excerpt:\n {2}\| 2026-03-01 10:00:00 ERROR Stage motor error\n {2}\| {4}at Motor\.Move\(\)\n/,
  );
  assert.match(message.text, /\nSample: {4}S12\nCycle: {5}7\nHost: {6}fusion-01\n/);
  assert.ok(!message.text.includes("You receive this"), "no footer without a recipients file");
});

Deno.test("subjects stay one short line whatever the title", () => {
  for (const event of NOTIFY_EVENTS) {
    const { subject } = composeMessage(event, {
      title: `first line\nsecond line ${"x".repeat(300)}`,
    }, {
      host: "h",
      time: TIME,
    });
    assert.ok(!/[\r\n]/.test(subject));
    assert.ok(subject.length <= SUBJECT_MAX, `${subject.length}`);
    assert.ok(subject.startsWith(`[fusion-toolkit] ${event} on h: first line second line x`));
    assert.ok(subject.endsWith("..."));
  }
});
