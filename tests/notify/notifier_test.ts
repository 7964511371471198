/**
 * The notifier against a real SMTP server on 127.0.0.1 (peers/smtp.ts):
 * recipients per event, fallback, hot reload, failures that never throw, the
 * toolkit_error feed grouped by time, with dedup and a cooldown that
 * survives the process.
 */
import assert from "node:assert/strict";
import { join, sep } from "node:path";
import { type Config, loadConfig } from "../../lib/config/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import {
  cooldownFilePath,
  createNotifier,
  type Notifier,
  NOTIFY_EVENTS,
  TOOLKIT_ERROR_GROUP_MS,
} from "../../lib/notify/mod.ts";
import {
  envOf,
  readLogFiles,
  SMTP_CREDENTIALS_ENV,
  SMTP_USER,
  SMTP_USERS,
  writeNotifyConfig,
  writeRecipients,
  writeSmtpEnv,
} from "../_helpers/notify.ts";
import { waitUntil } from "../_helpers/monitor.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { type SmtpPeer, withSmtpPeer } from "../../peers/smtp.ts";
import { closedPort } from "../../peers/ports.ts";

interface Run {
  readonly config: Config;
  readonly logger: Logger;
  readonly lines: string[];
  readonly notifier: Notifier;
}

/**
 * A command run's notifier: config in `dir`, console captured, log file in
 * `dir/logs`; `clock` is the logger's (the records' times) and the notifier's.
 */
async function startRun(
  dir: string,
  port: number,
  options: {
    env?: Record<string, string>;
    enabled?: boolean;
    cooldownSeconds?: number;
    clock?: () => Date;
    smtpEnv?: string;
  } = {},
): Promise<Run> {
  const file = await writeNotifyConfig(dir, {
    port,
    ...(options.enabled === undefined ? {} : { enabled: options.enabled }),
    ...(options.cooldownSeconds === undefined ? {} : { cooldownSeconds: options.cooldownSeconds }),
  });
  const env = envOf(options.env ?? SMTP_CREDENTIALS_ENV);
  const config = await loadConfig({ path: file, env });
  const lines: string[] = [];
  const logger = new Logger({
    console: (line) => lines.push(line),
    verbose: true,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  logger.attachFile(join(dir, "logs"));
  const notifier = await createNotifier({
    config,
    logger,
    env,
    hostname: () => "fusion-pc",
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.smtpEnv === undefined ? {} : { smtpEnv: options.smtpEnv }),
  });
  return { config, logger, lines, notifier };
}

function noAttempt(peer: SmtpPeer): void {
  assert.deepEqual(peer.logins, [], "no login was attempted");
  assert.equal(peer.received.length, 0, "nothing was delivered");
}

Deno.test("each event goes to its own list, and the email says what, where and why", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const lists = Object.fromEntries(
        NOTIFY_EVENTS.map((event) => [event, `${event}@lab.example.org\n`]),
      );
      await writeRecipients(dir, { ...lists, default: "fallback@lab.example.org\n" });
      const run = await startRun(dir, peer.port);
      assert.equal(run.notifier.active, true);
      for (const event of NOTIFY_EVENTS) {
        const outcome = await run.notifier.send(event, {
          title: `test of ${event}`,
          study: "20250301_alice_lung",
        });
        assert.equal(outcome.status, "sent");
      }
      await run.notifier.close();
      assert.deepEqual(
        peer.received.map((email) => [email.to, email.subject]),
        NOTIFY_EVENTS.map((event) => [
          [`${event}@lab.example.org`],
          `[fusion-toolkit] ${event} on fusion-pc (20250301_alice_lung): test of ${event}`,
        ]),
      );
      const body = peer.received[0]?.text ?? "";
      assert.match(body, /^fusion-toolkit alert: backup_failure\n/);
      // Paths are escaped: a Windows path's `\` is not a regex escape.
      const logs = RegExp.escape(join(dir, "logs") + sep);
      assert.match(body, new RegExp(`\nLog file: +${logs}\\d{4}-\\d{2}\\.log\n`));
      assert.match(body, new RegExp(`\nConfig: +${RegExp.escape(join(dir, "config.toml"))}\n`));
      assert.match(
        body,
        new RegExp(
          `listed in ${RegExp.escape(join(dir, "recipients", "backup_failure.txt"))}\\.\n`,
        ),
      );
      assert.ok(run.lines.includes(
        `sent the fusion_error alert to 1 recipient(s) listed in ${
          join(dir, "recipients", "fusion_error.txt")
        }`,
      ));
    });
  });
});

