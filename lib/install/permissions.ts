/**
 * The Deno permissions of the product: what `deno task compile` bakes into
 * fusion-toolkit.exe, what a scheduled task started from source passes to
 * `deno run`, and what the end-to-end tests grant `main.ts`. One list, so a
 * permission the program needs but the exe lacks fails CI, not the Fusion PC.
 *
 * Each is unscoped because its targets are only known at run time, from the
 * operator's config.toml.
 *
 * @module
 */

/** Deno permission flags of fusion-toolkit, in the order `deno compile` receives them. */
export const PRODUCT_PERMISSIONS = [
  // Study folders, the share, config.toml, smtp.env, recipients/, the AWS profile files and
  // Fusion.log.
  "--allow-read",
  // Copies on the share, manifests, sidecars, logs/, state/, the `install` templates; deleting
  // a source study only after both copies are proven.
  "--allow-write",
  // S3 (any region or S3-compatible endpoint) and the SMTP server named in config.toml.
  "--allow-net",
  // AWS SDK credential chain (AWS_*), FUSION_SMTP_*, HOME/USERPROFILE, USERDOMAIN/USERNAME,
  // SystemRoot.
  "--allow-env",
  // The host name (the default instrument name), statfs for the share's free space, and the
  // OS facts the AWS SDK puts in its user agent.
  "--allow-sys",
  // The [hooks] commands (any program the operator configures) and schtasks.exe.
  "--allow-run",
] as const;
