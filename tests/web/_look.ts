/**
 * The monthly report's HTML (the page and the email) in the browser of
 * `_browser.ts`: opened from a file at a phone's width and a desktop's, every
 * request it makes recorded (there must be none), a screenshot saved under
 * dist/report/ (not committed) for people to look at.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { REPO_ROOT } from "../_helpers/cli.ts";

/** Where the screenshots go; dist/ is ignored by git. */
export const SCREENSHOT_DIR = join(REPO_ROOT, "dist", "report");

/** A phone's width in CSS pixels (an iPhone SE / 12 mini). */
export const PHONE_WIDTH = 375;

/** What a page looks like at one width. */
export interface Looked {
  readonly page: Page;
  /** The document's full width: more than the viewport means something sticks out. */
  readonly scrollWidth: number;
  /** Requests other than the file itself. */
  readonly requests: readonly string[];
  readonly errors: readonly string[];
}

/** Opens `file` at `width` CSS pixels and saves a full-page screenshot as `name`.png. */
export async function look(
  context: BrowserContext,
  file: string,
  width: number,
  name: string,
): Promise<Looked> {
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  const page = await context.newPage();
  page.on("request", (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.setViewportSize({ width, height: 900 });
  await page.goto(url);
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  const scrollWidth = Number(await page.evaluate("document.documentElement.scrollWidth"));
  return { page, scrollWidth, requests, errors };
}
