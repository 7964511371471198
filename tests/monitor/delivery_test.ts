/**
 * Monitor emails against a real SMTP server on 127.0.0.1 (peers/smtp.ts):
 * a new error block arrives as `fusion_error` with its sample and cycle; the
 * running loop follows a rename or copy-truncate rotation, and a stop in
 * the middle of one, emailing every error once and nothing about the gap;
 * a log missing longer than the grace is a `toolkit_error` email; a crash of
 * `monitor tail` (run in-process through the CLI) sends `monitor_crash` and
 * exits 1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startJob } from "../../lib/cli/_job.ts";
import { runCli } from "../../lib/cli/mod.ts";
import { openLogTail } from "../../lib/cli/monitor.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";
import { waitUntil, writeMonitorConfig } from "../_helpers/monitor.ts";
import {
  captureContext,
  envOf,
  SMTP_CREDENTIALS_ENV,
  SMTP_USERS,
  writeRecipients,
} from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { type SmtpPeer, withSmtpPeer } from "../../peers/smtp.ts";

/**
 * `monitor tail` in this process, as lib/cli/monitor.ts runs it: the job
 * (config, log, notifier watching the log for toolkit_error) and the tail's
 * real loop, until `stop` aborts it and finishes the job. On a first start
 * it returns once the first pass has measured the log (what is written
 * after is new, not history).
 */
async function startMonitor(config: string, options: { readonly restart?: boolean } = {}) {
  const { context, lines } = captureContext(SMTP_CREDENTIALS_ENV);
  const job = await startJob(context, "monitor tail", { config, failureEvent: "monitor_crash" });
  const tail = await openLogTail(job, context.logger);
  const controller = new AbortController();
  const running = tail.run(controller.signal);
  if (options.restart !== true) {
    await waitUntil("the first pass", () => lines.some((line) => line.startsWith("first start:")));
  }
  return {
    lines,
    async stop(): Promise<number> {
      controller.abort();
      await running;
      return await job.finish(0);
    },
  };
}

/** The instrument: it holds its log open and appends, as a .NET logger does. */
async function openInstrument(log: string) {
  const file = await Deno.open(log, { write: true, append: true, create: true });
  let second = 0;
  const write = (text: string) => file.write(new TextEncoder().encode(text));
  return {
    /** Logs error `id` (E1, E2, ...), with a stack trace line, ended by an INFO entry or not. */
    async error(id: string, options: { ended?: boolean } = {}) {
      const time = `2025-03-01 10:00:${String(++second).padStart(2, "0")}`;
      await write(
        `${time},000 [12] ERROR Akoya.Fusion.Imaging - ${id} exposure failed\n` +
          "   at Akoya.Fusion.Imaging.Camera.Capture()\n" +
          (options.ended === false ? "" : `${time},500 [12] INFO  Akoya - ok\n`),
      );
    },
    close: () => file.close(),
  };
}

/** The error ids of the fusion_error emails received, in order. */
function emailedErrors(peer: SmtpPeer): string[] {
  return peer.received
    .filter((email) => email.subject.includes(" fusion_error on "))
    .map((email) => /ERROR Akoya\.Fusion\.Imaging - (E\d+)/.exec(email.subject)?.[1] ?? "?");
}

function otherEmails(peer: SmtpPeer): string[] {
  return peer.received
    .filter((email) => !email.subject.includes(" fusion_error on "))
    .map((email) => email.subject);
}

async function withMonitorFolder(
  options: { readonly rotationGraceSeconds?: number },
  body: (peer: SmtpPeer, config: string, log: string) => Promise<void>,
): Promise<void> {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const { config, log } = await writeMonitorConfig(dir, { port: peer.port, ...options });
      await writeRecipients(dir, {
        fusion_error: "oncall@lab.example.org\n",
        default: "ops@lab.example.org\n",
      });
      await Deno.writeTextFile(log, "2025-03-01 09:45:12,315 [8] INFO  Akoya - Sample name: S12\n");
      await body(peer, config, log);
    });
  });
}

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
      const tail = await openLogTail(job, context.logger);
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

