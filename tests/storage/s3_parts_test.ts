import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { choosePartSize, compositeSha256, MAX_PARTS, planParts } from "../../lib/storage/s3.ts";
import { OperationFailedError } from "../../lib/errors.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

Deno.test("choosePartSize keeps the configured size within S3's 5 MiB to 5 GiB", () => {
  assert.equal(choosePartSize(100 * MiB, 64 * MiB), 64 * MiB);
  assert.equal(choosePartSize(100 * MiB, 1 * MiB), 5 * MiB);
  assert.equal(choosePartSize(100 * GiB, 6 * GiB), 5 * GiB);
});

Deno.test("choosePartSize grows parts in whole MiB so a 2 TB file fits in 10,000 parts", () => {
  const twoTB = 2e12;
  const size = choosePartSize(twoTB, 64 * MiB);
  assert.equal(size % MiB, 0);
  assert.ok(Math.ceil(twoTB / size) <= MAX_PARTS);
  assert.ok(Math.ceil(twoTB / (size - MiB)) > MAX_PARTS, "no bigger than needed");
  // Exactly 10,000 parts of the configured size need no growth; one byte more does.
  assert.equal(choosePartSize(MAX_PARTS * 64 * MiB, 64 * MiB), 64 * MiB);
  assert.equal(choosePartSize(MAX_PARTS * 64 * MiB + 1, 64 * MiB), 65 * MiB);
  // S3's largest object (5 TiB) still fits.
  const fiveTiB = 5 * 1024 * GiB;
  assert.ok(Math.ceil(fiveTiB / choosePartSize(fiveTiB, 5 * MiB)) <= MAX_PARTS);
});

Deno.test("choosePartSize refuses a file over S3's 5 TiB object limit", () => {
  assert.throws(
    () => choosePartSize(5 * 1024 * GiB + 1, 64 * MiB),
    (error) =>
      error instanceof OperationFailedError && /exceeds S3's largest object/.test(error.message),
  );
});

Deno.test("planParts cuts a file into consecutive parts, the last one shorter", () => {
  const parts = planParts(23 * MiB + 5, 5 * MiB);
  assert.equal(parts.length, 5);
  assert.deepEqual(parts.map((part) => part.partNumber), [1, 2, 3, 4, 5]);
  assert.deepEqual(parts.at(-1), { partNumber: 5, start: 20 * MiB, size: 3 * MiB + 5 });
  let next = 0;
  for (const part of parts) {
    assert.equal(part.start, next);
    next += part.size;
  }
  assert.equal(next, 23 * MiB + 5);
  assert.deepEqual(planParts(10 * MiB, 5 * MiB).map((part) => part.size), [5 * MiB, 5 * MiB]);
});

Deno.test("compositeSha256 is base64(SHA-256 of the concatenated raw digests) and -N", async () => {
  const digest = async (text: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const parts = [await digest("part one"), await digest("part two"), await digest("3")];
  // Checked with WebCrypto, an implementation independent of node:crypto.
  const joined = new Uint8Array(96);
  parts.forEach((part, index) => joined.set(part, index * 32));
  const expected = Buffer.from(await crypto.subtle.digest("SHA-256", joined)).toString("base64");
  assert.equal(compositeSha256(parts), `${expected}-3`);
  assert.notEqual(compositeSha256([parts[1]!, parts[0]!, parts[2]!]), compositeSha256(parts));
});
