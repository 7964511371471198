/** The notify section of docs/cli.md: exactly the events the code knows, and the grouping window. */
import assert from "node:assert/strict";
import { NOTIFY_EVENTS, TOOLKIT_ERROR_GROUP_MS } from "../../lib/notify/mod.ts";

Deno.test("docs/cli.md's events table lists every notify event, and no other", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/cli.md", import.meta.url));
  const section = /^## notify\n([\s\S]*?)^## /m.exec(doc)?.[1];
  assert.ok(section !== undefined, "docs/cli.md has a notify section");
  const table = [...section.matchAll(/^\| `(\w+)` +\|/gm)].map((match) => match[1]);
  assert.deepEqual(table, [...NOTIFY_EVENTS]);
});

Deno.test("docs/cli.md states the toolkit_error grouping window the notifier uses", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/cli.md", import.meta.url));
  const seconds = /Lines logged within (\d+) seconds of the first one of a group/.exec(doc)?.[1];
  assert.equal(Number(seconds), TOOLKIT_ERROR_GROUP_MS / 1000);
});
