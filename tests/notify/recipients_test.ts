import assert from "node:assert/strict";
import { join } from "node:path";
import {
  describeRecipientProblems,
  isEmailAddress,
  parseRecipientFile,
  resolveRecipients,
} from "../../lib/notify/mod.ts";
import { writeRecipients } from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";

Deno.test("addresses: plain addresses pass; names, spaces and missing domains do not", () => {
  for (const good of ["ops@lab.example.org", "first.last+fusion@sub.lab-1.edu", "A_B@x.io"]) {
    assert.ok(isEmailAddress(good), good);
  }
  for (
    const bad of [
      "ops@lab",
      "ops lab@x.org",
      "Ops <ops@x.org>",
      "@x.org",
      "ops@",
      "ops@-x.org",
      "a@b@c.org",
      "ops@x..org",
    ]
  ) {
    assert.ok(!isEmailAddress(bad), bad);
  }
});

Deno.test("a recipients file: comments, blanks, trailing comments, duplicates, invalid lines", () => {
  const text =
    "\uFEFF# backup failures\r\nops@lab.example.org\r\n\r\n  pi@lab.example.org   # the PI\r\n" +
    "OPS@lab.example.org\r\nnot-an-address\r\n#disabled@lab.example.org\r\n";
  assert.deepEqual(parseRecipientFile(text, "/r/backup_failure.txt"), {
    file: "/r/backup_failure.txt",
    addresses: ["ops@lab.example.org", "pi@lab.example.org"],
    invalid: [{ file: "/r/backup_failure.txt", line: 6, text: "not-an-address" }],
  });
});

Deno.test("resolution: the event's file, else default.txt, else nobody", async () => {
  await withTempDir(async (dir) => {
    const recipients = join(dir, "recipients");
    await writeRecipients(dir, {
      backup_failure: "ops@lab.example.org\n",
      fusion_error: "# nobody yet\n\n",
      monitor_crash: "typo-at-lab.example.org\n",
      default: "manager@lab.example.org\n",
    });
    const own = await resolveRecipients(recipients, "backup_failure");
    assert.deepEqual([own.addresses, own.source], [
      ["ops@lab.example.org"],
      join(recipients, "backup_failure.txt"),
    ]);
    assert.equal(
      own.files.length,
      1,
      "default.txt is not read when the event's file names someone",
    );
    const fallback = await resolveRecipients(recipients, "fusion_error");
    assert.deepEqual([fallback.addresses, fallback.source], [
      ["manager@lab.example.org"],
      join(recipients, "default.txt"),
    ]);
    const missingFile = await resolveRecipients(recipients, "cleanup_failure");
    assert.equal(missingFile.source, join(recipients, "default.txt"));
    const invalidOnly = await resolveRecipients(recipients, "monitor_crash");
    assert.equal(
      invalidOnly.source,
      join(recipients, "default.txt"),
      "an invalid-only list falls back",
    );
    assert.deepEqual(describeRecipientProblems(invalidOnly), [
      `${
        join(recipients, "monitor_crash.txt")
      }:1: "typo-at-lab.example.org" is not an email address; it is not sent to`,
    ]);
    await Deno.remove(join(recipients, "default.txt"));
    const nobody = await resolveRecipients(recipients, "fusion_error");
    assert.deepEqual([nobody.addresses, nobody.source], [[], undefined]);
    assert.deepEqual(nobody.files.map((file) => file.file), [
      join(recipients, "fusion_error.txt"),
      join(recipients, "default.txt"),
    ]);
  });
});

Deno.test("resolution: a missing folder is nobody; an unreadable list is a problem, not a throw", async () => {
  await withTempDir(async (dir) => {
    const none = await resolveRecipients(join(dir, "absent"), "toolkit_error");
    assert.equal(none.source, undefined);
    assert.deepEqual(describeRecipientProblems(none), []);
    await Deno.mkdir(join(dir, "recipients", "toolkit_error.txt"), { recursive: true });
    await writeRecipients(dir, { default: "dev@lab.example.org\n" });
    const broken = await resolveRecipients(join(dir, "recipients"), "toolkit_error");
    assert.deepEqual(broken.addresses, ["dev@lab.example.org"]);
    assert.match(describeRecipientProblems(broken)[0] ?? "", /^cannot read .*toolkit_error\.txt: /);
  });
});
