/**
 * Waiting for a moment in another process's work: a file growing, a line in
 * the manifest. Polls every 5 ms, for up to 30 s.
 *
 * @module
 */

/** Resolves once `condition` holds; throws naming `what` after 30 s. */
export async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 6000; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The size of the file at `path`, or -1 when there is none. */
export async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return -1;
  }
}
