/**
 * Monitor emails against a real SMTP server on 127.0.0.1 (peers/smtp.ts):
 * a new error block arrives as `fusion_error` with its sample and cycle, and
 * a crash of `monitor tail` (run in-process through the CLI) sends
 * `monitor_crash` and exits 1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startJob } from "../../lib/cli/_job.ts";
import { runCli } from "../../lib/cli/mod.ts";
import { emailFusionErrors, LogTail, monitorStatePath } from "../../lib/monitor/mod.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";
import { writeMonitorConfig } from "../_helpers/monitor.ts";
import {
  captureContext,
  envOf,
  SMTP_CREDENTIALS_ENV,
  SMTP_USERS,
  writeRecipients,
} from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { withSmtpPeer } from "../../peers/smtp.ts";

Deno.test("a new error block is emailed as fusion_error: sample and cycle in the subject, the block quoted", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const { config, log } = await writeMonitorConfig(dir, { port: peer.port });
      await writeRecipients(dir, {
        fusion_error: "oncall@lab.example.org\nowner@lab.example.org\n",
        default: "ops@lab.example.org\n",
      });
      await Deno.writeTextFile(
        log,
        "2025-03-01 09:45:12,315 [8] INFO  Akoya.Fusion.Acquisition.RunController - Sample name: S12\n" +
          "2025-03-01 09:52:30,118 [8] INFO  Akoya.Fusion.Acquisition.RunController - Cycle: 7\n",
      );
      const { context, lines } = captureContext(SMTP_CREDENTIALS_ENV);
      const job = await startJob(context, "monitor tail", {
        config,
        failureEvent: "monitor_crash",
      });
      const { monitor } = job.config;
      const tail = await LogTail.open({
        logPath: monitor.logPath,
        patterns: monitor,
        pollSeconds: monitor.pollSeconds,
        sentKeepDays: monitor.sentKeepDays,
        stateFile: monitorStatePath(job.config.dir),
        logger: context.logger,
        deliver: emailFusionErrors(job.notifier, monitor.logPath, monitor.lineStart),
      });
      await tail.poll();
      await Deno.writeTextFile(
        log,
        "2025-03-01 09:58:01,442 [12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - " +
          "Exposure failed for tile 88 channel CD3\n" +
          "Akoya.Fusion.Imaging.CameraException: Frame grab timeout (DCAMERR_TIMEOUT)\n" +
          "   at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)\n" +
          "2025-03-01 09:58:02,000 [12] INFO  Akoya.Fusion.Imaging.AcquisitionEngine - Retrying\n",
        { append: true },
      );
      await tail.poll();
      assert.equal(await job.finish(0), 0);
      assert.equal(peer.received.length, 1);
      const email = peer.received[0];
      assert.deepEqual(email?.to, ["oncall@lab.example.org", "owner@lab.example.org"]);
      // The subject is clipped to 140 characters, how much of the title fits depends on the host.
      assert.ok(
        email?.subject.startsWith(
          `[fusion-toolkit] fusion_error on ${Deno.hostname()} (sample S12, cycle 7): ` +
            "[12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - Exposure failed",
        ),
      );
      assert.ok(
        email?.text.includes(
          [
            "Log excerpt:",
            "  | 2025-03-01 09:58:01,442 [12] ERROR Akoya.Fusion.Imaging.AcquisitionEngine - " +
            "Exposure failed for tile 88 channel CD3",
            "  | Akoya.Fusion.Imaging.CameraException: Frame grab timeout (DCAMERR_TIMEOUT)",
            "  |    at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)",
            "",
          ].join("\n"),
        ),
      );
      assert.ok(email?.text.includes("\nSample:    S12\nCycle:     7\n"));
      assert.ok(email?.text.includes(`The instrument logged an error in ${log}.`));
      assert.ok(lines.includes(
        "sent the fusion_error alert to 2 recipient(s) listed in " +
          join(dir, "recipients", "fusion_error.txt"),
      ));
      assert.equal(tail.stats.emailed, 1);
    });
  });
});

// Needs symbolic links: see CANNOT_SYMLINK for where they cannot be made.
Deno.test("monitor tail crashing in its loop emails monitor_crash and exits 1", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const { config, log } = await writeMonitorConfig(dir, { port: peer.port });
      await writeRecipients(dir, {
        monitor_crash: "maintainer@lab.example.org\n",
        default: "ops@lab.example.org\n",
      });
      await Deno.writeTextFile(log, "2025-03-01 10:00:00,000 [1] INFO  Akoya.Fusion.App - up\n");
      // state/ is a link to nowhere: reading finds no state, the first save fails in the loop.
      // Windows must be told the missing target is a folder.
      await Deno.symlink(join(dir, "nowhere", "state"), join(dir, "state"), { type: "dir" });
      let stderr = "";
      const code = await runCli(["monitor", "tail", "--config", config], {
        io: { out: () => {}, err: (text) => stderr += text, stderrIsTerminal: false },
        env: envOf(SMTP_CREDENTIALS_ENV),
      });
      assert.equal(code, 1);
      assert.match(stderr, /\nerror: monitor tail crashed: .*; the log is .*\.log\n/);
      const crash = peer.received.find((email) => email.subject.includes("monitor_crash"));
      assert.deepEqual(crash?.to, ["maintainer@lab.example.org"]);
      assert.match(
        crash?.subject ?? "",
        new RegExp(
          `^\\[fusion-toolkit\\] monitor_crash on ${Deno.hostname()}: monitor tail crashed: `,
        ),
      );
      assert.ok(crash?.text.includes(`is no longer watched: restart the task after fixing this.`));
      assert.ok(crash?.text.includes("monitor tail exited with code 1."));
    });
  });
});
