/**
 * The config.toml that `install init` writes, rendered from the config
 * schema: every section and key with its documentation, default and limits.
 * Required keys are set to their example so the file loads as soon as the
 * paths in it are right; every other key is a commented line showing its
 * default, or an example when the default is derived or empty.
 *
 * @module
 */
import type { KeySpec, SectionSpec } from "../config/mod.ts";

type ConfigValue = NonNullable<KeySpec["default"]>;

const HEADER = `# fusion-toolkit configuration, written by \`fusion-toolkit install init\`.
#
# Set the three required keys first: [backup] source_root, [truenas] root and
# [s3] bucket. Every other key is optional and shown commented out with its
# default; remove the leading "# " to change it.
#
# Paths may use / or \\ (inside "double quotes" write \\ as \\\\, or use 'single
# quotes'), drive letters (D:/FusionData) or UNC shares (//truenas/share). ~ is
# your home folder; a relative path is relative to this file's folder.
# Scheduled tasks often cannot see a drive letter mapped at logon: prefer UNC
# paths, or map the share in a [hooks] command.
#
# AWS credentials never go in this file: the AWS SDK's default chain supplies
# them (environment variables, ~/.aws/credentials profiles, SSO).
#
# Check this file with: fusion-toolkit install tasks --dry-run
`;

const WIDTH = 80;

/** `text` as `# ` comment lines of at most {@linkcode WIDTH} characters (long words stay whole). */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = "#";
  for (const word of text.split(/\s+/).filter((part) => part !== "")) {
    if (line !== "#" && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** A TOML string: literal ('...') when it holds a backslash, so regexes and Windows paths read as written. */
function tomlString(value: string): string {
  if (value.includes("\\") && !/['\n\r]/.test(value)) return `'${value}'`;
  return JSON.stringify(value);
}

/** A schema value as TOML. */
export function tomlValue(value: ConfigValue): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `[${value.map(tomlString).join(", ")}]`;
}

function describeDefault(spec: KeySpec): string {
  if (spec.required === true) return "Required.";
  if (spec.derivedDefault !== undefined) return `Default: ${spec.derivedDefault}.`;
  if (spec.default === undefined) return "Default: not set.";
  if (Array.isArray(spec.default) && spec.default.length === 0) return "Default: none.";
  if (spec.default === "") return 'Default: "" (empty).';
  const text = tomlValue(spec.default);
  // A long default (a regex, a path) is on the key's line right below; do not repeat it.
  return text.length > 24 ? "Default: as shown below." : `Default: ${text}.`;
}

function describeLimits(spec: KeySpec): string[] {
  const limits: string[] = [];
  if (spec.min !== undefined) limits.push(`at least ${spec.min}`);
  if (spec.max !== undefined) limits.push(`at most ${spec.max}`);
  if (spec.above !== undefined) limits.push(`more than ${spec.above}`);
  if (spec.below !== undefined) limits.push(`less than ${spec.below}`);
  if (spec.oneOf !== undefined) limits.push(`one of ${spec.oneOf.join(", ")}`);
  if (spec.pattern !== undefined) limits.push(spec.pattern.meaning);
  if (spec.kind === "regex") limits.push("a JavaScript regular expression");
  if (spec.kind === "argv") limits.push("a list of strings: the program, then its arguments");
  return limits.length === 0 ? [] : [`Must be ${limits.join(", ")}.`];
}

/** The value a key's line shows: the example for required or derived keys, else the default. */
function shownValue(spec: KeySpec): ConfigValue {
  const value = spec.required === true || spec.derivedDefault !== undefined || isEmpty(spec.default)
    ? spec.example ?? spec.default
    : spec.default;
  if (value === undefined) throw new Error("a schema key needs a default or an example");
  return value;
}

function isEmpty(value: ConfigValue | undefined): boolean {
  return value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

function renderKey(name: string, spec: KeySpec): string[] {
  const doc = spec.doc.charAt(0).toUpperCase() + spec.doc.slice(1);
  const text = [`${doc}.`, describeDefault(spec), ...describeLimits(spec)];
  if (spec.required !== true && spec.example !== undefined && !isEmpty(spec.default)) {
    text.push(`Example: ${tomlValue(spec.example)}.`);
  }
  const line = `${name} = ${tomlValue(shownValue(spec))}`;
  return [...comment(text.join(" ")), spec.required === true ? line : `# ${line}`];
}

/**
 * The commented config.toml for `schema`: a header, then every section with
 * its documentation and every key (required keys set to their example, the
 * others commented out).
 *
 * @throws {Error} when a key has neither a default nor an example (a schema bug).
 */
export function renderConfigTemplate(schema: Readonly<Record<string, SectionSpec>>): string {
  const parts = [HEADER];
  for (const [section, spec] of Object.entries(schema)) {
    const lines = [`[${section}]`, ...comment(spec.doc)];
    for (const [key, keySpec] of Object.entries(spec.keys)) {
      lines.push("", ...renderKey(key, keySpec));
    }
    parts.push(lines.join("\n") + "\n");
  }
  return parts.join("\n");
}