Deno.test("an event without its own list falls back to default.txt; no list at all sends nothing", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, {
        fusion_error: "# nobody yet\n",
        default: "manager@lab.example.org\n",
      });
      const run = await startRun(dir, peer.port);
      const fallback = await run.notifier.send("fusion_error", { title: "Stage error" });
      assert.deepEqual([fallback.status, fallback.source], [
        "sent",
        join(dir, "recipients", "default.txt"),
      ]);
      assert.deepEqual(peer.received[0]?.to, ["manager@lab.example.org"]);
      await Deno.remove(join(dir, "recipients", "default.txt"));
      const nobody = await run.notifier.send("fusion_error", { title: "Stage error" });
      assert.equal(nobody.status, "nobody");
      assert.equal(peer.received.length, 1);
      assert.match(
        run.lines.at(-1) ?? "",
        /^nobody receives fusion_error alerts: .* list no valid address; not sent$/,
      );
      await run.notifier.close();
    });
  });
});

Deno.test("hot reload: a list edited between two sends is read fresh", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { backup_failure: "ops@lab.example.org\n" });
      const run = await startRun(dir, peer.port);
      await run.notifier.send("backup_failure", { title: "first" });
      await Deno.writeTextFile(
        join(dir, "recipients", "backup_failure.txt"),
        "ops@lab.example.org\nnew-member@lab.example.org\nnot an address\n",
      );
      await run.notifier.send("backup_failure", { title: "second" });
      await run.notifier.close();
      assert.deepEqual(peer.received.map((email) => email.to), [
        ["ops@lab.example.org"],
        ["ops@lab.example.org", "new-member@lab.example.org"],
      ]);
      assert.ok(run.lines.includes(
        `warning: ${
          join(dir, "recipients", "backup_failure.txt")
        }:3: "not an address" is not an email address; ` +
          "it is not sent to",
      ));
    });
  });
});

Deno.test("a wrong password: a clear warning, send resolves, and the password is nowhere", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const wrong = "wrong-app-password-5678";
      const smtpEnv = await writeSmtpEnv(dir, wrong);
      const run = await startRun(dir, peer.port, { env: {}, smtpEnv });
      run.notifier.watch(run.logger);
      const outcome = await run.notifier.send("backup_failure", { title: "1 study failed" });
      assert.equal(outcome.status, "failed");
      assert.match(
        outcome.reason ?? "",
        /refused the login of .* check FUSION_SMTP_APP_PASSWORD in .*smtp\.env/,
      );
      assert.equal(await run.notifier.close(), true);
      // The failure is logged once and not fed back into toolkit_error: one login attempt only.
      assert.deepEqual(peer.logins, [{ user: SMTP_USER, ok: false }]);
      assert.equal(
        run.lines.filter((line) =>
          line.startsWith("warning: could not send the backup_failure alert")
        ).length,
        1,
      );
      const everything = `${run.lines.join("\n")}\n${await readLogFiles(dir)}`;
      assert.ok(everything.includes("refused the login"));
      assert.ok(!everything.includes(wrong), "the password never appears");
    });
  });
});

Deno.test("a server that is down: the send fails with a warning and nothing throws", async () => {
  await withTempDir(async (dir) => {
    await writeRecipients(dir, { default: "ops@lab.example.org\n" });
    const port = closedPort();
    const run = await startRun(dir, port);
    const outcome = await run.notifier.send("cleanup_failure", { title: "share full" });
    assert.equal(outcome.status, "failed");
    assert.match(
      run.lines.at(-1) ?? "",
      new RegExp(
        `^warning: could not send the cleanup_failure alert: cannot reach the SMTP server 127\\.0\\.0\\.1:${port}`,
      ),
    );
    assert.equal(await run.notifier.close(), true);
  });
});

