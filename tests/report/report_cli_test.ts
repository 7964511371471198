/**
 * `report` as the lab runs it: two instruments' PCs (two configs, one share,
 * one bucket: the S3 and SMTP test peers on 127.0.0.1) back up, audit and
 * restore for real with main.ts; their runs land in the share's job log; the
 * report of either PC covers both, is written as a page, and is emailed once
 * for the share. A generated archive whose last month lacks a backup shows
 * the missed month as the first line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readJobLog } from "../../lib/manifest/mod.ts";
import { addMonths, lastFullMonth, localCalendar, monthOf } from "../../lib/report/mod.ts";
import { sampleArchive, writeSampleArchive } from "../../scripts/sample_archive.ts";
import { makeSampleStudy, sampleConfigToml } from "../../scripts/sample_data.ts";
import { type CliResult, PRODUCT_FLAGS, runMain } from "../_helpers/cli.ts";
import { SMTP_CREDENTIALS_ENV, SMTP_USERS } from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { startS3Peer } from "../../peers/s3.ts";
import { PEER_CA_FILE, withSmtpPeer } from "../../peers/smtp.ts";
import { mimeParts } from "./_mime.ts";

const DAY_MS = 86_400_000;
const MANAGER = "lab-manager@lab.example.org";

/** A PC's config.toml: its instrument on the shared share and bucket, alerts to the SMTP peer. */
async function writePc(
  dir: string,
  instrument: string,
  share: string,
  peer: { bucket: string; endpoint: string },
  smtpPort: number,
  storageClass: string,
): Promise<{ config: string; source: string }> {
  const home = join(dir, instrument);
  const source = join(home, "FusionData");
  await Deno.mkdir(join(home, "recipients"), { recursive: true });
  await Deno.mkdir(source, { recursive: true });
  const toml = sampleConfigToml({ source, share, bucket: peer.bucket, endpoint: peer.endpoint })
    .replace('instrument = "fusion-01"', `instrument = "${instrument}"`)
    .replace(
      "force_path_style = true\n",
      `force_path_style = true\nstorage_class = "${storageClass}"\n`,
    )
    .replace(
      "[notify]\nenabled = false\n",
      `[notify]\nenabled = true\nsmtp_host = "127.0.0.1"\nsmtp_port = ${smtpPort}\n` +
        `smtp_ca_file = ${JSON.stringify(PEER_CA_FILE)}\n`,
    );
  const config = join(home, "config.toml");
  await Deno.writeTextFile(config, toml);
  await Deno.writeTextFile(join(home, "recipients", "monthly_report.txt"), `${MANAGER}\n`);
  return { config, source };
}

