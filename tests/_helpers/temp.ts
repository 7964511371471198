/**
 * Temp-dir helpers for tests: every test makes its own folder and removes it.
 *
 * @module
 */

/** Runs `body` with a fresh temp folder, removed afterwards whatever happens. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "fusion-toolkit-test-" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
