/**
 * startJob/finish wired to email alerts, in-process (a CliContext whose
 * console is captured), against a real SMTP server on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startJob } from "../../lib/cli/_job.ts";
import { readJobLog } from "../../lib/manifest/mod.ts";
import {
  captureContext,
  readLogFiles,
  SMTP_PASSWORD,
  SMTP_USER,
  SMTP_USERS,
  writeNotifyConfig,
  writeRecipients,
  writeSmtpEnv,
} from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { withSmtpPeer } from "../../peers/smtp.ts";
import { closedPort } from "../../peers/ports.ts";

Deno.test("a failed job emails its failure event with the details, and warnings feed toolkit_error", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await writeNotifyConfig(dir, { port: peer.port });
      await writeRecipients(dir, {
        backup_failure: "ops@lab.example.org\n",
        toolkit_error: "dev@lab.example.org\n",
      });
      const smtpEnv = await writeSmtpEnv(dir);
      const { context } = captureContext({});
      const job = await startJob(context, "backup run", {
        config,
        smtpEnv,
        failureEvent: "backup_failure",
      });
      assert.equal(context.job, job);
      context.logger.error("20250301_alice_lung_panel1: upload failed");
      const code = await job.finish(1, {
        title: "1 of 2 studies failed",
        study: "20250301_alice_lung_panel1",
        lines: ["20250301_alice_lung_panel1: failed_s3 at upload: connection reset"],
      });
      assert.equal(code, 1);
      const byEvent = new Map(peer.received.map((email) => [email.subject.split(" ")[1], email]));
      assert.equal(peer.received.length, 2);
      const failure = byEvent.get("backup_failure");
      assert.deepEqual(failure?.to, ["ops@lab.example.org"]);
      assert.equal(
        failure?.subject,
        `[fusion-toolkit] backup_failure on ${Deno.hostname()} (20250301_alice_lung_panel1): 1 of 2 studies failed`,
      );
      const body = failure?.text ?? "";
      assert.match(
        body,
        /\n {2}20250301_alice_lung_panel1: failed_s3 at upload: connection reset\n {2}backup run exited with code 1\.\n/,
      );
      assert.ok(body.includes(`\nLog file:  ${context.logger.filePath}\n`));
      assert.ok(body.includes(`\nConfig:    ${config}\n`));
      assert.ok(body.includes(`\nHost:      ${Deno.hostname()}\n`));
      assert.deepEqual(byEvent.get("toolkit_error")?.to, ["dev@lab.example.org"]);
      assert.match(
        byEvent.get("toolkit_error")?.text ?? "",
        /ERROR 20250301_alice_lung_panel1: upload failed\n/,
      );
    });
  });
});

Deno.test("a job that succeeds sends no failure email; finishing twice sends once", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await writeNotifyConfig(dir, { port: peer.port });
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const { context } = captureContext({
        FUSION_SMTP_USER: SMTP_USER,
        FUSION_SMTP_APP_PASSWORD: SMTP_PASSWORD,
      });
      const ok = await startJob(context, "cleanup run", {
        config,
        failureEvent: "cleanup_failure",
      });
      assert.equal(await ok.finish(0), 0);
      assert.equal(peer.received.length, 0);
      const failing = await startJob(context, "cleanup run", {
        config,
        failureEvent: "cleanup_failure",
      });
      assert.equal(await failing.finish(2, { title: "lock held", lines: [] }), 2);
      assert.equal(await failing.finish(3, { title: "again", lines: [] }), 3);
      assert.deepEqual(peer.received.map((email) => email.subject), [
        `[fusion-toolkit] cleanup_failure on ${Deno.hostname()}: lock held`,
      ]);
    });
  });
});

Deno.test("a wrong password: the job's exit code is unchanged and the password is nowhere", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const wrong = "not-the-app-password-42";
      const config = await writeNotifyConfig(dir, { port: peer.port });
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const { context, lines } = captureContext({
        FUSION_SMTP_USER: SMTP_USER,
        FUSION_SMTP_APP_PASSWORD: wrong,
      });
      const job = await startJob(context, "backup run", { config, failureEvent: "backup_failure" });
      assert.equal(await job.finish(1, { title: "1 of 1 studies failed", lines: [] }), 1);
      assert.equal(peer.received.length, 0);
      assert.deepEqual(
        peer.logins,
        [{ user: SMTP_USER, ok: false }],
        "one attempt: the failure does not feed itself",
      );
      assert.match(
        lines.at(-1) ?? "",
        /^warning: could not send the backup_failure alert: the SMTP server .* refused the login/,
      );
      assert.ok(!`${lines.join("\n")}${await readLogFiles(dir)}`.includes(wrong));
    });
  });
});

Deno.test("notify disabled: the job's console is exactly what it was without alerts", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await writeNotifyConfig(dir, { port: peer.port, enabled: false });
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const { context, lines } = captureContext({
        FUSION_SMTP_USER: SMTP_USER,
        FUSION_SMTP_APP_PASSWORD: SMTP_PASSWORD,
      });
      const job = await startJob(context, "backup run", { config, failureEvent: "backup_failure" });
      context.logger.warn("slow share");
      assert.equal(await job.finish(1, { title: "failed", lines: [] }), 1);
      assert.deepEqual(lines, [`backup run: using config ${config}`, "warning: slow share"]);
      assert.deepEqual([peer.logins, peer.received], [[], []]);
    });
  });
});

Deno.test("every run goes to the share's job log with its facts; an unmounted share gets nothing", async () => {
  await withTempDir(async (dir) => {
    const config = await writeNotifyConfig(dir, { port: closedPort(), enabled: false });
    const { context, lines } = captureContext({});
    const audit = await startJob(context, "audit", { config });
    const details = { backups: 3, with_findings: 0, findings: 0, s3: true };
    await audit.finish(0, {
      title: "audited 3 complete backups: no findings",
      lines: [],
      details,
    });
    const monitor = await startJob(context, "monitor tail", { config });
    await monitor.alive();
    await startJob(context, "backup run", { config, dryRun: true }).then((dry) => dry.finish(0));
    const log = await readJobLog(join(dir, "share", "_manifest"), {
      from: "2000-01",
      to: "2999-12",
    });
    assert.deepEqual(
      log.records.map((record) => [
        record.job,
        record.instrument,
        record.host,
        record.exit_code,
        record.finished_at === null,
        record.summary,
        record.details,
      ]),
      [
        [
          "audit",
          "fusion-test",
          Deno.hostname(),
          0,
          false,
          "audited 3 complete backups: no findings",
          details,
        ],
        ["monitor tail", "fusion-test", Deno.hostname(), null, true, null, undefined],
      ],
    );
    assert.ok(!lines.some((line) => line.includes("job log")), lines.join("\n"));

    // The share unmounted: the job runs on, says so once, and nothing appears in its place.
    await Deno.remove(join(dir, "share"), { recursive: true });
    const offline = await startJob(context, "backup run", { config });
    assert.equal(await offline.finish(1, { title: "share not found", lines: [] }), 1);
    await offline.alive();
    assert.equal(
      lines.filter((line) => /not reachable: not recorded in its job log/.test(line)).length,
      2,
    );
    await assert.rejects(Deno.stat(join(dir, "share")), Deno.errors.NotFound);
  });
});
