/**
 * What each command keeps of Deno's permissions, and why: the one table the
 * CLI narrows the process by (see narrow.ts) and the docs' permission section
 * is checked against. Pure data and lookups.
 *
 * The exe runs with `--allow-all` (lib/install/permissions.ts says why); a
 * command keeps only its row's kinds and the CLI revokes the rest, for good,
 * before the command touches anything (on Windows, only where Deno allows:
 * see narrow.ts). Whole kinds are the unit: Deno cannot take back one host
 * or path of a global grant.
 *
 * Adding a command: add its row here, a command line proving it in
 * tests/permissions/narrow_test.ts, and the row to the docs (docs_test.ts
 * prints it). A command without a row fails when it starts, and in
 * tests/permissions.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";

/** Every kind of Deno permission a process can hold, in the docs' order. */
export const PERMISSION_KINDS = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;

/** One kind of Deno permission, as `Deno.permissions` names it. */
export type PermissionKind = typeof PERMISSION_KINDS[number];

/**
 * The kinds a command may keep. `import` (modules from the network) is
 * never kept: no code of the product uses it.
 */
export type KeptKind = Exclude<PermissionKind, "import">;

/** One command's row: what it keeps, and why. */
export interface PermissionRow {
  /**
   * The command as typed, with the flags that select this row, e.g.
   * `backup run --dry-run`. Only boolean flags select rows.
   */
  readonly command: string;
  /** Each kind kept, with why; every other kind is revoked before the command runs. */
  readonly keeps: { readonly [kind in KeptKind]?: string };
  /**
   * Where the paths the command works on come from, which says when it
   * narrows (on Windows, a command working on a network share cannot: see
   * narrow.ts): `none` and `arguments` (its path arguments) before its
   * action runs; `action` once its action knows them (the config's paths,
   * `install init`'s folder) and before it uses them.
   */
  readonly paths: "none" | "arguments" | "action";
  /**
   * `run` is kept only for this `[hooks]` command: once the config is
   * loaded, `run` is revoked too when the config sets none.
   */
  readonly hook?: keyof Config["hooks"];
  /**
   * Why, on Windows, the command keeps every permission: Deno 2.9 there
   * would break it once any is revoked (see narrow.ts).
   */
  readonly windows?: string;
}

const ON_SHARE = "it works on the TrueNAS share, where Deno 2.9 on Windows stats, lists and " +
  "creates folders only while every permission is held";
const DEEP = `${ON_SHARE}, and opens files in study folders, which Deno 2.9 under Wine cannot ` +
  "do past 260 characters once a permission is revoked";

/** Why a command that walks study folders keeps `ffi`. */
const FOLDER_READER = "listing study folders through the OS's own calls, a batch of entries at a " +
  "time (lib/fs/folder.ts): Deno's reader holds a whole folder's entries at once";

const S3_ENV =
  "the AWS credential chain (the SDK also reads `AWS_*` as it loads), `FUSION_SMTP_*`, " +
  "the home folder";
const JOB_SYS =
  "the host name (instrument, lock owner, emails), OS facts in the AWS SDK's user agent";

