/** The notify section of docs/cli.md must list exactly the events the code knows. */
import assert from "node:assert/strict";
import { NOTIFY_EVENTS } from "../../lib/notify/mod.ts";

Deno.test("docs/cli.md's events table lists every notify event, and no other", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/cli.md", import.meta.url));
  const section = /^## notify\n([\s\S]*?)^## /m.exec(doc)?.[1];
  assert.ok(section !== undefined, "docs/cli.md has a notify section");
  const table = [...section.matchAll(/^\| `(\w+)` +\|/gm)].map((match) => match[1]);
  assert.deepEqual(table, [...NOTIFY_EVENTS]);
});
