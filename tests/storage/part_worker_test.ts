import assert from "node:assert/strict";
import { BufferPool } from "../../lib/storage/_buffer_pool.ts";
import { PartDigests } from "../../lib/storage/_digest.ts";
import { PartWorker } from "../../lib/storage/_part_worker.ts";

Deno.test("the part worker hashes handed-over buffers as PartDigests does on this thread", async () => {
  const pool = new BufferPool(1000, 4);
  const worker = new PartWorker(pool);
  try {
    const expected = new PartDigests(700);
    const job = worker.start(700);
    for (let index = 0; index < 5; index++) {
      const chunk = pool.take().subarray(0, 1000 - index);
      chunk.fill(index + 1);
      expected.update(chunk);
      await job.push(chunk);
      // Handed over: transferred to the worker, so this thread cannot touch it any more.
      assert.equal(chunk.buffer.byteLength, 0);
    }
    assert.deepEqual(await job.finish(), expected.finish());
  } finally {
    worker.terminate();
  }
});

Deno.test("stopping the part worker fails a job under way instead of leaving it waiting", async () => {
  const pool = new BufferPool(1000, 4);
  const worker = new PartWorker(pool);
  const job = worker.start(100);
  await job.push(pool.take());
  worker.terminate();
  await assert.rejects(job.finish(), /stopped/);
  assert.throws(() => worker.start(100), /stopped/);
});
