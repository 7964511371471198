/**
 * lib/concurrency: the one pool (forEachLimited, forEachBySize) and the permits ranged downloads
 * share.
 */
import assert from "node:assert/strict";
import {
  forEachBySize,
  forEachLimited,
  Permits,
  SMALL_FILE_BYTES,
} from "../../lib/concurrency/mod.ts";

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

Deno.test("forEachBySize: small items several at once, then large ones alone, each with its place", async () => {
  const items = [
    { name: "big-1", size: SMALL_FILE_BYTES + 1 },
    { name: "a", size: 1 },
    { name: "big-2", size: 2 * SMALL_FILE_BYTES },
    { name: "b", size: SMALL_FILE_BYTES },
    { name: "c", size: 0 },
  ];
  const started: string[] = [];
  let running = 0;
  let mostSmall = 0;
  let mostLarge = 0;
  await forEachBySize(items, 2, async (item, index) => {
    assert.equal(items[index], item);
    started.push(item.name);
    running++;
    if (item.size > SMALL_FILE_BYTES) mostLarge = Math.max(mostLarge, running);
    else mostSmall = Math.max(mostSmall, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
  });
  assert.deepEqual(started, ["a", "b", "c", "big-1", "big-2"]);
  assert.equal(mostSmall, 2);
  assert.equal(mostLarge, 1);
});
