/**
 * For restore and audit CLI tests: real backups made in-process
 * (tests/backup/_fixture.ts), then a config.toml for main.ts in a child
 * process pointing at the same share and S3 peer.
 *
 * @module
 */
import { join } from "node:path";
import { sampleConfigToml } from "../../scripts/sample_data.ts";
import { type BackupWorld, withBackupWorld } from "../backup/_fixture.ts";
import { PEER_CA_FILE } from "../../peers/smtp.ts";
import { type CliResult, PRODUCT_FLAGS, runMain } from "../_helpers/cli.ts";

/** A backed-up world and a way to run the CLI against it. */
export interface BackedUpCli extends BackupWorld {
  readonly configFile: string;
  /** main.ts with the product's permissions, `--config` appended, the peer's AWS environment. */
  cli(args: readonly string[], env?: Record<string, string>): Promise<CliResult>;
}

/** Options of {@linkcode withBackedUpCli}. */
export interface BackedUpCliOptions {
  /** Turn alerts on, to the tests' SMTP server on this port. */
  readonly smtpPort?: number;
}

/** Runs `body` with a fresh world whose config.toml the CLI reads. */
export function withBackedUpCli(
  body: (world: BackedUpCli) => Promise<void>,
  options: BackedUpCliOptions = {},
): Promise<void> {
  return withBackupWorld(async (world) => {
    let toml = sampleConfigToml({
      source: world.source,
      share: world.share,
      bucket: world.peer.bucket,
      endpoint: world.proxy.endpoint,
    });
    if (options.smtpPort !== undefined) {
      toml = toml.replace(
        "[notify]\nenabled = false\n",
        `[notify]\nenabled = true\nsmtp_host = "127.0.0.1"\nsmtp_port = ${options.smtpPort}\n` +
          `smtp_ca_file = ${JSON.stringify(PEER_CA_FILE)}\n`,
      );
    }
    const configFile = join(world.dir, "config.toml");
    await Deno.writeTextFile(configFile, toml);
    const cliWorld = Object.assign(world, {
      configFile,
      cli: (args: readonly string[], env: Record<string, string> = {}) =>
        runMain([...args, "--config", configFile], {
          permissions: PRODUCT_FLAGS,
          env: { ...world.peer.env, ...env },
        }),
    });
    await body(cliWorld);
  });
}
