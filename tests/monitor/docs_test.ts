/** The config reference in docs/configuration.md shows the monitor's real defaults, patterns included. */
import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { CONFIG_SCHEMA } from "../../lib/config/mod.ts";

Deno.test("docs/configuration.md's [monitor] block has exactly the schema's default values", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));
  const block = /Every key, with its default:\n\n```toml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block !== undefined, "docs/configuration.md has the config reference block");
  const documented = parse(block).monitor;
  const defaults = Object.fromEntries(
    Object.entries(CONFIG_SCHEMA.monitor.keys).map(([key, spec]) => [key, spec.default]),
  );
  assert.deepEqual({ ...documented as object }, defaults);
});
