/**
 * The docs' permission table is the code's (lib/permissions/table.ts): the
 * table after the marker line in README.md or docs/*.md, cell by cell. On a
 * difference, the failure prints the table to paste (`deno fmt` aligns it).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  COMMAND_PERMISSIONS,
  type KeptKind,
  PERMISSION_KINDS,
  type PermissionRow,
  PRINT_ONLY,
} from "../../lib/permissions/mod.ts";
import { REPO_ROOT } from "../_helpers/cli.ts";

const MARKER = "<!-- permission table: generated from lib/permissions/table.ts -->";

/** What `row` keeps on Windows. */
function onWindows(row: PermissionRow): string {
  if (row.windows !== undefined) return `everything: ${row.windows}`;
  if (row.paths === "none") return "the same";
  return "the same; everything when a path it works on is on a network share";
}

/** The docs row of `row`: the command, the kinds it keeps, on Windows, and why each. */
function cells(row: PermissionRow): string[] {
  const kinds = PERMISSION_KINDS.filter((kind) => kind in row.keeps) as KeptKind[];
  if (kinds.length === 0) {
    return [`\`${row.command}\``, "nothing", onWindows(row), "it only prints"];
  }
  const keeps = kinds.map((kind) =>
    kind === "run" && row.hook !== undefined
      ? `run (only with a \`[hooks] ${row.hook}\` command)`
      : kind
  );
  const why = kinds.map((kind) => `${kind}: ${row.keeps[kind]}`);
  return [`\`${row.command}\``, keeps.join(", "), onWindows(row), why.join("; ")];
}

const HEADER = ["command", "keeps", "on Windows", "why"];

function expectedRows(): string[][] {
  return [HEADER, ...[...COMMAND_PERMISSIONS, PRINT_ONLY].map(cells)];
}

/** The markdown table of the marker's file, after the marker, as rows of trimmed cells. */
function tableAfterMarker(text: string): string[][] {
  const lines = text.slice(text.indexOf(MARKER) + MARKER.length).split("\n");
  const start = lines.findIndex((line) => line.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith("|")) break;
    const row = line.slice(1, line.lastIndexOf("|")).split("|").map((cell) => cell.trim());
    // The separator line under the header.
    if (!row.every((cell) => /^-+$/.test(cell))) rows.push(row);
  }
  return rows;
}

async function docsFiles(): Promise<string[]> {
  const files = [join(REPO_ROOT, "README.md")];
  for await (const entry of Deno.readDir(join(REPO_ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(join(REPO_ROOT, "docs", entry.name));
  }
  return files;
}

Deno.test("the docs' permission table is the one in lib/permissions/table.ts", async () => {
  const holders: [string, string][] = [];
  for (const file of await docsFiles()) {
    const text = await Deno.readTextFile(file);
    if (text.includes(MARKER)) holders.push([file, text]);
  }
  assert.equal(holders.length, 1, `exactly one docs file holds "${MARKER}"`);
  const [[file, text]] = holders as [[string, string]];
  const expected = expectedRows();
  const markdown = expected.map((row, index) =>
    `| ${row.join(" | ")} |` + (index === 0 ? "\n| --- | --- | --- | --- |" : "")
  ).join("\n");
  assert.deepEqual(
    tableAfterMarker(text),
    expected,
    `${file} differs from lib/permissions/table.ts; the table there should read:\n${markdown}`,
  );
});
