import assert from "node:assert/strict";
import { locateLine } from "../../lib/config/_locate.ts";

const SOURCE = `# comment
top = 1
[backup]
source_root = "x"   # idle_days = 3 in a comment
"quoted-key" = 2

[ s3 ]
bucket = "b"
[[hooks]]
backup = []
notify.enabled = true
`;

Deno.test("locateLine finds sections, bare and quoted keys", () => {
  assert.equal(locateLine(SOURCE, "backup"), 3);
  assert.equal(locateLine(SOURCE, "backup", "source_root"), 4);
  assert.equal(locateLine(SOURCE, "backup", "quoted-key"), 5);
  assert.equal(locateLine(SOURCE, "s3"), 7);
  assert.equal(locateLine(SOURCE, "s3", "bucket"), 8);
  assert.equal(locateLine(SOURCE, "backup", "idle_days"), undefined);
  assert.equal(locateLine(SOURCE, "s3", "source_root"), undefined);
});

Deno.test("locateLine finds dotted keys written at top level", () => {
  assert.equal(locateLine("notify.enabled = true\n[backup]\n", "notify", "enabled"), 1);
  assert.equal(locateLine("notify.enabled = true\n", "notify"), 1);
  assert.equal(locateLine(SOURCE, "top"), 2);
});

Deno.test("locateLine handles CRLF files", () => {
  assert.equal(locateLine("[backup]\r\nidle_days = 3\r\n", "backup", "idle_days"), 2);
});