/** Every command's row. */
export const COMMAND_PERMISSIONS: readonly PermissionRow[] = [
  {
    command: "validate study",
    paths: "arguments",
    keeps: {
      read: "the study folder (and the working folder, for a relative path)",
      ffi: FOLDER_READER,
    },
  },
  {
    command: "validate root",
    paths: "arguments",
    keeps: { read: "the root folder and its studies", ffi: FOLDER_READER },
  },
  { command: "manifest show", paths: "arguments", keeps: { read: "the manifest file or folder" } },
  {
    command: "backup run",
    paths: "action",
    keeps: {
      read: "the studies, config.toml, smtp.env, recipients, the share, AWS profile files",
      write: "copies, sidecars, manifest and locks on the share, study locks, `logs/`, the job " +
        "history and the share's job log; moving a source aside and deleting it once both " +
        "copies are proven",
      net: "S3 and the SMTP server",
      env: S3_ENV,
      sys: `statfs (the share's free space, checked before copying), ${JOB_SYS}`,
      run: "the `[hooks] backup` command",
      ffi: FOLDER_READER,
    },
    windows: DEEP,
    hook: "backup",
  },
  {
    command: "backup run --dry-run",
    paths: "action",
    keeps: {
      read: "the studies, config.toml, smtp.env, recipients, the share's manifest, locks and " +
        "copy journals",
      write: "its log in `logs/` (nothing else)",
      net: "the SMTP server, for `toolkit_error` emails of warnings (the plan asks S3 nothing)",
      env: "`FUSION_SMTP_*`, the home folder",
      sys: "statfs (the share's free space), the host name (the default instrument, emails)",
      ffi: FOLDER_READER,
    },
    windows: ON_SHARE,
  },
  {
    command: "cleanup run",
    paths: "action",
    keeps: {
      read: "the share, its manifest and ledger, config.toml, smtp.env, recipients, AWS " +
        "profile files",
      write: "deleting proven backups from the share, the cleanup ledger, the share lock, " +
        "`logs/`, the job history and the share's job log",
      net: "S3 (each backup is checked there before its share copy goes) and the SMTP server",
      env: S3_ENV,
      sys: `statfs (the share's free space), ${JOB_SYS}`,
      run: "the `[hooks] cleanup` command",
    },
    windows: DEEP,
    hook: "cleanup",
  },
  {
    command: "cleanup run --dry-run",
    paths: "action",
    keeps: {
      read: "the share, its manifest and ledger, config.toml, smtp.env, recipients, AWS " +
        "profile files",
      write: "its log in `logs/` (nothing else)",
      net: "S3 (the gates' checks) and the SMTP server, for `toolkit_error` emails",
      env: S3_ENV,
      sys: `statfs (the share's free space), ${JOB_SYS}`,
    },
    windows: ON_SHARE,
  },
  {
    command: "status",
    paths: "action",
    keeps: {
      read: "config.toml, the studies (which are due), the manifest, the job history, the " +
        "monitor's state, study locks, AWS profile files",
      net: "S3 (the bucket's versioning state)",
      env: "the AWS credential chain (the SDK also reads `AWS_*` as it loads), the home folder " +
        "(the default config path)",
      sys: "statfs (the share's free space), the host name (the default instrument), OS facts " +
        "in the AWS SDK's user agent",
      ffi: "listing the studies due, through the OS's own calls (lib/fs/folder.ts)",
    },
    windows: ON_SHARE,
  },
  {
    command: "restore",
    paths: "action",
    keeps: {
      read: "config.toml, smtp.env, the manifest, the share's copy, AWS profile files",
      write: "the restored study under `--to`, `logs/`, the job history and the share's job log",
      net: "S3 and the SMTP server",
      env: S3_ENV,
      sys: JOB_SYS,
    },
    windows: DEEP,
  },
  {
    command: "audit",
    paths: "action",
    keeps: {
      read: "the share's copies and sidecars, the manifest, config.toml, smtp.env, AWS profile " +
        "files",
      write: "`logs/`, the job history and the share's job log",
      net: "S3 (`--s3`) and the SMTP server (`backup_failure`)",
      env: S3_ENV,
      sys: JOB_SYS,
    },
    windows: DEEP,
  },
  {
    command: "notify list-subscribers",
    paths: "action",
    keeps: {
      read: "config.toml, `recipients/`",
      env: "the home folder (the default config path)",
      sys: "the host name (the default instrument)",
    },
  },
  {
    command: "notify test",
    paths: "action",
    keeps: {
      read: "config.toml, smtp.env, `recipients/`, the SMTP CA file",
      write: "its log in `logs/`",
      net: "the SMTP server",
      env: "`FUSION_SMTP_*`, the home folder",
      sys: "the host name (the default instrument, the email's subject)",
    },
  },
  {
    command: "notify test --dry-run",
    paths: "action",
    keeps: {
      read: "config.toml, smtp.env, `recipients/`",
      env: "`FUSION_SMTP_*`, the home folder",
      sys: "the host name (the default instrument, the email's subject)",
    },
  },
  {
    command: "monitor tail",
    paths: "action",
    keeps: {
      read: "Fusion.log, config.toml, smtp.env, `recipients/`, the monitor's state",
      write: "the monitor's state, `logs/`, the job history, its signs of life in the share's " +
        "job log",
      net: "the SMTP server (`fusion_error`, `monitor_crash`, `toolkit_error`)",
      env: "`FUSION_SMTP_*`, the home folder",
      sys: "the host name (the default instrument, emails)",
    },
    windows: "it writes its signs of life to the share's job log, where Deno 2.9 on Windows " +
      "stats and creates folders only while every permission is held",
  },
  {
    command: "report",
    paths: "action",
    keeps: {
      read: "the share's manifest, cleanup ledger and job log, config.toml, smtp.env, " +
        "recipients, AWS profile files (`--s3`)",
      write: "the page of `--html`, the month's claim and its line in the share's job log, " +
        "`logs/`, the job history",
      net: "S3 (`--s3`: one listing) and the SMTP server (`--send`, `toolkit_error`)",
      env: S3_ENV,
      sys: `statfs (the share's free space), ${JOB_SYS}`,
    },
    windows: ON_SHARE,
  },
  {
    command: "install init",
    paths: "action",
    keeps: {
      read: "the files already in the config folder",
      write: "config.toml, smtp.env, `recipients/*.txt` and `.bak` copies",
      env: "the home folder (`USERPROFILE`, `HOME`)",
    },
  },
  {
    command: "install tasks",
    paths: "action",
    keeps: {
      read: "config.toml (checked before anything is registered), this program's path",
      write: "the task definitions in `tasks/` beside config.toml",
      env: "`USERDOMAIN`, `USERNAME`, `SystemRoot` (where schtasks.exe is), the home folder",
      sys: "the host name (the default instrument)",
      run: "schtasks.exe",
    },
  },
  {
    command: "install tasks --dry-run",
    paths: "action",
    keeps: {
      read: "config.toml, this program's path",
      env: "`USERDOMAIN`, `USERNAME`, `SystemRoot`, the home folder",
      sys: "the host name (the default instrument)",
    },
  },
  {
    command: "install tasks --uninstall",
    paths: "none",
    keeps: { env: "`SystemRoot` (where schtasks.exe is)", run: "schtasks.exe" },
  },
  {
    command: "install tasks --uninstall --dry-run",
    paths: "none",
    keeps: { env: "`SystemRoot` (the schtasks.exe path it prints)" },
  },
];

