/**
 * Loads config.toml: every key of the schema (schema.ts, documented in
 * docs/configuration.md) with defaults, type and range checks, unknown keys named with their line, and paths normalised for the
 * running OS.
 *
 * @module
 */
import { dirname, posix, resolve, win32 } from "node:path";
import { parse, TomlError } from "smol-toml";
import { ConfigError } from "../errors.ts";
import { shellArg, thisCommand } from "../invocation.ts";
import { locateLine } from "./_locate.ts";
import { explainTomlError } from "./_toml_error.ts";
import {
  currentPlatform,
  defaultConfigPath,
  type EnvReader,
  homeDir,
  isSameOrInside,
  normalizePath,
  type PathPlatform,
} from "./paths.ts";
import { CONFIG_SCHEMA, type ConfigValue, type KeySpec, type SectionName } from "./schema.ts";

export { CONFIG_SCHEMA, type KeySpec, type SectionSpec, type ValueKind } from "./schema.ts";
export {
  currentPlatform,
  defaultConfigDir,
  defaultConfigPath,
  type EnvReader,
  normalizePath,
  type PathPlatform,
} from "./paths.ts";

/** The loaded configuration. Paths are absolute and normalised for the running OS. */
export interface Config {
  /** The config file that was read. */
  readonly file: string;
  /** Its folder, home of smtp.env, recipients/, state/ and logs/. */
  readonly dir: string;
  readonly backup: {
    readonly sourceRoot: string;
    readonly idleDays: number;
    readonly instrument: string;
  };
  readonly truenas: {
    readonly root: string;
    readonly manifestRoot: string;
    readonly lockWaitMinutes: number;
  };
  readonly s3: {
    readonly bucket: string;
    /** Without leading or trailing `/`; may be empty. */
    readonly prefix: string;
    readonly region: string | undefined;
    readonly endpoint: string | undefined;
    readonly forcePathStyle: boolean;
    readonly storageClass: string;
    readonly multipartThresholdMb: number;
    readonly partSizeMb: number;
    readonly concurrency: number;
    /** A connection not made within this many seconds is abandoned. */
    readonly connectTimeoutSeconds: number;
    /** A request on which S3 sends nothing for this many seconds is abandoned. */
    readonly idleTimeoutSeconds: number;
  };
  readonly cleanup: {
    readonly freeThresholdPct: number;
  };
  readonly monitor: {
    readonly logPath: string;
    readonly pollSeconds: number;
    readonly sentKeepDays: number;
    readonly rotationGraceSeconds: number;
    readonly lineStart: RegExp;
    readonly error: RegExp;
    readonly sample: RegExp;
    readonly cycle: RegExp;
  };
  readonly notify: {
    readonly enabled: boolean;
    readonly recipientsDir: string;
    readonly toolkitErrorCooldownSeconds: number;
    readonly smtpHost: string;
    readonly smtpPort: number;
    /** A PEM file of extra trusted certificate authorities for the SMTP server. */
    readonly smtpCaFile: string | undefined;
    readonly from: string | undefined;
  };
  readonly hooks: {
    readonly backup: readonly string[];
    readonly cleanup: readonly string[];
  };
  readonly report: {
    /** When the prices were taken, e.g. "2026-06". */
    readonly pricesAsOf: string;
    /** US dollars per GB-month (2^30 bytes) by S3 storage class, e.g. `{ STANDARD: 0.023 }`. */
    readonly prices: Readonly<Record<string, number>>;
  };
}

/** What the loader needs from the outside world; tests pass their own. */
export interface LoadOptions {
  /** `--config`; the default location when absent. */
  readonly path?: string | undefined;
  readonly env?: EnvReader;
  readonly platform?: PathPlatform;
  /** The default instrument name. */
  readonly hostname?: () => string;
  /** How to run this program, for the hint when the file is missing; default: as this process was started. */
  readonly command?: string;
}

type RawSection = Record<string, unknown>;

/**
 * Reads and checks a config file.
 *
 * @throws {ConfigError} when the file is missing or unreadable, is not valid
 * TOML, has an unknown section or key, a wrong type or range, or lacks a
 * required key. The message names the file, the line and the key.
 */
