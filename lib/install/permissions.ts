/**
 * The Deno permission flag of the product: what `deno task compile` bakes
 * into fusion-toolkit.exe and what a scheduled task started from source
 * passes to `deno run`.
 *
 * It is `--allow-all`, which Deno accepts only alone: Deno 2.9 on Windows lets
 * a program reach a UNC path (`\\truenas\fusion-backup`, the share the docs
 * recommend) only with `--allow-all`, whatever `--allow-read`/`--allow-write`
 * say (denoland/deno#26045, #24703, #30528; the Windows lane shows it in
 * tests/cli/windows_paths_test.ts). It is not what a command keeps: before a
 * command does any work, the CLI revokes every kind of permission its row of
 * the permission table (lib/permissions/table.ts) does not keep. Revoking
 * leaves the allow-all flag itself in place, which is what Deno's UNC check
 * looks at.
 *
 * @module
 */

/** Deno permission flags of fusion-toolkit, in the order `deno compile` receives them. */
export const PRODUCT_PERMISSIONS = ["--allow-all"] as const;