/**
 * When commander answers by itself (`--help`, `--version`, a usage error),
 * no command runs: it only prints, and keeps nothing.
 */
export const PRINT_ONLY: PermissionRow = { command: "--help, --version", paths: "none", keeps: {} };

/** The command words of a row (`backup run`), without its flags. */
export function commandPath(row: PermissionRow): string {
  return row.command.split(" ").filter((word) => !word.startsWith("--")).join(" ");
}

/** The flags that select a row (`["--dry-run"]`). */
export function rowFlags(row: PermissionRow): string[] {
  return row.command.split(" ").filter((word) => word.startsWith("--"));
}

/** The flags that select among the rows of `path`: every flag any of its rows names. */
export function selectingFlags(path: string): string[] {
  const flags = COMMAND_PERMISSIONS.filter((row) => commandPath(row) === path).flatMap(rowFlags);
  return [...new Set(flags)];
}

/**
 * The row of the command `path` (`backup run`), given which flags are set.
 *
 * @throws {Error} when the table has no row for it: a command added without
 * one, which must fail loudly rather than run with everything.
 */
export function rowFor(path: string, isSet: (flag: string) => boolean): PermissionRow {
  const on = selectingFlags(path).filter(isSet).sort();
  const row = COMMAND_PERMISSIONS.find((candidate) =>
    commandPath(candidate) === path && rowFlags(candidate).sort().join(" ") === on.join(" ")
  );
  if (row === undefined) {
    const typed = [path, ...on].join(" ");
    throw new Error(
      `no permission row for \`${typed}\` in lib/permissions/table.ts: add one (a bug: report it)`,
    );
  }
  return row;
}

/**
 * The kinds `row` keeps. With the config's `hooks` (once it is loaded), a
 * row whose `run` is only for a hook loses `run` when that hook is not set.
 */
export function keptKinds(row: PermissionRow, hooks?: Config["hooks"]): Set<KeptKind> {
  const kept = new Set(Object.keys(row.keeps) as KeptKind[]);
  if (row.hook !== undefined && hooks !== undefined && hooks[row.hook].length === 0) {
    kept.delete("run");
  }
  return kept;
}
