/** README's Notify section must list exactly the events the code knows. */
import assert from "node:assert/strict";
import { NOTIFY_EVENTS } from "../../lib/notify/mod.ts";

Deno.test("README's events table lists every notify event, and no other", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = /^### notify\n([\s\S]*?)^#{2,3} /m.exec(readme)?.[1];
  assert.ok(section !== undefined, "README has a notify section");
  const table = [...section.matchAll(/^\| `(\w+)` +\|/gm)].map((match) => match[1]);
  assert.deepEqual(table, [...NOTIFY_EVENTS]);
});