Deno.test("two PCs, one share: their runs in the job log, one report of both, emailed once", async () => {
  await withTempDir(async (dir) => {
    const s3 = await startS3Peer();
    try {
      await withSmtpPeer({ users: SMTP_USERS }, async (smtp) => {
        const share = join(dir, "truenas");
        await Deno.mkdir(share);
        const pcs = new Map<string, { config: string; source: string }>();
        // fusion-02 archives into DEEP_ARCHIVE: the bucket's listing tells the classes apart.
        const classes = { "fusion-01": "STANDARD", "fusion-02": "DEEP_ARCHIVE" };
        for (const [instrument, storageClass] of Object.entries(classes)) {
          pcs.set(instrument, await writePc(dir, instrument, share, s3, smtp.port, storageClass));
        }
        const run = (instrument: string, ...args: string[]): Promise<CliResult> =>
          runMain([...args, "--config", pcs.get(instrument)?.config ?? ""], {
            permissions: PRODUCT_FLAGS,
            env: { ...s3.env, ...SMTP_CREDENTIALS_ENV },
          });
        const idle = new Date(Date.now() - 40 * DAY_MS);
        await makeSampleStudy(pcs.get("fusion-01")!.source, "20250301_alice_lung_panel1", {
          mtime: idle,
        });
        await makeSampleStudy(pcs.get("fusion-02")!.source, "20250302_bob_tonsil_run2", {
          mtime: idle,
        });
        // A study still being written: the report says it waits.
        await makeSampleStudy(pcs.get("fusion-02")!.source, "20250303_bob_tonsil_run3");
        for (const instrument of pcs.keys()) {
          const backup = await run(instrument, "backup", "run");
          assert.equal(backup.code, 0, backup.stderr);
        }
        const audit = await run("fusion-01", "audit");
        assert.equal(audit.code, 0, audit.stderr);
        await Deno.mkdir(join(dir, "restored"));
        const restore = await run(
          "fusion-02",
          "restore",
          "fusion-01/20250301_alice_lung_panel1",
          "--to",
          join(dir, "restored"),
        );
        assert.equal(restore.code, 0, restore.stderr);

        // Every PC's runs, in one log on the share.
        const now = new Date();
        const utcMonth = now.toISOString().slice(0, 7);
        const log = await readJobLog(join(share, "_manifest"), {
          from: addMonths(utcMonth, -1),
          to: utcMonth,
        });
        const byJob = (instrument: string, job: string) =>
          log.records.find((record) => record.instrument === instrument && record.job === job);
        assert.deepEqual(
          log.records.map((record) => `${record.instrument} ${record.job} ${record.exit_code}`)
            .sort(),
          [
            "fusion-01 audit 0",
            "fusion-01 backup run 0",
            "fusion-02 backup run 0",
            "fusion-02 restore 0",
          ],
        );
        const secondBackup = byJob("fusion-02", "backup run");
        const auditRecord = byJob("fusion-01", "audit");
        const restoreRecord = byJob("fusion-02", "restore");
        assert.deepEqual(secondBackup?.details?.waiting?.map((study) => study.study), [
          "20250303_bob_tonsil_run3",
        ]);
        assert.deepEqual(auditRecord?.details, {
          backups: 2,
          with_findings: 0,
          findings: 0,
          not_on_share: 0,
          s3: false,
          sample_pct: null,
        });
        assert.equal(restoreRecord?.details?.backup, "fusion-01/20250301_alice_lung_panel1");
        assert.equal(restoreRecord?.details?.source, "truenas");

        // The report of this month, from either PC, with the bucket listed and a page.
        const month = monthOf(localCalendar, now.getTime());
        const page = join(dir, "report.html");
        const report = await run("fusion-01", "report", "--month", month, "--s3", "--html", page);
        assert.equal(report.code, 0, report.stderr);
        const text = report.stdout;
        assert.match(text, /^fusion-toolkit monthly report: /);
        assert.match(text, /^ {2}fusion-01 +1 +[\d.]+ KiB +\d+ +0$/m);
        assert.match(text, /^ {2}fusion-02 +1 +[\d.]+ KiB +\d+ +0$/m);
        assert.match(text, /^ {2}total +2 /m);
        assert.match(text, /^ {2}fusion-02\/20250303_bob_tonsil_run3: waiting 0 days/m);
        assert.match(text, /From a listing of s3:\/\/[^ ]+\/fusion\/ made now\./);
        // fusion-02's four files in DEEP_ARCHIVE; fusion-01's four, both sidecars and both
        // instruments' manifest mirrors in STANDARD.
        assert.match(text, /^ {2}DEEP_ARCHIVE +4 +[\d.]+ KiB +\$0\.00099 +< \$0\.01$/m);
        assert.match(text, /^ {2}STANDARD +8 +[\d.]+ KiB +\$0\.023 +< \$0\.01$/m);
        assert.match(text, /fusion-01: 2 backups audited \(every file\): no findings/);
        assert.match(
          text,
          /fusion-02: fusion-01\/20250301_alice_lung_panel1 from the share: \d+ files, .*all verified/,
        );
        assert.match(text, /The month is not over: missed jobs are judged once it is\./);
        assert.match(report.stderr, /report: wrote the page /);
        assert.match(await Deno.readTextFile(page), /<svg id="chart-added"/);

        const dry = await run("fusion-01", "report", "--month", month, "--dry-run");
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(
          dry.stdout,
          /^dry run: nothing is sent\. report --send would email \(through 127\.0\.0\.1:/,
        );
        assert.ok(dry.stdout.includes(`\nto:      ${MANAGER} (listed in `), dry.stdout);
        assert.match(
          dry.stdout,
          /\nsubject: \[fusion-toolkit\] monthly report \d{4}-\d\d: 2 studies/,
        );
        assert.equal(smtp.received.length, 0);

        // The scheduled task on both PCs: the first sends, the second sees it was sent.
        const first = await run("fusion-01", "report", "--month", month, "--send", "--once");
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stderr, /sent the monthly report to 1 recipient\(s\) listed in /);
        const second = await run("fusion-02", "report", "--month", month, "--send", "--once");
        assert.equal(second.code, 0, second.stderr);
        assert.match(
          second.stderr,
          new RegExp(`not sent: the report of ${month} was already sent by fusion-01 \\(`),
        );
        assert.equal(smtp.received.length, 1);
        const [email] = smtp.received;
        assert.ok(email !== undefined);
        assert.deepEqual(email.to, [MANAGER]);
        assert.equal(email.secure, true);
        assert.match(
          email.subject,
          new RegExp(`^\\[fusion-toolkit\\] monthly report ${month}: 2 studies backed up`),
        );
        const parts = mimeParts(email);
        assert.deepEqual(parts.map((part) => part.type), ["text/plain", "text/html"]);
        const [plain, html] = parts;
        assert.match(plain?.text ?? "", /^fusion-toolkit monthly report: /);
        assert.match(plain?.text ?? "", /is listed in .*monthly_report\.txt/);
        const markup = html?.text ?? "";
        assert.doesNotMatch(markup, /<svg|<script|<style|<img|<link/i);

        // What the email's HTML looks like in a browser: tests/web/report_render_test.ts.
        // The report runs are in the job log too; the dry run is not.
        const reports = (await readJobLog(join(share, "_manifest"), {
          from: utcMonth,
          to: utcMonth,
        })).records.filter((record) => record.job === "report");
        assert.deepEqual(reports.map((record) => [record.instrument, record.details?.sent_to]), [
          ["fusion-01", 0],
          ["fusion-01", 1],
          ["fusion-02", 0],
        ]);
      });
    } finally {
      await s3.stop();
    }
  });
});