Deno.test("toolkit_error: a burst is one email, repeats are dropped, and the cooldown outlives the run", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { toolkit_error: "dev@lab.example.org\n" });
      let now = new Date("2026-03-01T02:00:00Z");
      const clock = () => now;
      const first = await startRun(dir, peer.port, { clock, cooldownSeconds: 300 });
      first.notifier.watch(first.logger);
      first.logger.info("not an alert");
      first.logger.warn("the share is slow");
      first.logger.warn("the share  is slow");
      first.logger.error("upload failed", new Error("connection reset"));
      await first.notifier.close();
      assert.equal(peer.received.length, 1);
      const [batch] = peer.received;
      assert.equal(
        batch?.subject,
        "[fusion-toolkit] toolkit_error on fusion-pc: 2 new warnings or errors",
      );
      assert.match(
        batch?.text ?? "",
        /\n {2}\S+Z WARNING the share is slow\n {2}\S+Z ERROR upload failed \| connection reset\n/,
      );
      const state = JSON.parse(await Deno.readTextFile(cooldownFilePath(dir)));
      assert.deepEqual(Object.keys(state.sent).sort(), ["the share is slow", "upload failed"]);

      // A second run four minutes later: the same warning is held back, a new one goes.
      now = new Date("2026-03-01T02:04:00Z");
      const second = await startRun(dir, peer.port, { clock, cooldownSeconds: 300 });
      second.notifier.watch(second.logger);
      second.logger.warn("the share is slow");
      await second.notifier.flush();
      second.logger.warn("disk almost full");
      await second.notifier.close();
      assert.deepEqual(peer.received.map((email) => email.subject).slice(1), [
        "[fusion-toolkit] toolkit_error on fusion-pc: disk almost full",
      ]);
      assert.ok(
        second.lines.includes(
          "debug: toolkit_error: 1 repeated message(s) not emailed (cooldown 300 s)",
        ),
      );

      // After the cooldown the same warning is emailed again.
      now = new Date("2026-03-01T02:06:00Z");
      const third = await startRun(dir, peer.port, { clock, cooldownSeconds: 300 });
      third.notifier.watch(third.logger);
      third.logger.warn("the share is slow");
      await third.notifier.close();
      assert.equal(
        peer.received.at(-1)?.subject,
        "[fusion-toolkit] toolkit_error on fusion-pc: the share is slow",
      );
      assert.equal(peer.received.length, 3);
    });
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The lines of a toolkit_error email's body that quote records, without their times. */
function quotedRecords(text: string): string[] {
  return [...text.matchAll(/^ {2}\S+Z ((?:WARNING|ERROR) .*)$/gm)].map((match) => match[1] ?? "");
}

Deno.test("toolkit_error: a warning and an error 17 ms apart, and one a second later, are one email when the window ends", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { toolkit_error: "dev@lab.example.org\n" });
      const run = await startRun(dir, peer.port);
      run.notifier.watch(run.logger);
      run.logger.warn("backup run: the share answers slowly");
      await sleep(17);
      run.logger.error("backup run: 20250301_alice_lung_panel1 failed at upload");
      await sleep(1000);
      run.logger.warn("backup run: 1 of 2 studies failed");
      // No flush, no close: the group goes out by itself once its window is over.
      await waitUntil("the group's email", () => peer.received.length > 0);
      await run.notifier.close();
      assert.equal(peer.received.length, 1);
      assert.equal(
        peer.received[0]?.subject,
        "[fusion-toolkit] toolkit_error on fusion-pc: 3 new warnings or errors",
      );
      assert.deepEqual(quotedRecords(peer.received[0]?.text ?? ""), [
        "WARNING backup run: the share answers slowly",
        "ERROR backup run: 20250301_alice_lung_panel1 failed at upload",
        "WARNING backup run: 1 of 2 studies failed",
      ]);
    });
  });
});

Deno.test("toolkit_error: lines further apart than the window are separate emails; repeats stay in cooldown", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { toolkit_error: "dev@lab.example.org\n" });
      // The records' times decide the groups: moved here, no waiting.
      let now = Date.parse("2026-03-01T02:00:00Z");
      const run = await startRun(dir, peer.port, { clock: () => new Date(now) });
      run.notifier.watch(run.logger);
      run.logger.warn("the share is slow");
      now += TOOLKIT_ERROR_GROUP_MS - 1;
      run.logger.error("upload failed");
      now += 2;
      run.logger.warn("the share is slow");
      run.logger.warn("disk almost full");
      now += TOOLKIT_ERROR_GROUP_MS;
      run.logger.error("hash mismatch");
      await run.notifier.close();
      assert.deepEqual(peer.received.map((email) => quotedRecords(email.text)), [
        ["WARNING the share is slow", "ERROR upload failed"],
        ["WARNING disk almost full"],
        ["ERROR hash mismatch"],
      ]);
      assert.ok(
        run.lines.includes(
          "debug: toolkit_error: 1 repeated message(s) not emailed (cooldown 300 s)",
        ),
      );
    });
  });
});

