/**
 * `manifest show`: the current state of every backup in a manifest file or folder.
 *
 * @module
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { type ManifestContents, type ManifestRecord, readManifest } from "../manifest/mod.ts";
import { formatBytes, renderTable } from "../text/mod.ts";
import type { CliContext } from "./context.ts";
import { formatOption } from "./_options.ts";

/** The table of `manifest show`: one row per backup, its latest state. */
export function renderManifestText(contents: ManifestContents): string {
  const records = [...contents.latest.values()].sort((a, b) =>
    a.backup_name < b.backup_name ? -1 : a.backup_name > b.backup_name ? 1 : 0
  );
  if (records.length === 0) return "no backups recorded\n";
  const dash = (value: string | null) => value ?? "-";
  const rows = records.map((record: ManifestRecord) => [
    record.backup_name,
    record.status,
    String(record.file_count),
    formatBytes(record.total_bytes),
    record.started_at,
    dash(record.completed_at),
    dash(record.source_deleted_at),
  ]);
  let text = renderTable(
    ["backup", "status", "files", "size", "started", "completed", "source deleted"],
    rows,
    ["left", "left", "right", "right"],
  );
  const errors = records.filter((record) => record.error !== null);
  for (const record of errors) text += `${record.backup_name}: ${record.error}\n`;
  return text;
}

/** Registers `manifest show`. */
export function registerManifest(program: Command, context: CliContext): void {
  program
    .command("manifest")
    .description("read the backup ledger")
    .command("show")
    .description("show the latest state of every backup in a manifest file or folder")
    .argument(
      "<path>",
      "a manifest file (YYYY-MM.<instrument>.jsonl), or the manifest folder (every instrument " +
        "and month folded)",
    )
    .addOption(
      formatOption(),
    )
    .action(async (path: string, options: { format: "text" | "json" }) => {
      const absolute = resolve(path);
      if (await kindAt(absolute) === undefined) {
        throw new UsageError(`manifest not found: ${absolute}; give a .jsonl file or the folder`);
      }
      const contents = await readManifest(absolute);
      for (const warning of contents.warnings) {
        context.logger.warn(`${warning.file}:${warning.line}: ${warning.message}`);
      }
      if (options.format === "json") {
        const backups = Object.fromEntries(contents.latest);
        context.io.out(`${JSON.stringify({ manifest: absolute, backups }, null, 2)}\n`);
      } else {
        context.io.out(renderManifestText(contents));
      }
    });
}
