/**
 * The config file's schema: every section and key of config.toml, its type,
 * default and one-line documentation. The loader checks files against it and
 * `install init` renders its commented template from it, so the two cannot
 * drift apart.
 *
 * @module
 */
import { INSTRUMENT_NAME_PATTERN } from "../layout/mod.ts";

/** How a value is checked. `path` is a string normalised as a path; `argv` a list of strings. */
export type ValueKind = "string" | "path" | "integer" | "number" | "boolean" | "argv" | "regex";

/** A TOML value the schema can hold. */
export type ConfigValue = string | number | boolean | readonly string[];

/** One key of the schema. */
export interface KeySpec {
  readonly kind: ValueKind;
  /** One line for the template `install init` writes and for error messages. */
  readonly doc: string;
  /** A required key has no default; the file must set it. */
  readonly required?: boolean;
  /** The default when the key is absent; absent here means "derived" or "unset". */
  readonly default?: ConfigValue;
  /** How the default is described when it is derived (e.g. "the host name"). */
  readonly derivedDefault?: string;
  /** A value the template shows for a required or unset key. */
  readonly example?: ConfigValue;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** Bounds that exclude the limit itself. */
  readonly above?: number;
  readonly below?: number;
  /** A fixed set of allowed strings. */
  readonly oneOf?: readonly string[];
  /** A pattern a string must match, with what it means. */
  readonly pattern?: { readonly regex: RegExp; readonly meaning: string };
}

/** One `[section]` of the schema. */
export interface SectionSpec {
  readonly doc: string;
  readonly keys: Readonly<Record<string, KeySpec>>;
}

/** S3 storage classes accepted by PutObject and CreateMultipartUpload. */
export const S3_STORAGE_CLASSES = [
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "GLACIER_IR",
  "OUTPOSTS",
  "SNOW",
  "EXPRESS_ONEZONE",
] as const;

/**
 * Default regexes of the Fusion.log parser; see `[monitor]`. No public sample
 * of Fusion.log exists (Fusion is a .NET application), so they accept the
 * usual .NET logging layouts: log4net (`2025-03-01 10:22:33,123 [12] ERROR
 * Akoya... - message`), NLog (`2025-03-01 10:22:33.1234|ERROR|Akoya...|message`)
 * and `DateTime.ToString()` on an en-US PC (`3/1/2025 10:22:33 AM ...`).
 */
export const MONITOR_DEFAULT_PATTERNS = {
  line_start: String
    .raw`^\[?(?:\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{4})[ T]\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?[AP]M)?\]?`,
  error: String.raw`\b(?:ERROR|FATAL)\b`,
  sample: String
    .raw`\b[Ss]ample(?:[ _]?(?:[Nn]ame|[Ii][Dd]))?(?:\s*[:=]\s*"?|\s+")(?<sample>[^"\s,;]+)`,
  cycle: String.raw`\b[Cc]ycle\s*(?:[:=#]|[Nn]o\.?|[Nn]umber)?\s*(?<cycle>\d+)\b`,
} as const;

