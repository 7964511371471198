/**
 * The committed validator page (docs/validator/) in real headless Chromium:
 * served over HTTP from 127.0.0.1 and opened from file://, typed into like a
 * person would, asserting what it shows field by field.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { REPO_ROOT } from "../_helpers/cli.ts";
import { VALIDATOR_DIR } from "../../scripts/web.ts";
import { makeSampleStudy } from "../../scripts/sample_data.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { withChromium, withStaticServer } from "./_browser.ts";

/** Screenshots for people to look at (dist/ is not committed). */
const SCREENSHOT_DIR = join(REPO_ROOT, "dist", "web");

const STUDY = "20240229_alice_lung_panel1";

/** One row as the page shows it: `✓ PASS date 20240229 R1: a real calendar date`. */
async function shownRows(page: Page, section: "study" | "experiment"): Promise<string[]> {
  return await page.locator(`#${section}-rows li`).evaluateAll((items) =>
    items.map((item) => {
      const text = (selector: string) => item.querySelector(selector)?.textContent?.trim() ?? "";
      return `${text(".verdict")} ${item.getAttribute("data-field")} ${text(".value")} ` +
        `${text(".rule")}: ${text(".reason")}`;
    })
  );
}

/** The chosen folder's violations as the page shows them: `R6 <path>: <message>`. */
async function shownViolations(page: Page): Promise<string[]> {
  return await page.locator("#folder-rows li").evaluateAll((items) =>
    items.map((item) => {
      const text = (selector: string) => item.querySelector(selector)?.textContent?.trim() ?? "";
      return `${text(".rule")} ${text(".path")}: ${text(".message")}`;
    })
  );
}

async function shownText(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent())?.trim() ?? "";
}

async function focusedId(page: Page): Promise<string> {
  return String(await page.evaluate("document.activeElement?.id ?? ''"));
}

const PASSING_STUDY_ROWS = [
  "✓ PASS date 20240229 R1: a real calendar date",
  "✓ PASS user alice R3: letters, digits and '-' only",
  "✓ PASS project lung R3: letters, digits and '-' only",
  "✓ PASS customname panel1 R3: letters, digits and '-' only",
];

/** Opens `url` in a new tab that fails the test on any script error. */
async function openPage(context: BrowserContext, url: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(`${url}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${url}: console: ${message.text()}`);
  });
  await page.goto(url);
  await page.locator("body.ready").waitFor();
  return page;
}

