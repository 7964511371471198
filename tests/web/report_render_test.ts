/**
 * The report's page and email HTML, made from the generated three-instrument
 * month (tests/report/_scenario.ts), in real headless Chromium: the charts
 * are there with a bar per instrument and month, nothing sticks out at a
 * phone's width, nothing is fetched, the missed jobs come first, and the page
 * prints on at most two A4 pages; the email also as it arrives through the
 * SMTP peer. Screenshots go to dist/report/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/mod.ts";
import { buildReport, renderEmailHtml, renderPage, sendReport } from "../../lib/report/mod.ts";
import { withSmtpPeer } from "../../peers/smtp.ts";
import {
  envOf,
  SMTP_CREDENTIALS_ENV,
  SMTP_USERS,
  writeNotifyConfig,
  writeRecipients,
} from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { mimeParts } from "../report/_mime.ts";
import { NOW, scenarioInput } from "../report/_scenario.ts";
import { withChromium } from "./_browser.ts";
import { look, PHONE_WIDTH, SCREENSHOT_DIR } from "./_look.ts";

const DESKTOP_WIDTH = 1024;

/** Pages of a PDF: its page objects. */
function pdfPages(pdf: Uint8Array): number {
  return (new TextDecoder("latin1").decode(pdf).match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
}

Deno.test("the page: charts, missed jobs first, fits a phone, fetches nothing, two A4 pages at most", async () => {
  const report = buildReport(scenarioInput());
  const html = renderPage(report);
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|\ssrc=|\shref=/i);
  await withTempDir(async (dir) => {
    const file = join(dir, "report.html");
    await Deno.writeTextFile(file, html);
    await withChromium(async (context) => {
      const phone = await look(context, file, PHONE_WIDTH, "page-phone");
      assert.deepEqual([phone.requests, phone.errors], [[], []]);
      assert.ok(phone.scrollWidth <= PHONE_WIDTH, `${phone.scrollWidth} px wide at ${PHONE_WIDTH}`);
      const { page } = phone;
      // 11 months of three instruments, then November's two; the share's 12 month-ends.
      assert.equal(await page.locator("#chart-added rect.bar").count(), 11 * 3 + 2);
      assert.equal(await page.locator("#chart-share rect.bar").count(), 12);
      assert.equal(await page.locator("#chart-share line.level").count(), 2);
      assert.equal(await page.locator("#chart-space rect.bar").count(), 1);
      for (const chart of ["#chart-added", "#chart-share"]) {
        const box = await page.locator(chart).boundingBox();
        assert.ok(box !== null && box.width > 300 && box.width <= PHONE_WIDTH, chart);
        assert.ok(box.height > 100, chart);
      }
      assert.equal(
        await page.locator("#chart-added rect.bar").last().locator("title").textContent(),
        "November 2026, fusion-02: 9.0 GiB",
      );
      assert.equal(
        await page.evaluate("document.querySelector('main').firstElementChild.id"),
        "missed",
      );
      const missed = await page.locator("#missed p").allTextContents();
      assert.deepEqual(missed.map((text) => text.slice(0, 60)), [
        "MISSED: no backup run recorded for instrument fusion-03 in 2",
        "MISSED: no sign of life from monitor tail on instrument fusi",
      ]);
      const text = await page.locator("main").innerText();
      for (
        const expected of [
          "fusion-02/20261103_user1_panel_retry: failed_s3 2026-11-03; now backed up 2026-11-04",
          "failing validation for 62 days",
          "reaches the 20% cleanup threshold around 2033-03-03",
          "DEEP_ARCHIVE",
          "2 findings in 1 backup",
          "fusion-01/20251003_user0_panel_run0 from S3",
        ]
      ) assert.ok(text.includes(expected), expected);

      const desktop = await look(context, file, DESKTOP_WIDTH, "page-desktop");
      assert.ok(desktop.scrollWidth <= DESKTOP_WIDTH);
      const pdf = await desktop.page.pdf({ format: "A4", printBackground: true });
      await Deno.writeFile(join(SCREENSHOT_DIR, "page-print.pdf"), pdf);
      const pages = pdfPages(pdf);
      assert.ok(pages >= 1 && pages <= 2, `${pages} A4 pages`);
    });
  });
});

