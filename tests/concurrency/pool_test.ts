/**
 * lib/concurrency: the one pool (forEachLimited) and the permits ranged downloads share.
 */
import assert from "node:assert/strict";
import { forEachLimited, Permits } from "../../lib/concurrency/mod.ts";

Deno.test("Permits: at most `limit` out; a release hands the permit to the first waiter", async () => {
  const permits = new Permits(2);
  const first = permits.tryAcquire();
  const second = await permits.acquire();
  assert.ok(first !== undefined);
  assert.equal(permits.tryAcquire(), undefined);
  const order: string[] = [];
  const third = permits.acquire().then((release) => {
    order.push("third");
    return release;
  });
  const fourth = permits.acquire().then((release) => {
    order.push("fourth");
    return release;
  });
  first();
  first(); // a second call gives nothing back
  const thirdRelease = await third;
  assert.deepEqual(order, ["third"]);
  assert.equal(permits.tryAcquire(), undefined, "a waiter goes first");
  second();
  (await fourth)();
  thirdRelease();
  assert.deepEqual(order, ["third", "fourth"]);
  const again = [permits.tryAcquire(), permits.tryAcquire(), permits.tryAcquire()];
  assert.deepEqual(again.map((release) => release !== undefined), [true, true, false]);
});

Deno.test("Permits: an aborted wait rejects with the reason and gives up its place", async () => {
  const permits = new Permits(1);
  const held = permits.tryAcquire();
  const controller = new AbortController();
  const waiting = permits.acquire(controller.signal);
  const reason = new Error("stopped");
  controller.abort(reason);
  await assert.rejects(waiting, (error: unknown) => error === reason);
  await assert.rejects(permits.acquire(controller.signal), (error: unknown) => error === reason);
  held?.();
  assert.ok(permits.tryAcquire() !== undefined, "the aborted waiter did not take the permit");
});

Deno.test("forEachLimited bounds concurrency and rethrows the first failure", async () => {
  let running = 0;
  let peak = 0;
  const seen: number[] = [];
  await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    seen.push(item);
    running--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
  const started: number[] = [];
  await assert.rejects(
    forEachLimited([1, 2, 3, 4], 1, (item) => {
      started.push(item);
      return item === 2 ? Promise.reject(new Error("two")) : Promise.resolve();
    }),
    /two/,
  );
  assert.deepEqual(started, [1, 2]);
});