Deno.test("validator page in headless Chromium: per-field verdicts, keyboard, copy, offline", async (t) => {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  await withStaticServer(VALIDATOR_DIR, (server) =>
    withChromium(async (context) => {
      const errors: string[] = [];
      const requests: string[] = [];
      context.on("request", (request) => requests.push(request.url()));
      await context.grantPermissions(["clipboard-read", "clipboard-write"], {
        origin: server.origin,
      });
      const page = await openPage(context, `${server.origin}/`, errors);

      await t.step("before typing: the example, no rows, nothing to copy", async () => {
        assert.equal(await shownText(page, "#study-example"), "20250301_alice_lung_panel1");
        assert.equal(
          await shownText(page, "#study-summary"),
          "Type a study name, e.g. 20250301_alice_lung_panel1.",
        );
        assert.deepEqual(await shownRows(page, "study"), []);
        assert.equal(await page.locator("#study-copy").isDisabled(), true);
        assert.equal(
          await shownText(page, "#study-copy-note"),
          "Copy is available once every check passes.",
        );
        assert.equal(
          await shownText(page, "#experiment-summary"),
          "Optional: an experiment folder name, e.g. 20250301_alice_lung_panel1_B-2.",
        );
      });

      await t.step("a leap day passes every field, with the length against 60", async () => {
        await page.fill("#study", STUDY);
        assert.deepEqual(await shownRows(page, "study"), [
          ...PASSING_STUDY_ROWS,
          "✓ PASS length 26 R3: 26 of at most 60 characters",
        ]);
        assert.equal(
          await shownText(page, "#study-summary"),
          `PASS: '${STUDY}' is a valid study name.`,
        );
        assert.equal(await page.locator("#study").getAttribute("aria-invalid"), "false");
        assert.equal(await page.locator("#study-copy").isEnabled(), true);
        assert.equal(await shownText(page, "#study-copy-note"), "");
      });

      await t.step("29 February 2023 fails R1 on the date field only", async () => {
        await page.fill("#study", "20230229_alice_lung_panel1");
        const rows = await shownRows(page, "study");
        assert.equal(rows[0], "✗ FAIL date 20230229 R1: 20230229 is not a real calendar date");
        assert.deepEqual(rows.slice(1, 4), PASSING_STUDY_ROWS.slice(1));
        assert.equal(
          await shownText(page, "#study-summary"),
          "FAIL: 1 of 5 checks fail (date R1).",
        );
        assert.equal(await page.locator("#study").getAttribute("aria-invalid"), "true");
        assert.equal(await page.locator("#study-copy").isDisabled(), true);
        assert.equal(
          await shownText(page, "#study-copy-note"),
          "Copy is available once every check passes.",
        );
      });

      await t.step("3 fields: the missing customname fails R1", async () => {
        await page.fill("#study", "20240229_alice_lung");
        assert.deepEqual(await shownRows(page, "study"), [
          ...PASSING_STUDY_ROWS.slice(0, 3),
          "✗ FAIL customname (empty) R1: the customname field is missing",
          "✓ PASS length 19 R3: 19 of at most 60 characters",
        ]);
      });

      await t.step("5 fields: the extra field fails R1", async () => {
        await page.fill("#study", `${STUDY}_extra`);
        assert.deepEqual(await shownRows(page, "study"), [
          ...PASSING_STUDY_ROWS,
          "✗ FAIL extra extra R1: a study name has only 4 fields; remove this one or join it with '-'",
          "✓ PASS length 32 R3: 32 of at most 60 characters",
        ]);
        assert.equal(
          await shownText(page, "#study-summary"),
          "FAIL: 1 of 6 checks fail (extra R1).",
        );
      });

      await t.step("bad characters fail R3 on their own fields", async () => {
        await page.fill("#study", "20240229_al.ice_lung panel_p1");
        assert.deepEqual(await shownRows(page, "study"), [
          PASSING_STUDY_ROWS[0],
          "✗ FAIL user al.ice R3: user 'al.ice' contains '.'; use only letters, digits and '-'",
          "✗ FAIL project lung panel R3: project 'lung panel' contains a space; " +
          "use only letters, digits and '-'",
          "✓ PASS customname p1 R3: letters, digits and '-' only",
          "✓ PASS length 29 R3: 29 of at most 60 characters",
        ]);
      });

      await t.step("a study name of 61 characters fails R3 on its length", async () => {
        const long = `20240229_alice_lung_${"p".repeat(41)}`;
        assert.equal(long.length, 61);
        await page.fill("#study", long);
        const rows = await shownRows(page, "study");
        assert.equal(
          rows[4],
          "✗ FAIL length 61 R3: 61 characters; the limit is 60 (Windows path length)",
        );
      });

      await t.step("experiment: the 5-field form passes, a suffix with '_' fails R2", async () => {
        await page.fill("#study", STUDY);
        await page.fill("#experiment", `${STUDY}_B-2`);
        assert.deepEqual(await shownRows(page, "experiment"), [
          ...PASSING_STUDY_ROWS,
          "✓ PASS suffix B-2 R2: letters, digits and '-' only",
          "✓ PASS length 30 R3: 30 of at most 60 characters",
        ]);
        assert.equal(await page.locator("#experiment-copy").isEnabled(), true);
        await page.fill("#experiment", `${STUDY}_B_2`);
        assert.deepEqual(await shownRows(page, "experiment"), [
          ...PASSING_STUDY_ROWS,
          "✗ FAIL suffix B_2 R2: suffix 'B_2' contains '_'; use only letters, digits and '-'",
          "✓ PASS length 30 R3: 30 of at most 60 characters",
        ]);
        assert.equal(
          await shownText(page, "#experiment-summary"),
          "FAIL: 1 of 6 checks fail (suffix R2).",
        );
        await page.fill("#experiment", "20240229_bob_lung_panel1");
        assert.deepEqual(await shownRows(page, "experiment"), [
          "✗ FAIL name 20240229_bob_lung_panel1 R2: experiment '20240229_bob_lung_panel1' " +
          `must be named '${STUDY}' or '${STUDY}_<suffix>'`,
          "✓ PASS length 24 R3: 24 of at most 60 characters",
        ]);
      });

      await t.step("experiment: 60 characters pass R3, 61 fail", async () => {
        const at60 = `${STUDY}_${"x".repeat(60 - STUDY.length - 1)}`;
        await page.fill("#experiment", at60);
        let rows = await shownRows(page, "experiment");
        assert.equal(rows.at(-1), "✓ PASS length 60 R3: 60 of at most 60 characters");
        assert.match(await shownText(page, "#experiment-summary"), /^PASS: /);
        await page.fill("#experiment", `${at60}y`);
        rows = await shownRows(page, "experiment");
        assert.equal(
          rows.at(-1),
          "✗ FAIL length 61 R3: 61 characters; the limit is 60 (Windows path length)",
        );
        assert.equal(
          await shownText(page, "#experiment-summary"),
          "FAIL: 1 of 6 checks fail (length R3).",
        );
        assert.equal(await page.locator("#experiment-copy").isDisabled(), true);
      });

      await t.step(
        "a study folder: complete passes R1–R8; an experiment without .xpd fails R6",
        async () => {
          await withTempDir(async (dir) => {
            const complete = await makeSampleStudy(join(dir, "complete"), STUDY, {
              experiments: ["", "B"],
              fpr: true,
            });
            await page.setInputFiles("#folder", complete);
            assert.equal(
              await shownText(page, "#folder-summary"),
              `PASS: the study folder '${STUDY}' follows R1–R8 (9 files checked).`,
            );
            assert.deepEqual(await shownViolations(page), []);
            // S.xpd, S/ and S_B/ but no S_B.xpd: the .fpr does not stand in for it.
            const unpaired = await makeSampleStudy(join(dir, "unpaired"), STUDY, {
              experiments: ["", "B"],
              fpr: true,
            });
            await Deno.remove(join(unpaired, `${STUDY}_B.xpd`));
            await page.setInputFiles("#folder", unpaired);
            assert.equal(
              await shownText(page, "#folder-summary"),
              `FAIL: the study folder '${STUDY}' has 1 violation (R6; 8 files checked).`,
            );
            assert.deepEqual(await shownViolations(page), [
              `R6 ${STUDY}_B: no '${STUDY}_B.xpd' beside it: every experiment directory has its ` +
              "own .xpd (an .fpr does not replace it)",
            ]);
          });
        },
      );

      await t.step("keyboard only: Tab to each control, type, Enter copies", async () => {
        const fresh = await openPage(context, `${server.origin}/`, errors);
        await fresh.keyboard.press("Tab");
        assert.equal(await focusedId(fresh), "study");
        await fresh.keyboard.type(STUDY);
        assert.deepEqual(
          (await shownRows(fresh, "study")).map((row) => row.slice(0, 6)),
          Array(5).fill("✓ PASS"),
        );
        await fresh.keyboard.press("Tab");
        assert.equal(await focusedId(fresh), "use-example");
        await fresh.keyboard.press("Tab");
        assert.equal(await focusedId(fresh), "study-copy");
        await fresh.keyboard.press("Enter");
        await fresh.locator("#study-copy-note", { hasText: "Copied" }).waitFor();
        assert.equal(
          await shownText(fresh, "#study-copy-note"),
          `Copied ${STUDY} to the clipboard.`,
        );
        assert.equal(await fresh.evaluate("navigator.clipboard.readText()"), STUDY);
        await fresh.keyboard.press("Tab");
        assert.equal(await focusedId(fresh), "experiment");
        await fresh.keyboard.type(`${STUDY}_B-2`);
        await fresh.keyboard.press("Tab");
        assert.equal(await focusedId(fresh), "experiment-copy");
        await fresh.keyboard.press("Space");
        await fresh.locator("#experiment-copy-note", { hasText: "Copied" }).waitFor();
        assert.equal(await fresh.evaluate("navigator.clipboard.readText()"), `${STUDY}_B-2`);
        // "Use the example" by keyboard fills the study and puts the cursor back in it.
        await fresh.focus("#use-example");
        await fresh.keyboard.press("Enter");
        assert.equal(await fresh.inputValue("#study"), "20250301_alice_lung_panel1");
        assert.equal(await focusedId(fresh), "study");
        await fresh.close();
      });

      await t.step("readable on a phone: no sideways scrolling; screenshots", async () => {
        await page.fill("#study", STUDY);
        await page.fill("#experiment", `${STUDY}_B_2`);
        await page.screenshot({
          path: join(SCREENSHOT_DIR, "validator-desktop.png"),
          fullPage: true,
        });
        await page.setViewportSize({ width: 360, height: 740 });
        const overflow = await page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        assert.equal(overflow, 0, "the page scrolls sideways at 360 px");
        await page.screenshot({
          path: join(SCREENSHOT_DIR, "validator-phone.png"),
          fullPage: true,
        });
      });

      await t.step("from file://, without the Clipboard API, copy falls back", async () => {
        const fileUrl = pathToFileURL(join(VALIDATOR_DIR, "index.html")).href;
        const offline = await context.newPage();
        // As in browsers that offer no Clipboard API to file:// pages.
        await offline.addInitScript(
          "Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined })",
        );
        offline.on("pageerror", (error) => errors.push(`file: ${error.message}`));
        await offline.goto(fileUrl);
        await offline.locator("body.ready").waitFor();
        assert.equal(await offline.evaluate("navigator.clipboard"), undefined);
        await offline.fill("#study", "20230229_alice_lung_panel1");
        assert.equal(
          (await shownRows(offline, "study"))[0],
          "✗ FAIL date 20230229 R1: 20230229 is not a real calendar date",
        );
        await offline.fill("#study", STUDY);
        await offline.click("#study-copy");
        await offline.locator("#study-copy-note", { hasText: "Copied" }).waitFor();
        await offline.close();
        assert.equal(await page.evaluate("navigator.clipboard.readText()"), STUDY);
      });

      await t.step("no request left the page's own server or folder", () => {
        const foreign = requests.filter((url) =>
          !url.startsWith(`${server.origin}/`) && !url.startsWith("file://")
        );
        assert.deepEqual(foreign, []);
        assert.deepEqual(
          [...new Set(server.requested)].sort(),
          ["/", "/style.css", "/validator.js"],
        );
        assert.deepEqual(errors, []);
      });
    }));
});
