/**
 * The committed page (docs/validator/) is exactly what `deno task web` builds
 * from today's sources, so the page runs the CLI's current rules.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildValidator, VALIDATOR_DIR, VALIDATOR_FILES } from "../../scripts/web.ts";
import { withTempDir } from "../_helpers/temp.ts";

const REBUILD = "run `deno task web` (with Deno 2.9.6) and commit docs/validator/";

Deno.test("docs/validator/ is exactly a fresh build of web/ and the rule modules it bundles", async () => {
  await withTempDir(async (dir) => {
    const written = await buildValidator(dir);
    assert.deepEqual(written, VALIDATOR_FILES.map((file) => join(dir, file)));
    const committed: string[] = [];
    for await (const entry of Deno.readDir(VALIDATOR_DIR)) committed.push(entry.name);
    assert.deepEqual(committed.sort(), [...VALIDATOR_FILES].sort(), `stray files: ${REBUILD}`);
    const decoder = new TextDecoder();
    for (const file of VALIDATOR_FILES) {
      const built = decoder.decode(await Deno.readFile(join(dir, file)));
      const onDisk = decoder.decode(await Deno.readFile(join(VALIDATOR_DIR, file)));
      assert.ok(built === onDisk, `docs/validator/${file} differs from a fresh build: ${REBUILD}`);
    }
  });
});

Deno.test("the bundle carries the rule module and needs nothing from outside", async () => {
  const script = await Deno.readTextFile(join(VALIDATOR_DIR, "validator.js"));
  assert.match(script, /\/\/ lib\/standard\/names\.ts\n/);
  assert.doesNotMatch(script, /\bimport\s*[("'{]|\brequire\(|https?:\/\//);
  const html = await Deno.readTextFile(join(VALIDATOR_DIR, "index.html"));
  assert.doesNotMatch(html, /https?:\/\//);
  assert.match(html, /<script src="validator\.js" defer><\/script>/);
});

Deno.test("the data standard and README link the page that exists", async () => {
  const docs = new URL("../../docs/", import.meta.url);
  const standard = await Deno.readTextFile(new URL("data-standard.md", docs));
  const link = /\[web validator\]\(([^)]+)\)/.exec(standard)?.[1];
  assert.equal(link, "validator/index.html");
  await Deno.stat(new URL(link, docs));
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  assert.match(readme, /\]\(docs\/validator\/index\.html\)/);
});
