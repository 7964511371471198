/**
 * Bounded retries with exponential backoff and full jitter, for S3 requests
 * that failed in a way worth trying again (5xx, throttling, a dropped
 * connection). The SDK's own retries are off: a request body streamed from a
 * file cannot be replayed, so every attempt here builds its request afresh.
 *
 * @module
 */

/** How often and how patiently a request is tried. */
export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  readonly attempts: number;
  /** Backoff before the second attempt; doubles for each later one. */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff. */
  readonly maxDelayMs: number;
}

/** Five attempts over roughly half a minute at worst. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 15_000 };

/**
 * The pause before attempt `attempt + 1` (attempt counts from 1): a random
 * share of `min(maxDelayMs, baseDelayMs * 2^(attempt-1))` ("full jitter"), so
 * parallel uploads that failed together do not retry in lockstep.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling * random());
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Options of {@link withRetries}. */
export interface RetryOptions {
  /** Decides whether a failure is worth another attempt. */
  readonly isTransient: (error: unknown) => boolean;
  /** Stops waiting and retrying; the signal's reason is thrown. */
  readonly signal?: AbortSignal | undefined;
  /** Told about each failure that will be retried, with the pause before the next attempt. */
  readonly onRetry?: ((error: unknown, attempt: number, delayMs: number) => void) | undefined;
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or `policy.attempts`
 * are used up; the last failure is thrown as is.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attemptNumber = 1;; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (attemptNumber >= policy.attempts || !options.isTransient(error)) throw error;
      const delay = backoffDelay(policy, attemptNumber);
      options.onRetry?.(error, attemptNumber, delay);
      await sleep(delay, options.signal);
    }
  }
}
