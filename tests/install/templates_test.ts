import assert from "node:assert/strict";
import {
  DEFAULT_RECIPIENTS_FILE,
  recipientsFiles,
  SMTP_ENV_TEMPLATE,
} from "../../lib/install/templates.ts";

/** The lines a reader of the file would not skip: not blank, not a `#` comment. */
function liveLines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter((line) =>
    line !== "" && !line.startsWith("#")
  );
}

Deno.test("one recipients file per event plus default.txt, each listing nobody yet", () => {
  const files = recipientsFiles();
  assert.deepEqual(files.map((file) => file.name), [
    "backup_failure.txt",
    "cleanup_failure.txt",
    "fusion_error.txt",
    "monitor_crash.txt",
    "toolkit_error.txt",
    "monthly_report.txt",
    DEFAULT_RECIPIENTS_FILE,
  ]);
  for (const file of files) {
    assert.deepEqual(liveLines(file.content), [], file.name);
    assert.match(file.content, /One email address per line\. Lines starting with # are comments/);
    assert.match(file.content, /^# [a-z0-9-]+@lab\.example\.org$/m, "an example address to copy");
  }
  const fusionError = files.find((file) => file.name === "fusion_error.txt")?.content ?? "";
  assert.match(
    fusionError,
    /^# Recipients of the fusion_error email: sent when monitor tail found an ERROR block/,
  );
  assert.match(fusionError, /default\.txt receive it/);
  const fallback = files.at(-1)?.content ?? "";
  assert.match(fallback, /^# Fallback recipients/);
});

Deno.test("smtp.env sets exactly the two credential keys, empty, and explains Gmail app passwords", () => {
  assert.deepEqual(liveLines(SMTP_ENV_TEMPLATE), [
    "FUSION_SMTP_USER=",
    "FUSION_SMTP_APP_PASSWORD=",
  ]);
  assert.match(SMTP_ENV_TEMPLATE, /https:\/\/myaccount\.google\.com\/apppasswords/);
  assert.match(SMTP_ENV_TEMPLATE, /mode 0600/);
});
