/** The config reference in docs/configuration.md must list exactly the keys the loader knows. */
import assert from "node:assert/strict";
import { CONFIG_SCHEMA } from "../../lib/config/mod.ts";

Deno.test("docs/configuration.md lists every key of the schema, and no other", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));
  const block = /Every key, with its default:\n\n```toml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block !== undefined, "docs/configuration.md has the config reference block");
  const documented: string[] = [];
  let section = "";
  for (const line of block.split("\n")) {
    const header = /^\[(\w+)\]/.exec(line);
    if (header !== null) section = header[1] ?? "";
    const key = /^#?\s*(\w+)\s*=/.exec(line);
    if (key !== null) documented.push(`${section}.${key[1]}`);
  }
  const known = Object.entries(CONFIG_SCHEMA).flatMap(([name, spec]) =>
    Object.keys(spec.keys).map((key) => `${name}.${key}`)
  );
  assert.deepEqual(documented.sort(), known.sort());
});
