/** README's config reference shows the monitor's real defaults, patterns included. */
import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { CONFIG_SCHEMA } from "../../lib/config/mod.ts";

Deno.test("README's [monitor] block has exactly the schema's default values", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const block = /Every key, with its default:\n\n```toml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, "README has the config reference block");
  const documented = parse(block).monitor;
  const defaults = Object.fromEntries(
    Object.entries(CONFIG_SCHEMA.monitor.keys).map(([key, spec]) => [key, spec.default]),
  );
  assert.deepEqual({ ...documented as object }, defaults);
});
