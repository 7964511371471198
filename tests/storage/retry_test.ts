import assert from "node:assert/strict";
import { backoffDelay, type RetryPolicy, withRetries } from "../../lib/storage/_retry.ts";

const FAST: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

Deno.test("backoffDelay doubles its ceiling per attempt, capped, with full jitter", () => {
  const policy: RetryPolicy = { attempts: 9, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((attempt) => backoffDelay(policy, attempt, () => 1)), [
    100,
    200,
    400,
    800,
    1000,
  ]);
  assert.equal(backoffDelay(policy, 3, () => 0), 0);
  assert.equal(backoffDelay(policy, 3, () => 0.5), 200);
});

Deno.test("withRetries tries a transient failure again until it succeeds", async () => {
  const seen: number[] = [];
  const result = await withRetries(FAST, (attempt) => {
    seen.push(attempt);
    if (attempt < 3) return Promise.reject(new Error("busy"));
    return Promise.resolve("done");
  }, { isTransient: () => true, onRetry: () => {} });
  assert.equal(result, "done");
  assert.deepEqual(seen, [1, 2, 3]);
});

Deno.test("withRetries gives up after the policy's attempts and throws the last failure", async () => {
  let attempts = 0;
  const retried: number[] = [];
  await assert.rejects(
    withRetries(FAST, (attempt) => {
      attempts++;
      return Promise.reject(new Error(`failure ${attempt}`));
    }, { isTransient: () => true, onRetry: (_error, attempt) => retried.push(attempt) }),
    /failure 4/,
  );
  assert.equal(attempts, 4);
  assert.deepEqual(retried, [1, 2, 3]);
});

Deno.test("withRetries does not retry a permanent failure", async () => {
  let attempts = 0;
  await assert.rejects(
    withRetries(FAST, () => {
      attempts++;
      return Promise.reject(new Error("denied"));
    }, { isTransient: () => false }),
    /denied/,
  );
  assert.equal(attempts, 1);
});

Deno.test("withRetries stops waiting when its signal aborts and throws the reason", async () => {
  const controller = new AbortController();
  const slow: RetryPolicy = { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
  let attempts = 0;
  const running = withRetries(slow, () => {
    attempts++;
    return Promise.reject(new Error("busy"));
  }, {
    isTransient: () => true,
    signal: controller.signal,
    onRetry: () => queueMicrotask(() => controller.abort(new Error("stopped by the user"))),
  });
  await assert.rejects(running, /stopped by the user/);
  assert.equal(attempts, 1);
});
