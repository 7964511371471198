/**
 * Where the page tests look for a browser, and what they say when there is
 * none (pure; every OS's inputs). The browser itself is exercised by
 * validator_page_test.ts.
 */
import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { browserCandidates, noBrowserMessage, npmBrowserRunsOn } from "./_browser.ts";

Deno.test("Linux: Chromium, Chrome and Edge on PATH, in that order, then their fixed homes", () => {
  const path = ["/usr/local/bin", "/usr/bin"].join(delimiter);
  const candidates = browserCandidates("linux", new Map([["PATH", path]]));
  assert.deepEqual(candidates.slice(0, 4), [
    join("/usr/local/bin", "chromium"),
    join("/usr/bin", "chromium"),
    join("/usr/local/bin", "chromium-browser"),
    join("/usr/bin", "chromium-browser"),
  ]);
  assert.ok(candidates.includes(join("/usr/bin", "google-chrome")));
  assert.ok(candidates.includes(join("/usr/bin", "microsoft-edge")));
  assert.deepEqual(candidates.slice(-2), [
    "/opt/google/chrome/chrome",
    "/opt/microsoft/msedge/msedge",
  ]);
  // No PATH at all: only the fixed homes.
  assert.deepEqual(browserCandidates("linux", new Map()), [
    "/opt/google/chrome/chrome",
    "/opt/microsoft/msedge/msedge",
  ]);
});

Deno.test("Windows: Edge first (every Windows has it), then Chrome, machine-wide and per user", () => {
  const env = new Map([
    ["ProgramFiles", "C:\\Program Files"],
    ["ProgramFiles(x86)", "C:\\Program Files (x86)"],
    ["LOCALAPPDATA", "C:\\Users\\lab\\AppData\\Local"],
  ]);
  const candidates = browserCandidates("windows", env);
  assert.deepEqual(candidates.slice(0, 4), [
    "C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
    "C:\\Users\\lab\\AppData\\Local\\Microsoft\\Edge\\Application\\msedge.exe",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
  ]);
  assert.ok(
    candidates.includes("C:\\Users\\lab\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe"),
  );
});

Deno.test("without a browser the test fails with one line saying what to install", () => {
  assert.equal(npmBrowserRunsOn("linux", "x86_64"), true);
  assert.equal(npmBrowserRunsOn("linux", "aarch64"), false);
  assert.equal(npmBrowserRunsOn("windows", "x86_64"), false);
  const linuxArm = noBrowserMessage("linux", "aarch64");
  assert.equal(
    linuxArm,
    "no Chromium-based browser for the validator page test on linux aarch64: install Chromium " +
      "(Debian: apt-get install chromium), Google Chrome or Microsoft Edge (the npm package " +
      "@sparticuz/chromium@153.0.0 runs on Linux x64 only)",
  );
  assert.match(noBrowserMessage("windows", "x86_64"), /: install Microsoft Edge or Google Chrome /);
  for (const message of [linuxArm, noBrowserMessage("darwin", "aarch64")]) {
    assert.doesNotMatch(message, /\n/);
  }
});