/** Every section and key of config.toml, in the order the template shows them. */
export const CONFIG_SCHEMA = {
  backup: {
    doc: "Monthly backup of idle studies from the instrument PC.",
    keys: {
      source_root: {
        kind: "path",
        required: true,
        example: "D:/FusionData",
        doc: "where studies land on the Fusion PC",
      },
      idle_days: {
        kind: "integer",
        default: 14,
        min: 0,
        doc: "a study is eligible when its newest modification is at least this many days old",
      },
      instrument: {
        kind: "string",
        derivedDefault: "the host name",
        example: "fusion-01",
        pattern: INSTRUMENT_NAME_PATTERN,
        doc: "names this instrument's folder on the share and in S3; keeps several apart",
      },
    },
  },
  truenas: {
    doc: "The TrueNAS share, as a path the tool can open (drive letter or UNC).",
    keys: {
      root: {
        kind: "path",
        required: true,
        example: "//truenas/fusion-backup",
        doc: "the mounted share; UNC paths work in scheduled tasks where drive letters may not",
      },
      manifest_root: {
        kind: "path",
        derivedDefault: "<root>/_manifest",
        example: "//truenas/fusion-backup/_manifest",
        doc: "where the manifest files (one per instrument and month) live",
      },
      lock_wait_minutes: {
        kind: "number",
        default: 60,
        min: 0,
        doc: "how long backup and cleanup wait for a share lock another running job holds " +
          "before they stop with exit 2",
      },
    },
  },
  s3: {
    doc: "The permanent archive. Credentials come from the AWS SDK chain, never from here.",
    keys: {
      bucket: {
        kind: "string",
        required: true,
        example: "lab-fusion-archive",
        pattern: {
          regex: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
          meaning: "an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'",
        },
        doc: "the bucket",
      },
      prefix: { kind: "string", default: "", doc: 'key prefix inside the bucket, e.g. "fusion"' },
      region: {
        kind: "string",
        derivedDefault: "the AWS SDK's own chain (AWS_REGION, ~/.aws/config)",
        example: "us-west-2",
        doc: "the bucket's region",
      },
      endpoint: {
        kind: "string",
        default: "",
        pattern: {
          regex: /^(?:$|https?:\/\/\S+$)/,
          meaning: "empty, or an http:// or https:// URL",
        },
        doc: "S3-compatible endpoint URL; empty means AWS itself",
      },
      force_path_style: {
        kind: "boolean",
        default: false,
        doc: "path-style URLs (bucket in the path), needed by most S3-compatible stores",
      },
      storage_class: {
        kind: "string",
        default: "STANDARD",
        oneOf: S3_STORAGE_CLASSES,
        doc: "S3 storage class of uploaded objects, e.g. DEEP_ARCHIVE",
      },
      multipart_threshold_mb: {
        kind: "integer",
        default: 64,
        min: 5,
        doc: "files larger than this (MiB) upload in parts",
      },
      part_size_mb: {
        kind: "integer",
        default: 64,
        min: 5,
        max: 5120,
        doc:
          "part size in MiB (S3: 5 MiB to 5 GiB); grown automatically to stay within 10,000 parts",
      },
      concurrency: {
        kind: "integer",
        default: 4,
        min: 1,
        max: 64,
        doc: "parts uploaded, or ranges of a large object downloaded, at the same time",
      },
      connect_timeout_seconds: {
        kind: "integer",
        default: 10,
        min: 1,
        max: 600,
        doc: "a connection to S3 not made within this many seconds is abandoned (and retried)",
      },
      idle_timeout_seconds: {
        kind: "integer",
        default: 15,
        min: 1,
        max: 3600,
        doc: "a request on which S3 sends nothing for this many seconds is abandoned (and retried)",
      },
    },
  },
  cleanup: {
    doc: "Capacity-driven cleanup (`cleanup run`): the share's oldest backups proven complete " +
      "and in S3 are deleted from the share; S3 keeps them.",
    keys: {
      free_threshold_pct: {
        kind: "number",
        default: 20,
        above: 0,
        below: 100,
        doc:
          "evict until at least this percentage of the share is free, as its file system reports",
      },
    },
  },
  monitor: {
    doc: "Tail of the instrument's Fusion.log; error blocks are emailed as fusion_error.",
    keys: {
      log_path: {
        kind: "path",
        default: "C:/ProgramData/Akoya/Fusion/Logs/Fusion.log",
        doc: "the instrument's log file",
      },
      poll_seconds: { kind: "number", default: 2, above: 0, doc: "how often the log is read" },
      sent_keep_days: {
        kind: "integer",
        default: 30,
        min: 1,
        doc: "the same error is not emailed again within this many days",
      },
      rotation_grace_seconds: {
        kind: "number",
        default: 60,
        min: 0,
        doc: "a rotation's gap: the log may be missing this long before a warning (emailed as " +
          "toolkit_error), and a renamed log is read this long at most for lines still written to it",
      },
      line_start: {
        kind: "regex",
        default: MONITOR_DEFAULT_PATTERNS.line_start,
        doc:
          "a line matching this starts a log entry (a timestamp); other lines continue the entry before",
      },
      error: {
        kind: "regex",
        default: MONITOR_DEFAULT_PATTERNS.error,
        doc: "an entry whose first line matches this (the level) is an error block, emailed",
      },
      sample: {
        kind: "regex",
        default: MONITOR_DEFAULT_PATTERNS.sample,
        doc:
          "a line naming the sample being run (named group 'sample', else group 1); a new sample clears the cycle",
      },
      cycle: {
        kind: "regex",
        default: MONITOR_DEFAULT_PATTERNS.cycle,
        doc: "a line naming the cycle being run (named group 'cycle', else group 1)",
      },
    },
  },
  notify: {
    doc: "Email alerts. Recipients live in recipients/<event>.txt, not here.",
    keys: {
      enabled: { kind: "boolean", default: true, doc: "the global switch for all emails" },
      recipients_dir: {
        kind: "path",
        derivedDefault: "the recipients folder beside config.toml",
        example: "C:/fusion-toolkit/recipients",
        doc: "where the per-event recipient lists live",
      },
      toolkit_error_cooldown_seconds: {
        kind: "integer",
        default: 300,
        min: 0,
        doc: "at most one toolkit_error email per distinct message in this many seconds",
      },
      smtp_host: { kind: "string", default: "smtp.gmail.com", doc: "SMTP server" },
      smtp_port: {
        kind: "integer",
        default: 587,
        min: 1,
        max: 65535,
        doc: "587 uses STARTTLS; 465 uses implicit TLS",
      },
      smtp_ca_file: {
        kind: "path",
        derivedDefault: "the system's trusted certificate authorities",
        example: "C:/lab/certs/mail-relay-ca.pem",
        doc:
          "PEM file of the authority that signed the SMTP server's certificate (a private relay)",
      },
      from: {
        kind: "string",
        derivedDefault: "the SMTP user",
        example: "fusion-toolkit@lab.example.org",
        doc: "the From address",
      },
    },
  },
  hooks: {
    doc: "A command (argv list) run before a job; non-zero exit aborts the job with exit 1.",
    keys: {
      backup: {
        kind: "argv",
        default: [],
        example: ["powershell.exe", "-NoProfile", "-File", "C:/path/to/mount-truenas.ps1"],
        doc: "run before `backup run`, e.g. to map the share",
      },
      cleanup: {
        kind: "argv",
        default: [],
        example: ["powershell.exe", "-NoProfile", "-File", "C:/path/to/mount-truenas.ps1"],
        doc: "run before `cleanup run`",
      },
    },
  },
  report: {
    doc: "The monthly report (`report`): S3 storage prices for its cost estimate, in US dollars " +
      "per GB-month (1 GB = 2^30 bytes, as AWS bills). The defaults are AWS's list prices for US " +
      "East (N. Virginia), first 50 TB a month, from https://aws.amazon.com/s3/pricing/ as of " +
      "prices_as_of; set your bucket's region's prices.",
    keys: {
      prices_as_of: {
        kind: "string",
        default: "2026-06",
        doc: "when the prices below were taken; the report prints it beside the estimate",
      },
      price_standard: {
        kind: "number",
        default: 0.023,
        min: 0,
        doc: "STANDARD",
      },
      price_intelligent_tiering: {
        kind: "number",
        default: 0.023,
        min: 0,
        doc: "INTELLIGENT_TIERING, at its frequent-access tier (objects it moves cost less)",
      },
      price_standard_ia: { kind: "number", default: 0.0125, min: 0, doc: "STANDARD_IA" },
      price_onezone_ia: { kind: "number", default: 0.01, min: 0, doc: "ONEZONE_IA" },
      price_glacier_ir: {
        kind: "number",
        default: 0.004,
        min: 0,
        doc: "GLACIER_IR (Glacier Instant Retrieval)",
      },
      price_glacier: {
        kind: "number",
        default: 0.0036,
        min: 0,
        doc: "GLACIER (Glacier Flexible Retrieval); plus 40 KiB per object, as AWS bills",
      },
      price_deep_archive: {
        kind: "number",
        default: 0.00099,
        min: 0,
        doc: "DEEP_ARCHIVE; plus 40 KiB per object, as AWS bills",
      },
    },
  },
} as const satisfies Readonly<Record<string, SectionSpec>>;

/** A section name of the schema. */
export type SectionName = keyof typeof CONFIG_SCHEMA;
