/** README's Notify section: exactly the events the code knows, and the grouping window. */
import assert from "node:assert/strict";
import { NOTIFY_EVENTS, TOOLKIT_ERROR_GROUP_MS } from "../../lib/notify/mod.ts";

Deno.test("README's events table lists every notify event, and no other", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = /^### notify\n([\s\S]*?)^#{2,3} /m.exec(readme)?.[1];
  assert.ok(section !== undefined, "README has a notify section");
  const table = [...section.matchAll(/^\| `(\w+)` +\|/gm)].map((match) => match[1]);
  assert.deepEqual(table, [...NOTIFY_EVENTS]);
});

Deno.test("README states the toolkit_error grouping window the notifier uses", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const seconds = /Lines logged within (\d+) seconds of the first one of a group/.exec(readme)?.[1];
  assert.equal(Number(seconds), TOOLKIT_ERROR_GROUP_MS / 1000);
});