Deno.test("the email's HTML: table bars only, no style sheet, SVG or script, fits a phone", async () => {
  const report = buildReport(scenarioInput());
  const html = renderEmailHtml(report, "You receive this because ...");
  // What Outlook's Word engine renders: tables, inline styles, bgcolor.
  assert.doesNotMatch(html, /<svg|<script|<style|<img|<link|<div|\sclass=|display:\s*(flex|grid)/i);
  await withTempDir(async (dir) => {
    const file = join(dir, "email.html");
    await Deno.writeTextFile(file, html);
    await withChromium(async (context) => {
      for (
        const [width, name] of [[PHONE_WIDTH, "email-phone"], [
          DESKTOP_WIDTH,
          "email-desktop",
        ]] as const
      ) {
        const shown = await look(context, file, width, name);
        assert.deepEqual([shown.requests, shown.errors], [[], []]);
        assert.ok(shown.scrollWidth <= width, `${shown.scrollWidth} px wide at ${width}`);
        const bars = shown.page.locator('td[height="12"][bgcolor]');
        // The month bars: 35 segments of the backups chart, 12 of the share's.
        assert.equal(await bars.count(), 35 + 12);
        const widths = await bars.evaluateAll((cells) =>
          cells.map((cell) => Math.round(cell.getBoundingClientRect().width))
        );
        assert.ok(widths.every((pixels) => pixels > 0), `every bar is drawn: ${widths}`);
        const first = await shown.page.locator("body").innerText();
        assert.match(first.trimStart(), /^MISSED: no backup run recorded for instrument fusion-03/);
      }
    });
  });
});

Deno.test("the email as it arrives through the SMTP peer: text and HTML parts, the HTML fits a phone", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await withTempDir(async (dir) => {
      const config = await loadConfig({ path: await writeNotifyConfig(dir, { port: peer.port }) });
      await writeRecipients(dir, { monthly_report: "lab-manager@lab.example.org\n" });
      const report = buildReport(scenarioInput());
      const sent = await sendReport(config, report, {
        env: envOf(SMTP_CREDENTIALS_ENV),
        once: true,
        host: "PC-TEST",
        now: NOW,
      });
      assert.deepEqual([sent.status, sent.recipients], ["sent", ["lab-manager@lab.example.org"]]);
      const [email] = peer.received;
      assert.ok(email !== undefined && peer.received.length === 1);
      assert.equal(
        email.subject,
        "[fusion-toolkit] monthly report 2026-11: MISSED: no backup run recorded for instrument " +
          "fusion-03 in 2026-11 (last: 2026-10-03 10:02 on PC-FUSION-03) (and 1 more)",
      );
      const [plain, html] = mimeParts(email);
      assert.equal(plain?.type, "text/plain");
      assert.match(plain?.text ?? "", /^MISSED: no backup run recorded for instrument fusion-03/);
      assert.equal(html?.type, "text/html");
      const file = join(dir, "email.html");
      await Deno.writeTextFile(file, html?.text ?? "");
      await withChromium(async (context) => {
        const shown = await look(context, file, PHONE_WIDTH, "email-received-phone");
        assert.deepEqual([shown.requests, shown.errors], [[], []]);
        assert.ok(shown.scrollWidth <= PHONE_WIDTH, `${shown.scrollWidth} px wide`);
        assert.equal(await shown.page.locator('td[height="12"][bgcolor]').count(), 35 + 12);
        const text = await shown.page.locator("body").innerText();
        assert.match(text.trimStart(), /^MISSED: no backup run recorded for instrument fusion-03/);
        assert.match(text, /is listed in .*monthly_report\.txt/);
      });
    });
  });
});