Deno.test("toolkit_error: close() sends the open group at once, and a group after a flush is a new one", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { toolkit_error: "dev@lab.example.org\n" });
      const run = await startRun(dir, peer.port);
      run.notifier.watch(run.logger);
      run.logger.warn("first");
      assert.equal(await run.notifier.flush(), true);
      assert.equal(peer.received.length, 1, "flush sent the open group");
      run.logger.error("the job failed");
      // Its window has just begun: close() neither waits for it to end nor drops the group.
      const closing = run.notifier.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const halfWindow = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve("half the window passed"), TOOLKIT_ERROR_GROUP_MS / 2);
      });
      const first = await Promise.race([closing.then(() => "closed"), halfWindow]);
      clearTimeout(timer);
      assert.equal(first, "closed");
      assert.equal(await closing, true);
      assert.deepEqual(peer.received.map((email) => email.subject), [
        "[fusion-toolkit] toolkit_error on fusion-pc: first",
        "[fusion-toolkit] toolkit_error on fusion-pc: the job failed",
      ]);
      run.logger.error("after close: not watched any more");
      await run.notifier.flush();
      assert.equal(peer.received.length, 2);
    });
  });
});

Deno.test("toolkit_error: a message that could not be emailed is tried again next time", async () => {
  await withTempDir(async (dir) => {
    await writeRecipients(dir, { toolkit_error: "dev@lab.example.org\n" });
    const down = await startRun(dir, closedPort());
    down.notifier.watch(down.logger);
    down.logger.warn("the share is slow");
    await down.notifier.close();
    assert.ok(
      down.lines.some((line) => line.startsWith("warning: could not send the toolkit_error alert")),
    );
    await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
      const up = await startRun(dir, peer.port);
      up.notifier.watch(up.logger);
      up.logger.warn("the share is slow");
      await up.notifier.close();
      assert.equal(peer.received.length, 1);
    });
  });
});

Deno.test("notify disabled: one debug line, no connection, no subscription", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      await Deno.writeTextFile(join(dir, "smtp.env"), "this line is malformed but never read\n");
      const run = await startRun(dir, peer.port, { enabled: false });
      assert.equal(run.notifier.active, false);
      assert.deepEqual(run.lines, [
        `debug: alerts: off ([notify] enabled = false in ${join(dir, "config.toml")})`,
      ]);
      run.notifier.watch(run.logger);
      run.logger.error("boom");
      assert.equal((await run.notifier.send("backup_failure", { title: "x" })).status, "off");
      await run.notifier.close();
      noAttempt(peer);
    });
  });
});

Deno.test("no credentials: one info line saying why, and no connection", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      await writeRecipients(dir, { default: "ops@lab.example.org\n" });
      const run = await startRun(dir, peer.port, { env: {} });
      assert.deepEqual(run.lines, [
        "alerts: off (no SMTP credentials: FUSION_SMTP_USER and FUSION_SMTP_APP_PASSWORD are not both set " +
        `and ${
          join(dir, "smtp.env")
        } does not exist; set FUSION_SMTP_USER and FUSION_SMTP_APP_PASSWORD ` +
        `in the environment or in ${join(dir, "smtp.env")})`,
      ]);
      run.notifier.watch(run.logger);
      run.logger.warn("slow");
      assert.equal((await run.notifier.send("fusion_error", { title: "x" })).status, "off");
      await run.notifier.close();
      noAttempt(peer);
    });
  });
});

Deno.test("a malformed smtp.env turns alerts off with a warning naming file and line", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const secret = "s3cret-in-the-wrong-place";
      await Deno.writeTextFile(join(dir, "smtp.env"), `FUSION_SMTP_USER=${SMTP_USER}\n${secret}\n`);
      const run = await startRun(dir, peer.port, { env: {} });
      assert.equal(run.notifier.active, false);
      assert.deepEqual(run.lines, [
        `warning: alerts: off (${
          join(dir, "smtp.env")
        }:2: expected NAME=value (a line with no '='); ` +
        "fix or remove that line)",
      ]);
      assert.ok(!(await readLogFiles(dir)).includes(secret));
      await run.notifier.close();
      noAttempt(peer);
    });
  });
});

Deno.test("close() waits a bounded time for a server that never answers", async () => {
  await withTempDir(async (dir) => {
    await writeRecipients(dir, { default: "ops@lab.example.org\n" });
    // Accepts connections and says nothing: a hung SMTP server.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of listener) held.push(conn);
    })();
    try {
      const run = await startRun(dir, (listener.addr as Deno.NetAddr).port);
      const sending = run.notifier.send("monitor_crash", { title: "crashed" });
      assert.equal(await run.notifier.close(100), false);
      assert.match(
        run.lines.at(-1) ?? "",
        /^warning: gave up waiting after 100 ms for 1 alert email\(s\) still being sent$/,
      );
      for (const conn of held) conn.close();
      assert.equal((await sending).status, "failed");
      assert.equal(await run.notifier.flush(), true);
    } finally {
      listener.close();
      await accepting.catch(() => {});
    }
  });
});
