/**
 * The Deno permissions of the product: what `deno task compile` bakes into
 * fusion-toolkit.exe, what a scheduled task started from source passes to
 * `deno run`, and what the end-to-end tests grant `main.ts`. One list, so a
 * permission the program needs but the exe lacks fails CI, not the Fusion PC.
 *
 * It is `--allow-all`, which Deno accepts only alone: Deno 2.9 on Windows lets
 * a program reach a UNC path (`\\truenas\fusion-backup`, the share the docs
 * recommend) only with `--allow-all`, whatever `--allow-read`/`--allow-write`
 * say (denoland/deno#26045; the Windows lane shows it in
 * tests/cli/windows_paths_test.ts). It costs nothing: what the program uses,
 * below, is unscoped anyway, because its targets are only known at run time,
 * from the operator's config.toml.
 *
 * @module
 */

/** Deno permission flags of fusion-toolkit, in the order `deno compile` receives them. */
export const PRODUCT_PERMISSIONS = [
  // read: study folders, the share, config.toml, smtp.env, recipients/, the AWS profile files
  // and Fusion.log.
  // write: copies on the share, manifests, sidecars, logs/, state/, the `install` templates;
  // deleting a source study only after both copies are proven, and a backup from the share only
  // after cleanup's gates prove it complete and in S3.
  // net: S3 (any region or S3-compatible endpoint) and the SMTP server named in config.toml.
  // env: AWS SDK credential chain (AWS_*), FUSION_SMTP_*, HOME/USERPROFILE,
  // USERDOMAIN/USERNAME, SystemRoot.
  // sys: the host name (the default instrument name), statfs for the share's free space, and
  // the OS facts the AWS SDK puts in its user agent.
  // run: the [hooks] commands (any program the operator configures) and schtasks.exe.
  "--allow-all",
] as const;

/**
 * What the program's code needs, scoped by kind: the six permissions the
 * comments above justify. `--allow-all` is a superset granted only for
 * denoland/deno#26045; the end-to-end tests run main.ts with exactly this
 * list, so code that starts needing more (say, `--allow-ffi`) fails CI even
 * though the exe would allow it.
 */
export const REQUIRED_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
] as const;
