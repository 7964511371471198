/**
 * `status`: what an operator reads on Monday.
 *
 * @module
 */
import type { Command } from "commander";
import { loadConfig } from "../config/mod.ts";
import { ExitCode } from "../errors.ts";
import { gatherStatus, renderStatus } from "../status/mod.ts";
import { withS3Store } from "../storage/mod.ts";
import type { CliContext } from "./context.ts";
import { configOption, formatOption } from "./_options.ts";

const ONE_ATTEMPT = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

/** Registers `status`. */
export function registerStatus(program: Command, context: CliContext): void {
  program
    .command("status")
    .description(
      "last runs, studies waiting, backups needing attention, share space, S3 versioning, " +
        "monitor, stale locks",
    )
    .addOption(configOption())
    .addOption(
      formatOption(),
    )
    .action(async (options: { config?: string; format: "text" | "json" }) => {
      // Read-only: no job history entry, no alerts, no log file — just the facts.
      const config = await loadConfig({
        path: options.config,
        env: context.env,
        command: context.command,
      });
      context.permissions.configLoaded(config);
      const report = await gatherStatus(config, {
        now: new Date(),
        readSpace: context.readShareSpace,
        // One attempt: status is read at a desk, and a dead endpoint must not hold it for minutes.
        readVersioning: () =>
          withS3Store(config.s3, { retry: ONE_ATTEMPT }, (store) => store().bucketVersioning()),
      });
      context.io.out(
        options.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report),
      );
      context.exitCode = report.attention_needed ? ExitCode.failure : ExitCode.ok;
    });
}
