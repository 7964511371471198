/**
 * Black-box tests of `notify list-subscribers` and `notify test`: spawn
 * main.ts with the permissions notify needs, against a real SMTP server on
 * 127.0.0.1 started here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runMain } from "../_helpers/cli.ts";
import {
  SMTP_CREDENTIALS_ENV,
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

const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-sys=hostname",
];
const EVENTS =
  "backup_failure, cleanup_failure, fusion_error, monitor_crash, toolkit_error, monthly_report";

Deno.test("notify list-subscribers: each event, its list, its file, and invalid lines flagged", async () => {
  await withTempDir(async (dir) => {
    const config = await writeNotifyConfig(dir, { port: closedPort() });
    await writeRecipients(dir, {
      backup_failure: "# ops\nops@lab.example.org\npi@lab.example.org  # the PI\nops at lab\n",
      default: "manager@lab.example.org\n",
    });
    const recipients = join(dir, "recipients");
    const all = await runMain(["notify", "list-subscribers", "--config", config], {
      permissions: PERMISSIONS,
    });
    assert.deepEqual({ code: all.code, stderr: all.stderr }, { code: 0, stderr: "" });
    assert.equal(
      all.stdout,
      [
        `backup_failure: 2 recipients from ${join(recipients, "backup_failure.txt")}`,
        "  ops@lab.example.org",
        "  pi@lab.example.org",
        `  invalid: ${
          join(recipients, "backup_failure.txt")
        }:4: "ops at lab" is not an email address; ` +
        "it is not sent to",
        ...[
          "cleanup_failure",
          "fusion_error",
          "monitor_crash",
          "toolkit_error",
          "monthly_report",
        ].flatMap((
          event,
        ) => [
          `${event}: 1 recipient from ${
            join(recipients, "default.txt")
          } (fallback: ${event}.txt lists nobody)`,
          "  manager@lab.example.org",
        ]),
        "",
      ].join("\n"),
    );
    await Deno.remove(join(recipients, "default.txt"));
    const one = await runMain([
      "notify",
      "list-subscribers",
      "--event",
      "fusion_error",
      "--config",
      config,
    ], {
      permissions: PERMISSIONS,
    });
    assert.deepEqual(one, {
      code: 0,
      stdout: "fusion_error: nobody (fusion_error.txt and default.txt list no valid address)\n",
      stderr: "",
    });
  });
});

Deno.test("notify list-subscribers: a missing recipients folder is said plainly", async () => {
  await withTempDir(async (dir) => {
    const config = await writeNotifyConfig(dir, { port: closedPort() });
    const result = await runMain([
      "notify",
      "list-subscribers",
      "--event",
      "toolkit_error",
      "--config",
      config,
    ], {
      permissions: PERMISSIONS,
    });
    assert.equal(result.code, 0);
    assert.match(
      result.stdout,
      new RegExp(
        `^note: the recipients folder ${RegExp.escape(join(dir, "recipients"))} does not exist;`,
      ),
    );
    assert.match(result.stdout, /\ntoolkit_error: nobody /);
  });
});

Deno.test("notify: an unknown or missing event exits 2 listing the valid ones", async () => {
  await withTempDir(async (dir) => {
    const config = await writeNotifyConfig(dir, { port: closedPort() });
    for (
      const args of [["list-subscribers", "--event", "backup"], [
        "test",
        "--event",
        "disk_full",
        "--dry-run",
      ]]
    ) {
      const result = await runMain(["notify", ...args, "--config", config], {
        permissions: PERMISSIONS,
      });
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        new RegExp(
          `^error: option '--event <event>' argument '\\w+' is invalid\\. Allowed choices are ${EVENTS}\\.`,
        ),
      );
    }
    const missing = await runMain(["notify", "test", "--config", config], {
      permissions: PERMISSIONS,
    });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: required option '--event <event>' not specified/);
  });
});

Deno.test("notify test --dry-run prints who would get what and sends nothing", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await writeNotifyConfig(dir, {
        port: peer.port,
        from: "fusion@lab.example.org",
      });
      await writeRecipients(dir, {
        fusion_error: "oncall@lab.example.org\nowner@lab.example.org\n",
      });
      const result = await runMain([
        "notify",
        "test",
        "--event",
        "fusion_error",
        "--dry-run",
        "--config",
        config,
      ], {
        permissions: PERMISSIONS,
        env: SMTP_CREDENTIALS_ENV,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      const lines = result.stdout.split("\n");
      assert.deepEqual(lines.slice(0, 5), [
        "dry run: nothing is sent",
        `alerts: on, through 127.0.0.1:${peer.port} as ${SMTP_USER} (credentials from the environment)`,
        `would send to oncall@lab.example.org, owner@lab.example.org (listed in ${
          join(dir, "recipients", "fusion_error.txt")
        })`,
        "from: fusion@lab.example.org",
        `subject: [fusion-toolkit] fusion_error on ${Deno.hostname()}: test email for fusion_error alerts`,
      ]);
      assert.ok(lines.includes("fusion-toolkit alert: fusion_error"));
      assert.ok(!result.stdout.includes(SMTP_PASSWORD));
      assert.deepEqual([peer.logins, peer.received], [[], []]);
    });
  });
});

Deno.test("notify test sends a real test email and says to whom", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await writeNotifyConfig(dir, { port: peer.port });
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const smtpEnv = await writeSmtpEnv(dir);
      const result = await runMain([
        "notify",
        "test",
        "--event",
        "monitor_crash",
        "--config",
        config,
        "--smtp-env",
        smtpEnv,
      ], {
        permissions: PERMISSIONS,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        `sent a test monitor_crash email to ops@lab.example.org (listed in ${
          join(dir, "recipients", "default.txt")
        })\n`,
      );
      assert.match(result.stderr, /^sent the monitor_crash alert to 1 recipient\(s\)/);
      assert.equal(peer.received.length, 1);
      assert.deepEqual(peer.received[0]?.to, ["ops@lab.example.org"]);
      assert.equal(peer.received[0]?.secure, true);
      assert.match(
        peer.received[0]?.subject ?? "",
        /^\[fusion-toolkit\] monitor_crash on \S+: test email for monitor_crash alerts$/,
      );
    });
  });
});

Deno.test("notify test with a wrong password exits 1 with a clear line, and no password anywhere", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const wrong = "an-old-revoked-app-password";
      const config = await writeNotifyConfig(dir, { port: peer.port });
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const result = await runMain([
        "notify",
        "test",
        "--event",
        "backup_failure",
        "--config",
        config,
      ], {
        permissions: PERMISSIONS,
        env: { FUSION_SMTP_USER: SMTP_USER, FUSION_SMTP_APP_PASSWORD: wrong },
      });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `warning: could not send the backup_failure alert: the SMTP server 127.0.0.1:${peer.port} refused the login ` +
          `of ${SMTP_USER} (535 Invalid username or password); check FUSION_SMTP_APP_PASSWORD in the environment ` +
          "(Gmail needs an app password)\n" +
          "error: the test email was not sent (see the warning above)\n",
      );
      const month = new Date().toISOString().slice(0, 7);
      const log = await Deno.readTextFile(join(dir, "logs", `${month}.log`));
      assert.match(log, /WARNING could not send the backup_failure alert/);
      assert.ok(!`${result.stderr}${log}`.includes(wrong));
    });
  });
});

Deno.test("notify test: a malformed smtp.env exits 2 naming file and line; disabled and nobody are refused", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await writeNotifyConfig(dir, { port: peer.port });
      const smtpEnv = join(dir, "smtp.env");
      await Deno.writeTextFile(smtpEnv, `FUSION_SMTP_USER=${SMTP_USER}\n\n${SMTP_PASSWORD}\n`);
      const malformed = await runMain([
        "notify",
        "test",
        "--event",
        "fusion_error",
        "--dry-run",
        "--config",
        config,
      ], {
        permissions: PERMISSIONS,
      });
      assert.equal(malformed.code, 2);
      assert.equal(
        malformed.stderr,
        `error: ${smtpEnv}:3: expected NAME=value (a line with no '='); fix or remove that line\n`,
      );

      const nobody = await runMain([
        "notify",
        "test",
        "--event",
        "fusion_error",
        "--config",
        config,
      ], {
        permissions: PERMISSIONS,
        env: SMTP_CREDENTIALS_ENV,
      });
      assert.equal(nobody.code, 1);
      assert.equal(
        nobody.stderr,
        `error: nobody receives fusion_error alerts: add an address to ${
          join(dir, "recipients", "fusion_error.txt")
        } ` +
          `or ${join(dir, "recipients", "default.txt")}\n`,
      );

      const disabled = await writeNotifyConfig(dir, { port: peer.port, enabled: false });
      const off = await runMain(
        ["notify", "test", "--event", "fusion_error", "--config", disabled],
        {
          permissions: PERMISSIONS,
          env: SMTP_CREDENTIALS_ENV,
        },
      );
      assert.equal(off.code, 2);
      assert.equal(
        off.stderr,
        `error: cannot send a test email: [notify] enabled = false in ${disabled}\n`,
      );
      assert.deepEqual([peer.logins, peer.received], [[], []]);
    });
  });
});
