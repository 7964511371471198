/**
 * Bounded concurrency: at most `limit` tasks at once.
 *
 * @module
 */

/**
 * Runs `work` on every item with at most `limit` running at once. After the
 * first failure no new item starts; the running ones finish (so nothing is
 * left dangling), then the first failure is thrown. An aborted `signal` also
 * stops new items from starting and throws its reason.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      if (signal?.aborted) {
        failure ??= { error: signal.reason };
        return;
      }
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
}
