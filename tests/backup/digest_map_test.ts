import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DigestMap, digestOf } from "../../lib/backup/context.ts";

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

Deno.test("DigestMap keeps each digest, state and parts by stored path, past its expected size", () => {
  const digests = new DigestMap(2);
  const parts = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
  for (let index = 0; index < 5; index++) {
    digests.set(`f${index}`, {
      sha256Hex: hex(`f${index}`),
      partDigests: index === 3 ? parts : undefined,
      verified: index % 2 === 0,
    });
  }
  assert.equal(digests.size, 5);
  for (let index = 0; index < 5; index++) {
    assert.deepEqual(digestOf(digests, `f${index}`), {
      sha256Hex: hex(`f${index}`),
      partDigests: index === 3 ? parts : undefined,
      verified: index % 2 === 0,
    });
  }
  // Setting a path again replaces what it held.
  digests.set("f3", { sha256Hex: hex("other"), partDigests: undefined, verified: true });
  assert.deepEqual(digests.get("f3"), {
    sha256Hex: hex("other"),
    partDigests: undefined,
    verified: true,
  });
  assert.equal(digests.size, 5);
  assert.equal(digests.verified("f1"), false);
  digests.markVerified("f1", parts);
  assert.deepEqual(digests.get("f1"), { sha256Hex: hex("f1"), partDigests: parts, verified: true });
  assert.equal(digests.verified("f1"), true);
  assert.equal(digests.verified("nowhere"), undefined);
  assert.throws(() => digests.markVerified("nowhere", undefined), /no digest for nowhere/);
  assert.equal(digests.get("nowhere"), undefined);
  assert.throws(() => digestOf(digests, "nowhere"), /no digest for nowhere/);
  for (const bad of ["abc", hex("x").toUpperCase(), `${hex("x").slice(0, 63)}g`]) {
    assert.throws(
      () => digests.set("bad", { sha256Hex: bad, partDigests: undefined, verified: false }),
      /not a SHA-256/,
    );
  }
  assert.equal(digests.get("bad"), undefined);
});
