/**
 * Bounded concurrency, the one pool every subsystem uses: at most `limit`
 * tasks at once, and permits shared by several tasks that each hold memory
 * while they wait for their turn.
 *
 * @module
 */

/**
 * Runs `work` on every item with at most `limit` running at once, in order of
 * start. After the first failure no new item starts; the running ones finish
 * (so nothing is left dangling), then the first failure is thrown. An aborted
 * `signal` also stops new items from starting and throws its reason.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
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
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
}

/** Files up to this size are worked on several at a time; larger ones alone, one after another. */
export const SMALL_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Runs `work` on the small items (up to {@linkcode SMALL_FILE_BYTES}) at most
 * `smallConcurrency` at a time, then on the large ones one by one: many small
 * files keep the disk and the network busy, while a large file alone already
 * does, and several at once would only split the bandwidth and the memory.
 * `work` is also given the item's place in `items`.
 */
export async function forEachBySize<T extends { readonly size: number }>(
  items: readonly T[],
  smallConcurrency: number,
  work: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const small: number[] = [];
  const large: number[] = [];
  items.forEach((item, index) => (item.size <= SMALL_FILE_BYTES ? small : large).push(index));
  const workAt = (index: number) => work(items[index] as T, index);
  await forEachLimited(small, smallConcurrency, workAt, signal);
  await forEachLimited(large, 1, workAt, signal);
}

/** Gives a permit back; calling it again does nothing. */
export type Release = () => void;

/**
 * A counting semaphore: at most `limit` permits are out at once, and waiters
 * get them first come, first served.
 */
export class Permits {
  #free: number;
  readonly #waiting: Array<(release: Release) => void> = [];

  /** `limit` is at least 1. */
  constructor(limit: number) {
    this.#free = Math.max(1, Math.floor(limit));
  }

  /** A permit if one is free and nobody waits for one, else undefined. */
  tryAcquire(): Release | undefined {
    if (this.#free === 0 || this.#waiting.length > 0) return undefined;
    this.#free--;
    return this.#release();
  }

  /**
   * A permit, once one is free.
   *
   * @throws the reason of `signal` when it aborts first.
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const grant = (release: Release) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(release);
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(signal?.reason);
      };
      this.#waiting.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #release(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#free++;
      else next(this.#release());
    };
  }
}
