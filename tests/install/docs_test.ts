/** The Fusion-host setup guide, in English and Chinese, must agree with each other and the code. */
import assert from "node:assert/strict";
import { SCHEDULED_TASKS } from "../../lib/install/tasks.ts";

const english = await Deno.readTextFile(
  new URL("../../docs/setup-fusion-host.md", import.meta.url),
);
const chinese = await Deno.readTextFile(
  new URL("../../docs/setup-fusion-host.zh.md", import.meta.url),
);

/** Every command a reader is told to type: code lines and inline code starting with a program. */
function commands(markdown: string): string[] {
  const found = new Set<string>();
  const pattern = /(?:^\s*|`)((?:fusion-toolkit|schtasks|cmdkey|setx|aws) [^`\n#]*?)\s*(?:`|#|$)/gm;
  for (const match of markdown.matchAll(pattern)) found.add(match[1] ?? "");
  return [...found].sort();
}

function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((
    match,
  ) => match[1] ?? "");
}

Deno.test("both guides tell the reader to type the same commands", () => {
  assert.ok(commands(english).length > 20);
  assert.deepEqual(commands(chinese), commands(english));
});

Deno.test("both guides give the same IAM policy, with no delete permission", () => {
  const [policy] = codeBlocks(english, "json");
  assert.ok(policy !== undefined);
  assert.deepEqual(codeBlocks(chinese, "json"), [policy]);
  const actions = JSON.parse(policy).Statement.flatMap((statement: { Action: string | string[] }) =>
    statement.Action
  );
  assert.deepEqual(actions.sort(), [
    "s3:AbortMultipartUpload",
    "s3:GetBucketVersioning",
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:RestoreObject",
  ]);
});

Deno.test("the guides name every scheduled task with its command; the hooks are the same", () => {
  for (const task of SCHEDULED_TASKS) {
    const row = `| \`${task.name}\``;
    assert.ok(english.includes(row) && chinese.includes(row), task.name);
    assert.ok(english.includes(`\`${task.command.join(" ")} --config <path>\``), task.name);
  }
  assert.deepEqual(codeBlocks(chinese, "toml").slice(1), codeBlocks(english, "toml").slice(1));
});
