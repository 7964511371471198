/**
 * Black-box tests of `monitor tail`: spawn main.ts with the exe's
 * permissions, append an error block to the log while it runs, receive
 * the email at a real SMTP server on 127.0.0.1, stop it with SIGTERM.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readJobLog } from "../../lib/manifest/mod.ts";
import { readMonitorState } from "../../lib/monitor/mod.ts";
import { PRODUCT_FLAGS, runMain, spawnMain } from "../_helpers/cli.ts";
import { waitUntil, writeMonitorConfig } from "../_helpers/monitor.ts";
import { SMTP_CREDENTIALS_ENV, SMTP_USERS, writeRecipients } from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { withSmtpPeer } from "../../peers/smtp.ts";

// Exactly the exe's permissions: what the FusionToolkitMonitor task runs with.
const PERMISSIONS = PRODUCT_FLAGS;

Deno.test({
  name: "monitor tail emails an error block appended while it runs, and SIGTERM stops it cleanly",
  // Windows has no SIGTERM (Deno listens for SIGINT and SIGBREAK there).
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
      await withTempDir(async (dir) => {
        const { config, log } = await writeMonitorConfig(dir, { port: peer.port });
        await writeRecipients(dir, { fusion_error: "oncall@lab.example.org\n" });
        await Deno.writeTextFile(
          log,
          "2025-03-01 09:45:12,315 [8] INFO  Akoya.Fusion.Run - Sample name: S12\n" +
            "2025-03-01 09:45:13,900 [3] ERROR Akoya.Fusion.Pump - already there: not emailed\n" +
            "2025-03-01 09:52:30,118 [8] INFO  Akoya.Fusion.Run - Cycle: 7\n",
        );
        const running = await spawnMain(["monitor", "tail", "--config", config], {
          permissions: PERMISSIONS,
          env: SMTP_CREDENTIALS_ENV,
        });
        let stopped = false;
        try {
          // Logged once the first pass knows the log's size: what is appended now is new.
          await running.waitForStderr(/^first start: reading the \d+ bytes already in /m);
          await Deno.writeTextFile(
            log,
            "2025-03-01 09:58:01,442 [12] ERROR Akoya.Fusion.Imaging - Exposure failed\n" +
              "   at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)\n" +
              "2025-03-01 09:58:02,000 [12] INFO  Akoya.Fusion.Imaging - Retrying\n",
            { append: true },
          );
          await waitUntil("the fusion_error email", () => peer.received.length > 0);
          await running.waitForStderr(/^sent the fusion_error alert/m);
          const result = await running.stop("SIGTERM");
          stopped = true;
          assert.equal(result.code, 0, result.stderr);
          assert.equal(result.stdout, "");
          const lines = result.stderr.trimEnd().split("\n");
          assert.deepEqual(lines.slice(-2), [
            "monitor tail: SIGTERM received; saving the state and stopping",
            "monitor tail: stopped; 1 error block(s) found, 1 emailed; state saved in " +
            join(dir, "state", "monitor.json"),
          ]);
          assert.ok(
            lines.includes(
              "Fusion.log error (sample S12, cycle 7): [12] ERROR Akoya.Fusion.Imaging - " +
                "Exposure failed",
            ),
          );
        } finally {
          if (!stopped) await running.stop("SIGKILL");
        }
        assert.deepEqual(peer.received.map((email) => [email.to, email.subject]), [[
          ["oncall@lab.example.org"],
          `[fusion-toolkit] fusion_error on ${Deno.hostname()} (sample S12, cycle 7): ` +
          "[12] ERROR Akoya.Fusion.Imaging - Exposure failed",
        ]]);
        // The share's job log: its sign of life at start, then its stop.
        const jobs = await readJobLog(join(dir, "share", "_manifest"), {
          from: "2000-01",
          to: "2999-12",
        });
        assert.deepEqual(
          jobs.records.map((record) => [record.instrument, record.job, record.exit_code]),
          [["fusion-test", "monitor tail", null], ["fusion-test", "monitor tail", 0]],
        );
        assert.equal(jobs.records[0]?.finished_at, null);
        const { state } = await readMonitorState(join(dir, "state", "monitor.json"));
        assert.equal(state?.offset, (await Deno.stat(log)).size);
        assert.deepEqual([state?.parser.sample, state?.parser.cycle], ["S12", "7"]);
        assert.deepEqual([...state?.sent.keys() ?? []], [
          "[12] ERROR Akoya.Fusion.Imaging - Exposure failed " +
          "at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)",
        ]);
      });
    });
  },
});

Deno.test("monitor tail without a config file exits 2 with one line saying what to do", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "config.toml");
    const result = await runMain(["monitor", "tail", "--config", missing], {
      permissions: PERMISSIONS,
    });
    assert.deepEqual(result, {
      code: 2,
      stdout: "",
      stderr: `error: the config file given with --config does not exist: ${missing}; check ` +
        `the path, or create one there with \`deno run -A main.ts install init --config-dir ` +
        `${dir}\`\n`,
    });
  });
});
