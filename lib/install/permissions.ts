/**
 * The Deno runtime flags of the product: what `deno task compile` bakes
 * into fusion-toolkit.exe and what a scheduled task started from source
 * passes to `deno run`.
 *
 * The permission flag is `--allow-all`, which Deno accepts only alone: Deno 2.9 on Windows lets
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

/**
 * V8's heap settings. A backup of tens of thousands of small files makes
 * garbage quickly (file stats, S3 requests); with V8's defaults the heap
 * grows to several times what is alive before a full collection runs, so
 * peak memory grew with the number of files. Growing the heap by 20 % over
 * what the last full collection kept, with a 4 MiB young generation, keeps
 * it near what is alive. V8 optimizing hot code on a background thread
 * left some 14 MiB more resident, outside its heap, as the S3 client
 * warmed up, so it optimizes on the main thread. None of these costs
 * measurable speed (the figures are in docs/development.md, "V8's heap
 * settings").
 */
export const PRODUCT_V8_FLAGS = [
  "--v8-flags=--heap-growing-percent=20,--max-semi-space-size=4,--no-concurrent-recompilation",
] as const;

/** Every Deno runtime flag of fusion-toolkit, in the order `deno compile` receives them. */
export const PRODUCT_FLAGS = [...PRODUCT_PERMISSIONS, ...PRODUCT_V8_FLAGS] as const;
