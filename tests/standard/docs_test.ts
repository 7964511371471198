/**
 * docs/data-standard.md must tell the truth: every example tree is built on
 * disk, `pass` trees must pass, and each `fail` tree must print exactly the
 * console block that follows it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { renderStudyText } from "../../lib/cli/validate.ts";
import { validateStudy } from "../../lib/study/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const DOC = new URL("../../docs/data-standard.md", import.meta.url);
const SHOWN_ROOT = "/data/FusionData";

interface Example {
  readonly kind: "pass" | "fail";
  readonly tree: string;
  readonly output: string | undefined;
  readonly line: number;
}

function examples(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(/^```(text pass|text fail|console)\n([\s\S]*?)^```$/gm)];
  const found: Example[] = [];
  blocks.forEach((block, index) => {
    const info = block[1] ?? "";
    if (info === "console") return;
    const next = blocks[index + 1];
    const output = info === "text fail" && next?.[1] === "console" ? next[2] : undefined;
    const line = markdown.slice(0, block.index).split("\n").length;
    found.push({
      kind: info === "text pass" ? "pass" : "fail",
      tree: block[2] ?? "",
      output,
      line,
    });
  });
  return found;
}

/** Builds an indented tree (two spaces a level, folders end with '/'); returns the study path. */
async function buildTree(root: string, tree: string): Promise<string> {
  const stack: string[] = [];
  let study = "";
  for (const raw of tree.split("\n")) {
    if (raw.trim() === "") continue;
    const depth = (raw.length - raw.trimStart().length) / 2;
    const name = raw.trim();
    stack.length = depth;
    const isDir = name.endsWith("/");
    const clean = isDir ? name.slice(0, -1) : name;
    const path = join(root, ...stack, clean);
    if (isDir) await Deno.mkdir(path, { recursive: true });
    else await Deno.writeTextFile(path, "example\n");
    if (depth === 0) study = path;
    stack.push(clean);
  }
  return study;
}

Deno.test("every example in docs/data-standard.md behaves as documented", async () => {
  const all = examples(await Deno.readTextFile(DOC));
  assert.ok(all.filter((e) => e.kind === "pass").length >= 9, "a passing example per rule");
  assert.ok(all.filter((e) => e.kind === "fail").length >= 9, "a failing example per rule");
  for (const example of all) {
    await withTempDir(async (dir) => {
      const study = await buildTree(dir, example.tree);
      const report = await validateStudy(study);
      const text = renderStudyText(report).replaceAll(dir, SHOWN_ROOT).replaceAll("\\", "/");
      if (example.kind === "pass") {
        assert.equal(
          text,
          `PASS ${SHOWN_ROOT}/${report.study}\n`,
          `example at line ${example.line}`,
        );
      } else {
        assert.equal(text, example.output, `example at line ${example.line}`);
      }
    });
  }
});