export async function loadConfig(options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? Deno.env;
  const platform = options.platform ?? currentPlatform();
  const file = options.path === undefined
    ? defaultConfigPath(env, platform)
    : resolve(options.path);
  let source: string;
  try {
    source = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError(missingConfigMessage(file, options, platform));
    }
    // Windows never says IsADirectory when a folder is read: it says access denied (Wine: invalid
    // function), which would send the user after permissions. Ask the file system instead.
    const isDirectory = error instanceof Deno.errors.IsADirectory ||
      await Deno.stat(file).then((info) => info.isDirectory, () => false);
    if (isDirectory) {
      throw new ConfigError(`config path is a directory: ${file}; pass the config.toml file`);
    }
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseConfig(source, file, {
    platform,
    home: () => homeDir(env, platform),
    hostname: options.hostname ?? (() => Deno.hostname()),
  });
}

/** Why the config file is missing, and the `install init` line that creates one where it was looked for. */
function missingConfigMessage(file: string, options: LoadOptions, platform: PathPlatform): string {
  const command = options.command ?? thisCommand();
  if (options.path === undefined) {
    return `no config file at ${file}, the default place; create one there with ` +
      `\`${command} install init\`, or pass --config PATH`;
  }
  const path = platform === "windows" ? win32 : posix;
  const dir = path.dirname(file);
  const init = `\`${command} install init --config-dir ${shellArg(dir)}\``;
  const create = path.basename(file) === "config.toml"
    ? `create one there with ${init}`
    : `create a config.toml in that folder with ${init} and pass --config ${
      shellArg(path.join(dir, "config.toml"))
    }`;
  return `the config file given with --config does not exist: ${file}; check the path, or ${create}`;
}

/** The checks of {@linkcode loadConfig} on text already read; `file` is used in messages and as base for relative paths. */
export function parseConfig(
  source: string,
  file: string,
  context: { platform: PathPlatform; home: () => string; hostname: () => string },
): Config {
  let document: Record<string, unknown>;
  try {
    document = parse(source);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "";
      const problem = explainTomlError(source, error.line, error.column, reason);
      throw new ConfigError(
        `${file}:${problem.line}:${problem.column}: invalid TOML: ${problem.message}`,
      );
    }
    throw error;
  }
  const checker = new Checker(source, file, context);
  const sections = checker.sections(document);
  return checker.finish(() => build(checker, sections, file, context));
}

class Checker {
  readonly problems: string[] = [];
  constructor(
    readonly source: string,
    readonly file: string,
    readonly context: { platform: PathPlatform; home: () => string },
  ) {}

  at(section: string, key?: string): string {
    const line = locateLine(this.source, section, key);
    return line === undefined ? this.file : `${this.file}:${line}`;
  }

  problem(section: string, key: string | undefined, message: string): void {
    this.problems.push(`${this.at(section, key)}: ${message}`);
  }

