/**
 * Config folders for notify tests: a config.toml pointing `[notify]` at the
 * tests' SMTP server (trusting its fixture certificate), and recipient lists.
 *
 * @module
 */
import { StatusLine } from "../../lib/cli/_progress.ts";
import { CliPermissions } from "../../lib/cli/_permissions.ts";
import type { CliContext } from "../../lib/cli/mod.ts";
import { readShareSpace } from "../../lib/cleanup/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import { revokeAllBut } from "../../lib/permissions/mod.ts";
import { join } from "node:path";
import { PEER_CA_FILE } from "../../peers/smtp.ts";

/** The SMTP user and password the tests' server accepts. */
export const SMTP_USER = "fusion-alerts@lab.example.org";
export const SMTP_PASSWORD = "correct-horse-battery-staple";
/** The user table of the tests' server. */
export const SMTP_USERS: Readonly<Record<string, string>> = { [SMTP_USER]: SMTP_PASSWORD };
/** The environment that gives the right credentials. */
export const SMTP_CREDENTIALS_ENV: Readonly<Record<string, string>> = {
  FUSION_SMTP_USER: SMTP_USER,
  FUSION_SMTP_APP_PASSWORD: SMTP_PASSWORD,
};

/** Options of {@linkcode writeNotifyConfig}. */
export interface NotifyConfigOptions {
  readonly port: number;
  readonly enabled?: boolean;
  readonly cooldownSeconds?: number;
  readonly from?: string;
}

/**
 * Writes `<dir>/config.toml` with every required key and a `[notify]` for the
 * test server, and makes its share folder (jobs record their runs there).
 */
export async function writeNotifyConfig(
  dir: string,
  options: NotifyConfigOptions,
): Promise<string> {
  const file = join(dir, "config.toml");
  await Deno.mkdir(join(dir, "share"), { recursive: true });
  const lines = [
    "[backup]",
    `source_root = ${JSON.stringify(join(dir, "source"))}`,
    'instrument = "fusion-test"',
    "[truenas]",
    `root = ${JSON.stringify(join(dir, "share"))}`,
    "[s3]",
    'bucket = "lab-fusion-archive"',
    "[notify]",
    `enabled = ${options.enabled ?? true}`,
    'smtp_host = "127.0.0.1"',
    `smtp_port = ${options.port}`,
    `smtp_ca_file = ${JSON.stringify(PEER_CA_FILE)}`,
    `toolkit_error_cooldown_seconds = ${options.cooldownSeconds ?? 300}`,
    ...(options.from === undefined ? [] : [`from = ${JSON.stringify(options.from)}`]),
  ];
  await Deno.writeTextFile(file, `${lines.join("\n")}\n`);
  return file;
}

/** Writes `<dir>/recipients/<name>.txt` for each entry (`default` is the fallback list). */
export async function writeRecipients(dir: string, lists: Record<string, string>): Promise<void> {
  await Deno.mkdir(join(dir, "recipients"), { recursive: true });
  for (const [name, text] of Object.entries(lists)) {
    await Deno.writeTextFile(join(dir, "recipients", `${name}.txt`), text);
  }
}

/** Writes `<dir>/smtp.env` with the tests' user and `password`. */
export async function writeSmtpEnv(dir: string, password: string = SMTP_PASSWORD): Promise<string> {
  const file = join(dir, "smtp.env");
  await Deno.writeTextFile(
    file,
    `# SMTP login for alerts\nFUSION_SMTP_USER=${SMTP_USER}\nFUSION_SMTP_APP_PASSWORD="${password}"\n`,
  );
  return file;
}

/** An environment reader over a plain map, with HOME pointing into the test folder. */
export function envOf(values: Record<string, string>): { get(name: string): string | undefined } {
  return { get: (name) => values[name] };
}

/** Everything written to the monthly log files under `<dir>/logs`. */
export async function readLogFiles(dir: string): Promise<string> {
  let text = "";
  for (const entry of Deno.readDirSync(join(dir, "logs"))) {
    text += await Deno.readTextFile(join(dir, "logs", entry.name));
  }
  return text;
}

/** A CLI context for in-process job tests: console lines captured, environment from `env`. */
export function captureContext(
  env: Record<string, string>,
): { context: CliContext; lines: string[] } {
  const lines: string[] = [];
  const io = { out: () => {}, err: () => {}, stderrIsTerminal: false };
  const context: CliContext = {
    io,
    logger: new Logger({ console: (line) => lines.push(line) }),
    status: new StatusLine(io),
    env: envOf(env),
    command: "fusion-toolkit",
    // As the program's; no command is entered here, so nothing is ever revoked.
    permissions: new CliPermissions(revokeAllBut, () => {}),
    readShareSpace,
    exitCode: 0,
  };
  return { context, lines };
}
