/**
 * Sending the report through the SMTP peer on 127.0.0.1, in-process: once per
 * month for the whole share with `--once`, a send that fails gives the month
 * back, nobody listed sends nothing. (Its HTML in a browser:
 * tests/web/report_render_test.ts.)
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config/mod.ts";
import { buildReport, claimPath, sendReport } from "../../lib/report/mod.ts";
import { withSmtpPeer } from "../../peers/smtp.ts";
import { closedPort } from "../../peers/ports.ts";
import {
  envOf,
  SMTP_CREDENTIALS_ENV,
  SMTP_USERS,
  writeNotifyConfig,
  writeRecipients,
} from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { NOW, scenarioInput } from "./_scenario.ts";

const OPTIONS = { env: envOf(SMTP_CREDENTIALS_ENV), host: "PC-TEST", now: NOW };

Deno.test("--once: the first PC sends the month's report, the next one sees who did", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await loadConfig({ path: await writeNotifyConfig(dir, { port: peer.port }) });
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const report = buildReport(scenarioInput());
      const first = await sendReport(config, report, { ...OPTIONS, once: true });
      assert.equal(first.status, "sent");
      assert.match(first.source ?? "", /default\.txt$/);
      const claim = JSON.parse(await Deno.readTextFile(claimPath(config, "2026-11")));
      assert.deepEqual(claim, {
        month: "2026-11",
        instrument: "fusion-test",
        host: "PC-TEST",
        claimed_at: "2026-12-02T08:00:00Z",
      });
      const second = await sendReport(config, report, { ...OPTIONS, once: true });
      assert.equal(second.status, "claimed");
      assert.equal(
        second.reason,
        "the report of 2026-11 was already sent by fusion-test (PC-TEST) at 2026-12-02T08:00:00Z",
      );
      // By hand, without --once, it goes out again.
      const again = await sendReport(config, report, { ...OPTIONS, once: false });
      assert.equal(again.status, "sent");
      assert.equal(peer.received.length, 2);
    });
  });
});

Deno.test("a send that fails gives the month back; nobody listed sends nothing", async () => {
  await withTempDir(async (dir) => {
    const config = await loadConfig({ path: await writeNotifyConfig(dir, { port: closedPort() }) });
    const report = buildReport(scenarioInput());
    const nobody = await sendReport(config, report, { ...OPTIONS, once: true });
    assert.equal(nobody.status, "nobody");
    assert.match(
      nobody.reason ?? "",
      /monthly_report\.txt and .*default\.txt list no valid address/,
    );
    await writeRecipients(dir, { monthly_report: "ops@lab.example.org\nnot an address\n" });
    const failed = await sendReport(config, report, { ...OPTIONS, once: true });
    assert.equal(failed.status, "failed");
    assert.match(failed.reason ?? "", /cannot reach the SMTP server 127\.0\.0\.1:\d+/);
    assert.deepEqual(failed.warnings.map((line) => line.replace(/^.*:(\d+): /, "$1: ")), [
      '2: "not an address" is not an email address; it is not sent to',
    ]);
    await assert.rejects(Deno.stat(claimPath(config, "2026-11")), Deno.errors.NotFound);
  });
});