Deno.test("a month in which an instrument ran no backup: the report's first line says so", async () => {
  await withTempDir(async (dir) => {
    const share = join(dir, "truenas");
    const month = lastFullMonth(localCalendar, Date.now());
    const archive = sampleArchive({
      instruments: ["fusion-01", "fusion-02"],
      from: addMonths(month, -3),
      to: month,
      studies: () => 1,
      bytes: () => 1024,
      files: () => 1,
    });
    const dropped = {
      ...archive,
      manifest: archive.manifest.filter((record) =>
        !(record.instrument === "fusion-02" && record.started_at.startsWith(month))
      ),
      jobs: archive.jobs.filter((record) =>
        !(record.instrument === "fusion-02" && record.job === "backup run" &&
          record.started_at.startsWith(month))
      ),
    };
    await writeSampleArchive(join(share, "_manifest"), dropped);
    const config = join(dir, "config.toml");
    await Deno.writeTextFile(
      config,
      sampleConfigToml({
        source: join(dir, "FusionData"),
        share,
        bucket: "lab-fusion-archive",
        endpoint: "http://127.0.0.1:9",
      }),
    );
    // Without --month: the last full month.
    const result = await runMain(["report", "--config", config], { permissions: PRODUCT_FLAGS });
    assert.equal(result.code, 0, result.stderr);
    const [line, title] = result.stdout.split("\n");
    assert.match(
      line ?? "",
      new RegExp(`^MISSED: no backup run recorded for instrument fusion-02 in ${month} \\(last: `),
    );
    assert.match(title ?? "", /^fusion-toolkit monthly report: /);
  });
});

Deno.test("report: a bad month, --once alone, and an unreachable share", async () => {
  await withTempDir(async (dir) => {
    const config = join(dir, "config.toml");
    await Deno.writeTextFile(
      config,
      sampleConfigToml({
        source: join(dir, "FusionData"),
        share: join(dir, "not-mounted"),
        bucket: "lab-fusion-archive",
        endpoint: "http://127.0.0.1:9",
      }),
    );
    const run = (...args: string[]) =>
      runMain(["report", ...args, "--config", config], { permissions: PRODUCT_FLAGS });
    const bad = await run("--month", "2026-13");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /a month as YYYY-MM, e\.g\. 2026-11/);
    const future = await run("--month", addMonths(monthOf(localCalendar, Date.now()), 1));
    assert.equal(future.code, 2);
    assert.match(future.stderr, /has not begun yet/);
    const once = await run("--once");
    assert.equal(once.code, 2);
    assert.match(once.stderr, /--once decides whether --send sends: use it with --send/);
    const gone = await run();
    assert.equal(gone.code, 1);
    assert.match(
      gone.stdout,
      /Problems reading the records\n {2}the share .*not-mounted is not reachable/,
    );
    assert.match(gone.stderr, /warning: report: the share .* is not reachable/);
    await assert.rejects(Deno.stat(join(dir, "not-mounted")), Deno.errors.NotFound);
  });
});