Deno.test("rename rotation under the running monitor: every error emailed once, nothing about the gap", async () => {
  await withMonitorFolder({}, async (peer, config, log) => {
    const monitor = await startMonitor(config);
    try {
      const instrument = await openInstrument(log);
      try {
        await instrument.error("E1");
        await waitUntil("E1's email", () => emailedErrors(peer).length === 1);
        await instrument.error("E2", { ended: false });
        await Deno.rename(log, `${log}.1`);
        // The instrument's handle goes on writing to the renamed file for a moment.
        await instrument.error("E3");
        await waitUntil("the gap", () => monitor.lines.some((line) => line.includes("right now")));
        await instrument.error("E4");
        await waitUntil("E2 to E4", () => emailedErrors(peer).length === 4);
      } finally {
        instrument.close();
      }
      const next = await openInstrument(log);
      try {
        await next.error("E5");
        await waitUntil("E5's email", () => emailedErrors(peer).length === 5);
        await next.error("E6");
        await waitUntil("E6's email", () => emailedErrors(peer).length === 6);
      } finally {
        next.close();
      }
    } finally {
      assert.equal(await monitor.stop(), 0);
    }
    assert.deepEqual(emailedErrors(peer), ["E1", "E2", "E3", "E4", "E5", "E6"]);
    assert.deepEqual(otherEmails(peer), [], "no toolkit_error email about the missing log");
  });
});

Deno.test("copy-truncate rotation under the running monitor: every error emailed once", async () => {
  await withMonitorFolder({}, async (peer, config, log) => {
    const monitor = await startMonitor(config);
    const instrument = await openInstrument(log);
    try {
      await instrument.error("E1");
      await waitUntil("E1's email", () => emailedErrors(peer).length === 1);
      // The rotator copies the log, then empties it; the instrument appends on.
      await Deno.copyFile(log, `${log}.1`);
      await Deno.truncate(log, 0);
      await instrument.error("E2");
      await waitUntil("E2's email", () => emailedErrors(peer).length === 2);
      await instrument.error("E3");
      await waitUntil("E3's email", () => emailedErrors(peer).length === 3);
    } finally {
      instrument.close();
      assert.equal(await monitor.stop(), 0);
    }
    assert.deepEqual(emailedErrors(peer), ["E1", "E2", "E3"]);
    assert.deepEqual(otherEmails(peer), []);
  });
});

Deno.test("a monitor stopped in the middle of a rotation: the restart emails the rest once", async () => {
  await withMonitorFolder({}, async (peer, config, log) => {
    const instrument = await openInstrument(log);
    try {
      const first = await startMonitor(config);
      try {
        await instrument.error("E1");
        await waitUntil("E1's email", () => emailedErrors(peer).length === 1);
        await Deno.rename(log, `${log}.1`);
        await instrument.error("E2");
        await waitUntil("E2's email", () => emailedErrors(peer).length === 2);
        await waitUntil(
          "the rotation to be seen",
          () => first.lines.some((line) => line.includes("was rotated (renamed")),
        );
      } finally {
        assert.equal(await first.stop(), 0);
      }
      // Stopped, holding the renamed file: the instrument writes on, then starts a new log.
      await instrument.error("E3");
    } finally {
      instrument.close();
    }
    const next = await openInstrument(log);
    try {
      await next.error("E4");
      const second = await startMonitor(config, { restart: true });
      try {
        await waitUntil("E3 and E4", () => emailedErrors(peer).length === 4);
      } finally {
        assert.equal(await second.stop(), 0);
      }
      assert.ok(second.lines.some((line) => line.includes("is another file than the one read")));
    } finally {
      next.close();
    }
    assert.deepEqual(emailedErrors(peer), ["E1", "E2", "E3", "E4"]);
    assert.deepEqual(otherEmails(peer), []);
  });
});

Deno.test("a log missing longer than rotation_grace_seconds is emailed as toolkit_error", async () => {
  await withMonitorFolder({ rotationGraceSeconds: 0.3 }, async (peer, config, log) => {
    const monitor = await startMonitor(config);
    try {
      await Deno.rename(log, `${log}.1`);
      await waitUntil(
        "the warning",
        () => monitor.lines.some((line) => line.startsWith("warning:")),
      );
      const instrument = await openInstrument(log);
      try {
        await instrument.error("E1");
        await waitUntil("E1's email", () => emailedErrors(peer).length === 1);
      } finally {
        instrument.close();
      }
    } finally {
      assert.equal(await monitor.stop(), 0);
    }
    const alerts = peer.received.filter((email) => email.subject.includes(" toolkit_error on "));
    assert.equal(alerts.length, 1);
    assert.ok(
      alerts[0]?.subject.startsWith(
        `[fusion-toolkit] toolkit_error on ${Deno.hostname()}: ${log} does not exist`,
      ),
    );
    assert.ok(
      alerts[0]?.text.includes(
        `WARNING ${log} does not exist, for longer than [monitor] rotation_grace_seconds = 0.3 ` +
          "(a rotation takes less); waiting for it (checking every 0.05 s); check [monitor] " +
          "log_path if this lasts\n",
      ),
    );
    assert.deepEqual(emailedErrors(peer), ["E1"]);
  });
});
