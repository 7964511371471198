import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DigestTable } from "../../lib/backup/digest_table.ts";

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

Deno.test("DigestTable holds each digest at its place, past the number it was made for", () => {
  const table = new DigestTable(2);
  for (let index = 0; index < 5; index++) table.set(index, hex(`f${index}`));
  table.set(9, hex("far"));
  for (let index = 0; index < 5; index++) {
    assert.equal(table.hex(index), hex(`f${index}`));
    assert.equal(table.matches(index, hex(`f${index}`)), true);
    assert.equal(table.matches(index, hex(`f${index + 1}`)), false);
  }
  assert.equal(table.hex(9), hex("far"));
  // A place never set holds zeros, which no real digest matches by chance here.
  assert.equal(table.hex(7), "0".repeat(64));
  table.set(3, hex("again"));
  assert.equal(table.hex(3), hex("again"));
  assert.equal(table.matches(100, hex("f0")), false, "a place past its end matches nothing");
  for (const bad of ["abc", hex("x").toUpperCase(), `${hex("x").slice(0, 63)}g`]) {
    assert.throws(() => table.set(0, bad), /not a SHA-256/);
    assert.equal(table.matches(0, bad), false);
  }
  assert.equal(table.hex(0), hex("f0"), "a refused digest changes nothing");
});
