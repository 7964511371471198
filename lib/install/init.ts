/**
 * `install init`: writes config.toml, smtp.env and the recipients/*.txt
 * templates into the config folder. It replaces config.toml and smtp.env
 * only when forced, and then keeps the previous file as `<name>.bak`; it
 * never replaces a recipients file, which holds the lab's own lists.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { CONFIG_SCHEMA } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { atomicWriteFile, kindAt } from "../fs/mod.ts";
import { renderConfigTemplate } from "./config_template.ts";
import { recipientsFiles, SMTP_ENV_TEMPLATE } from "./templates.ts";

/** What `install init` did to one file. */
export type InitAction = "created" | "replaced" | "kept";

/** One file `install init` considered. */
export interface InitFile {
  readonly path: string;
  readonly action: InitAction;
  /** Where the previous content went, for `replaced`. */
  readonly previous?: string;
}

/** The outcome of {@linkcode initConfigDir}. */
export interface InitResult {
  /** The absolute config folder. */
  readonly dir: string;
  readonly configFile: string;
  readonly smtpEnvFile: string;
  readonly recipientsDir: string;
  /** config.toml, smtp.env, then every recipients file. */
  readonly files: readonly InitFile[];
}

/** POSIX mode of smtp.env: readable and writable by its owner only. */
export const SMTP_ENV_MODE = 0o600;

/**
 * Writes the config templates into `dir` (created if missing).
 *
 * @throws {UsageError} when config.toml or smtp.env exists and `force` is not
 * set (nothing is written then), or when a path is a folder where a file
 * belongs.
 */
export async function initConfigDir(
  dir: string,
  options: { force?: boolean } = {},
): Promise<InitResult> {
  const root = resolve(dir);
  const rootKind = await kindAt(root);
  if (rootKind !== undefined && rootKind !== "dir") {
    throw new UsageError(`${root} exists and is not a folder; pass another --config-dir`);
  }
  const configFile = join(root, "config.toml");
  const smtpEnvFile = join(root, "smtp.env");
  const recipientsDir = join(root, "recipients");

  const existing: string[] = [];
  for (const path of [configFile, smtpEnvFile]) {
    const kind = await kindAt(path);
    if (kind === undefined) continue;
    if (kind !== "file") throw new UsageError(`${path} exists and is not a file; move it away`);
    existing.push(path);
  }
  if (existing.length > 0 && options.force !== true) {
    const [first, second] = existing;
    const what = second === undefined
      ? `${first} already exists; pass --force to replace it (the old file is kept as .bak`
      : `${first} and ${second} exist; pass --force to replace them (the old files are kept as .bak`;
    throw new UsageError(`${what}; recipients files are never replaced)`);
  }

  await Deno.mkdir(recipientsDir, { recursive: true });
  const files: InitFile[] = [
    await writeReplacing(configFile, renderConfigTemplate(CONFIG_SCHEMA), existing, undefined),
    await writeReplacing(smtpEnvFile, SMTP_ENV_TEMPLATE, existing, SMTP_ENV_MODE),
  ];
  for (const { name, content } of recipientsFiles()) {
    files.push(await writeUnlessPresent(join(recipientsDir, name), content));
  }
  return { dir: root, configFile, smtpEnvFile, recipientsDir, files };
}

/** Writes `path` atomically; an existing file is first copied to `<path>.bak`. */
async function writeReplacing(
  path: string,
  content: string,
  existing: readonly string[],
  mode: number | undefined,
): Promise<InitFile> {
  const options = mode === undefined ? {} : { mode };
  if (!existing.includes(path)) {
    await atomicWriteFile(path, content, options);
    return { path, action: "created" };
  }
  const previous = `${path}.bak`;
  // Copy, not rename: config.toml exists at every moment, and a failed write leaves it as it was.
  await atomicWriteFile(previous, await Deno.readFile(path), options);
  await atomicWriteFile(path, content, options);
  return { path, action: "replaced", previous };
}

async function writeUnlessPresent(path: string, content: string): Promise<InitFile> {
  try {
    await Deno.writeTextFile(path, content, { createNew: true });
    return { path, action: "created" };
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return { path, action: "kept" };
    throw error;
  }
}