  sections(document: Record<string, unknown>): Record<SectionName, RawSection> {
    const known = Object.keys(CONFIG_SCHEMA);
    const result: Record<string, RawSection> = {};
    for (const [name, value] of Object.entries(document)) {
      if (!(name in CONFIG_SCHEMA)) {
        this.problem(name, undefined, `unknown section [${name}] (known: ${known.join(", ")})`);
      } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
        this.problem(name, undefined, `'${name}' must be a table: write [${name}] on its own line`);
      } else {
        result[name] = value as RawSection;
      }
    }
    for (const name of known) {
      const table = result[name] ?? {};
      result[name] = table;
      const keys = Object.keys(CONFIG_SCHEMA[name as SectionName].keys);
      for (const key of Object.keys(table)) {
        if (!keys.includes(key)) {
          this.problem(name, key, `unknown key '${key}' in [${name}] (known: ${keys.join(", ")})`);
        }
      }
    }
    return result as Record<SectionName, RawSection>;
  }

  /** The checked value of `section.key`, its default, or undefined when unset and underived. */
  value(sections: Record<SectionName, RawSection>, section: SectionName, key: string) {
    const spec = (CONFIG_SCHEMA[section].keys as Record<string, KeySpec>)[key];
    if (spec === undefined) throw new Error(`schema has no ${section}.${key}`);
    const raw = sections[section][key];
    if (raw === undefined) {
      if (spec.required === true) {
        this.problem(
          section,
          undefined,
          `missing required key '${key}' in [${section}]: ${spec.doc}`,
        );
      }
      return spec.default;
    }
    const message = checkValue(spec, raw);
    if (message !== undefined) {
      this.problem(section, key, `[${section}] ${key} ${message}`);
      return spec.default;
    }
    return raw as ConfigValue;
  }

  finish(make: () => Config): Config {
    const config = make();
    if (this.problems.length > 0) {
      const [first, ...rest] = this.problems;
      const more = rest.length === 0 ? "" : ` (and ${rest.length} more: ${rest.join("; ")})`;
      throw new ConfigError(`config error: ${first}${more}`);
    }
    return config;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object" && value !== null) return "a table";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Why `raw` does not fit `spec`, or undefined when it does. */
function checkValue(spec: KeySpec, raw: unknown): string | undefined {
  switch (spec.kind) {
    case "string":
    case "path":
    case "regex": {
      if (typeof raw !== "string") return `must be a string, got ${describe(raw)}`;
      if (spec.kind === "path" && raw.trim() === "") return "must not be empty";
      if (spec.kind === "regex") {
        try {
          new RegExp(raw);
        } catch (error) {
          return `is not a valid regular expression: ${(error as Error).message}`;
        }
      }
      if (spec.oneOf !== undefined && !spec.oneOf.includes(raw)) {
        return `must be one of ${spec.oneOf.join(", ")}; got ${JSON.stringify(raw)}`;
      }
      if (spec.pattern !== undefined && !spec.pattern.regex.test(raw)) {
        return `must be ${spec.pattern.meaning}; got ${JSON.stringify(raw)}`;
      }
      return undefined;
    }
    case "boolean":
      return typeof raw === "boolean" ? undefined : `must be true or false, got ${describe(raw)}`;
    case "integer":
    case "number": {
      if (typeof raw !== "number" || Number.isNaN(raw)) {
        return `must be a number, got ${describe(raw)}`;
      }
      if (spec.kind === "integer" && !Number.isInteger(raw)) {
        return `must be a whole number, got ${raw}`;
      }
      if (spec.min !== undefined && raw < spec.min) {
        return `must be at least ${spec.min}, got ${raw}`;
      }
      if (spec.max !== undefined && raw > spec.max) {
        return `must be at most ${spec.max}, got ${raw}`;
      }
      if (spec.above !== undefined && raw <= spec.above) {
        return `must be more than ${spec.above}, got ${raw}`;
      }
      if (spec.below !== undefined && raw >= spec.below) {
        return `must be less than ${spec.below}, got ${raw}`;
      }
      return undefined;
    }
    case "argv": {
      if (!Array.isArray(raw) || raw.some((item) => typeof item !== "string")) {
        return `must be a list of strings (an argv), got ${describe(raw)}`;
      }
      if (raw.length > 0 && (raw[0] as string).trim() === "") {
        return "must start with the program to run, not an empty string";
      }
      return undefined;
    }
  }
}

function build(
  checker: Checker,
  sections: Record<SectionName, RawSection>,
  file: string,
  context: { platform: PathPlatform; home: () => string; hostname: () => string },
): Config {
  const dir = dirname(file);
  const get = (section: SectionName, key: string) => checker.value(sections, section, key);
  const text = (section: SectionName, key: string): string => {
    const value = get(section, key);
    return typeof value === "string" ? value : "";
  };
  const optionalText = (section: SectionName, key: string): string | undefined => {
    const value = get(section, key);
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const number = (section: SectionName, key: string): number => {
    const value = get(section, key);
    return typeof value === "number" ? value : 0;
  };
  const flag = (section: SectionName, key: string): boolean => get(section, key) === true;
  const argv = (section: SectionName, key: string): readonly string[] => {
    const value = get(section, key);
    return Array.isArray(value) ? [...value] : [];
  };
  const regex = (section: SectionName, key: string): RegExp => {
    const value = get(section, key);
    return new RegExp(typeof value === "string" ? value : "(?!)");
  };
  const homeIfNeeded = (raw: string) =>
    /^~(?:[\\/]|$)/.test(raw.trim()) ? checker.context.home() : undefined;
  const path = (section: SectionName, key: string): string | undefined => {
    const value = optionalText(section, key);
    if (value === undefined) return undefined;
    const home = homeIfNeeded(value);
    return normalizePath(value, context.platform, {
      baseDir: dir,
      ...(home === undefined ? {} : { home }),
    });
  };
  const join = (base: string, name: string) => normalizePath(`${base}/${name}`, context.platform);

  // Read in schema order, so problems are reported in the order of the file's sections.
  const backup = {
    sourceRoot: path("backup", "source_root") ?? "",
    idleDays: number("backup", "idle_days"),
    instrument: optionalText("backup", "instrument") ?? defaultInstrument(checker, context),
  };
  const truenasRoot = path("truenas", "root") ?? "";
  const overlap = rootsOverlap(backup.sourceRoot, truenasRoot, context.platform);
  if (overlap !== undefined) checker.problem("truenas", "root", overlap);
  return {
    file,
    dir,
    backup,
    truenas: {
      root: truenasRoot,
      manifestRoot: path("truenas", "manifest_root") ?? join(truenasRoot, "_manifest"),
      lockWaitMinutes: number("truenas", "lock_wait_minutes"),
    },
    s3: {
      bucket: text("s3", "bucket"),
      prefix: text("s3", "prefix").replace(/^\/+|\/+$/g, ""),
      region: optionalText("s3", "region"),
      endpoint: optionalText("s3", "endpoint"),
      forcePathStyle: flag("s3", "force_path_style"),
      storageClass: text("s3", "storage_class"),
      multipartThresholdMb: number("s3", "multipart_threshold_mb"),
      partSizeMb: number("s3", "part_size_mb"),
      concurrency: number("s3", "concurrency"),
      connectTimeoutSeconds: number("s3", "connect_timeout_seconds"),
      idleTimeoutSeconds: number("s3", "idle_timeout_seconds"),
    },
    cleanup: { freeThresholdPct: number("cleanup", "free_threshold_pct") },
    monitor: {
      logPath: path("monitor", "log_path") ?? "",
      pollSeconds: number("monitor", "poll_seconds"),
      sentKeepDays: number("monitor", "sent_keep_days"),
      rotationGraceSeconds: number("monitor", "rotation_grace_seconds"),
      lineStart: regex("monitor", "line_start"),
      error: regex("monitor", "error"),
      sample: regex("monitor", "sample"),
      cycle: regex("monitor", "cycle"),
    },
    notify: {
      enabled: flag("notify", "enabled"),
      recipientsDir: path("notify", "recipients_dir") ?? join(dir, "recipients"),
      toolkitErrorCooldownSeconds: number("notify", "toolkit_error_cooldown_seconds"),
      smtpHost: text("notify", "smtp_host"),
      smtpPort: number("notify", "smtp_port"),
      smtpCaFile: path("notify", "smtp_ca_file"),
      from: optionalText("notify", "from"),
    },
    hooks: { backup: argv("hooks", "backup"), cleanup: argv("hooks", "cleanup") },
    report: {
      pricesAsOf: text("report", "prices_as_of"),
      // Every `price_<class>` key prices the storage class <CLASS>.
      prices: Object.fromEntries(
        Object.keys(CONFIG_SCHEMA.report.keys).filter((key) => key.startsWith("price_")).map((
          key,
        ) => [key.slice("price_".length).toUpperCase(), number("report", key)]),
      ),
    },
  };
}

function defaultInstrument(checker: Checker, context: { hostname: () => string }): string {
  const spec = CONFIG_SCHEMA.backup.keys.instrument;
  const name = context.hostname();
  if (!spec.pattern.regex.test(name)) {
    checker.problem(
      "backup",
      undefined,
      `the host name ${JSON.stringify(name)} cannot name the instrument; set [backup] instrument`,
    );
  }
  return name;
}

/**
 * Why `source_root` and the share's root cannot be used together, when one
 * is the other or lies inside it: the backup would copy the share into itself,
 * or back up (and then delete) the share's own folders as studies.
 */
function rootsOverlap(source: string, share: string, platform: PathPlatform): string | undefined {
  if (source === "" || share === "") return undefined;
  const shareInside = isSameOrInside(share, source, platform);
  const sourceInside = isSameOrInside(source, share, platform);
  const where = shareInside && sourceInside
    ? "is the same folder as"
    : shareInside
    ? "lies inside"
    : sourceInside
    ? "contains"
    : undefined;
  if (where === undefined) return undefined;
  return `[truenas] root ${share} ${where} [backup] source_root ${source}: the share must be ` +
    "a folder apart from the instrument's studies; set one of them elsewhere";
}
