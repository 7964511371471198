/**
 * The documentation's links hold: every relative link in README.md and
 * docs/*.md names a file that exists, and every `#anchor` into one of our
 * Markdown pages names a heading that page has (as GitHub spells anchors).
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** README.md and the Markdown pages directly in docs/ (not the built web page). */
async function documentationPages(): Promise<string[]> {
  const pages = [join(REPO_ROOT, "README.md")];
  for await (const entry of Deno.readDir(join(REPO_ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) pages.push(join(REPO_ROOT, "docs", entry.name));
  }
  return pages.sort();
}

/** The lines of `text` outside fenced code blocks. */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of text.split("\n")) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      continue;
    }
    if (fence === undefined) lines.push(line);
  }
  return lines;
}

/** The targets of the inline links and images of `text`, code spans left out. */
function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/`+[^`]*`+/g, "code");
    for (const match of prose.matchAll(/\]\(\s*<?([^()\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      targets.push(match[1] ?? "");
    }
  }
  return targets;
}

/** GitHub's anchor for a heading's Markdown text. */
function headingSlug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`/g, "$1") // code spans keep their text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links keep their text
    .replace(/\\(.)/g, "$1") // escapes
    .replace(/\*\*|__/g, "");
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replaceAll(" ", "-");
}

/** Every anchor of a page: its headings' slugs, repeated ones numbered as GitHub does. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

Deno.test("GitHub's anchors: code, punctuation and repeats", () => {
  assert.equal(
    headingSlug("2. Create the config folder: `install init`"),
    "2-create-the-config-folder-install-init",
  );
  assert.equal(headingSlug("4. AWS 凭证"), "4-aws-凭证");
  assert.equal(headingSlug("The sidecar: `_checksums.sha256`"), "the-sidecar-_checksumssha256");
  assert.deepEqual(
    [...anchorsOf("# Notes\n```\n# not a heading\n```\n## Notes\n## Cleanup's gates\n")],
    ["notes", "notes-1", "cleanups-gates"],
  );
  assert.deepEqual(
    linkTargets('[a](b.md) `[c](d.md)` ![e](f.png "t")\n```\n[g](h.md)\n```\n[i](https://x.org)'),
    ["b.md", "f.png", "https://x.org"],
  );
});

Deno.test("every relative link in README.md and docs/*.md names a file and heading that exist", async () => {
  const broken: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = async (page: string) => {
    let anchors = anchorCache.get(page);
    if (anchors === undefined) {
      anchors = anchorsOf(await Deno.readTextFile(page));
      anchorCache.set(page, anchors);
    }
    return anchors;
  };
  const pages = await documentationPages();
  assert.ok(pages.length > 1, "README.md and the docs/ pages were found");
  for (const page of pages) {
    const name = relative(REPO_ROOT, page).replaceAll("\\", "/");
    for (const target of linkTargets(await Deno.readTextFile(page))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
      const [path = "", anchor] = target.split("#", 2);
      const file = path === "" ? page : resolve(dirname(page), decodeURIComponent(path));
      try {
        await Deno.stat(file);
      } catch {
        broken.push(`${name}: ${target} (no such file)`);
        continue;
      }
      if (anchor === undefined || !file.endsWith(".md")) continue;
      if (!(await anchorsIn(file)).has(decodeURIComponent(anchor))) {
        broken.push(`${name}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
