/** The usage block appears twice, on the README's front page and in docs/cli.md: the same both times. */
import assert from "node:assert/strict";

function usageBlock(text: string, heading: string): string | undefined {
  return new RegExp(`^## ${heading}\\n\\n\`\`\`\\n([\\s\\S]*?)\`\`\``, "m").exec(text)?.[1];
}

Deno.test("README's CLI at a glance is docs/cli.md's usage block", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const cli = await Deno.readTextFile(new URL("../../docs/cli.md", import.meta.url));
  const front = usageBlock(readme, "The CLI at a glance");
  assert.ok(front !== undefined, "README has the usage block");
  assert.equal(front, usageBlock(cli, "Usage"));
});
