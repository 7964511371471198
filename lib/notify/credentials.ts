/**
 * SMTP credentials, found like boto3 finds AWS keys: the environment
 * (`FUSION_SMTP_USER` and `FUSION_SMTP_APP_PASSWORD`) first, then a dotenv
 * file (`--smtp-env PATH`, else `smtp.env` beside config.toml). The password
 * is held where neither `JSON.stringify` nor `Deno.inspect` can see it.
 *
 * @module
 */
import { join } from "node:path";
import type { EnvReader } from "../config/mod.ts";
import { ConfigError } from "../errors.ts";
import { parseDotenv } from "./_dotenv.ts";

/** The environment variable (and smtp.env name) of the SMTP user. */
export const SMTP_USER_VARIABLE = "FUSION_SMTP_USER";
/** The environment variable (and smtp.env name) of the SMTP password (Gmail: an app password). */
export const SMTP_PASSWORD_VARIABLE = "FUSION_SMTP_APP_PASSWORD";

const KNOWN = [SMTP_USER_VARIABLE, SMTP_PASSWORD_VARIABLE];

/** The default dotenv file: `smtp.env` in the config folder. */
export function defaultSmtpEnvPath(configDir: string): string {
  return join(configDir, "smtp.env");
}

/** A user and password for the SMTP server, and where they came from. */
export class SmtpCredentials {
  readonly user: string;
  /** `the environment`, or the dotenv file's path. */
  readonly source: string;
  readonly #password: string;

  constructor(user: string, password: string, source: string) {
    this.user = user;
    this.source = source;
    this.#password = password;
  }

  /** The password; a method, not a property, so no inspection shows it. */
  password(): string {
    return this.#password;
  }

  /** `text` with every occurrence of the password replaced by `***`. */
  redact(text: string): string {
    // A very short password would mangle ordinary words; real ones are 8 or more characters.
    return this.#password.length < 4 ? text : text.replaceAll(this.#password, "***");
  }

  toJSON(): { user: string; source: string } {
    return { user: this.user, source: this.source };
  }
}

/** The outcome of {@linkcode findCredentials}: credentials, or why there are none. */
export type CredentialsLookup =
  | { readonly found: true; readonly credentials: SmtpCredentials }
  | { readonly found: false; readonly reason: string };

/** Where {@linkcode findCredentials} looks. */
export interface CredentialsOptions {
  readonly env: EnvReader;
  /** `--smtp-env`: must exist when given. */
  readonly smtpEnv?: string | undefined;
  /** The file read when `smtpEnv` is absent; a missing one means "no credentials". */
  readonly defaultFile: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * Finds the SMTP credentials: both environment variables, else the dotenv
 * file. The two are never mixed.
 *
 * @throws {ConfigError} when the dotenv file has a malformed line (naming the
 * file and line, never its text), when the `--smtp-env` file does not exist,
 * or when the file cannot be read.
 */
export async function findCredentials(options: CredentialsOptions): Promise<CredentialsLookup> {
  const envUser = nonEmpty(options.env.get(SMTP_USER_VARIABLE));
  const envPassword = nonEmpty(options.env.get(SMTP_PASSWORD_VARIABLE));
  if (envUser !== undefined && envPassword !== undefined) {
    return {
      found: true,
      credentials: new SmtpCredentials(envUser, envPassword, "the environment"),
    };
  }
  const file = options.smtpEnv ?? options.defaultFile;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && options.smtpEnv === undefined) {
      const partly = envUser !== undefined || envPassword !== undefined
        ? ` (only ${envUser === undefined ? SMTP_PASSWORD_VARIABLE : SMTP_USER_VARIABLE} is set)`
        : "";
      return {
        found: false,
        reason: `${SMTP_USER_VARIABLE} and ${SMTP_PASSWORD_VARIABLE} are not both set${partly} ` +
          `and ${file} does not exist`,
      };
    }
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError(`SMTP credentials file not found: ${file} (given with --smtp-env)`);
    }
    throw new ConfigError(
      `cannot read the SMTP credentials file ${file}: ${(error as Error).message}`,
    );
  }
  const entries = parseDotenv(text, file, KNOWN);
  const user = nonEmpty(entries.get(SMTP_USER_VARIABLE)?.value);
  const password = nonEmpty(entries.get(SMTP_PASSWORD_VARIABLE)?.value);
  if (user === undefined || password === undefined) {
    const missing = [
      user === undefined ? SMTP_USER_VARIABLE : [],
      password === undefined ? SMTP_PASSWORD_VARIABLE : [],
    ]
      .flat();
    return { found: false, reason: `${file} does not set ${missing.join(" and ")}` };
  }
  return { found: true, credentials: new SmtpCredentials(user, password, file) };
}
