import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../lib/errors.ts";
import { parseDotenv } from "../../lib/notify/_dotenv.ts";
import { findCredentials, SmtpCredentials } from "../../lib/notify/mod.ts";
import { envOf } from "../_helpers/notify.ts";
import { withTempDir } from "../_helpers/temp.ts";

const KNOWN = ["FUSION_SMTP_USER", "FUSION_SMTP_APP_PASSWORD"];
const SECRET = "abcd efgh ijkl mnop";

Deno.test("dotenv: comments, blanks, export, quotes, inline comments, BOM and CRLF", () => {
  const text =
    "\uFEFF# alerts\r\n\r\nexport FUSION_SMTP_USER = ops@lab.example.org  # the lab account\r\n" +
    `FUSION_SMTP_APP_PASSWORD='${SECRET}'\r\n`;
  const entries = parseDotenv(text, "smtp.env", KNOWN);
  assert.deepEqual(Object.fromEntries(entries), {
    FUSION_SMTP_USER: { value: "ops@lab.example.org", line: 3 },
    FUSION_SMTP_APP_PASSWORD: { value: SECRET, line: 4 },
  });
  const hashInQuotes = parseDotenv('FUSION_SMTP_APP_PASSWORD="pa #ss" # note\n', "f", KNOWN);
  assert.equal(hashInQuotes.get("FUSION_SMTP_APP_PASSWORD")?.value, "pa #ss");
});

Deno.test("dotenv: a malformed line is an error naming the file and line, never its text", () => {
  const cases: [string, RegExp][] = [
    [`FUSION_SMTP_USER=a@b.org\n${SECRET}\n`, /^\/cfg\/smtp\.env:2: expected NAME=value/],
    [
      "FUSION_SMTP_USER=a@b.org\n9LIVES=x\n",
      /^\/cfg\/smtp\.env:2: the text before '=' is not a variable name/,
    ],
    [
      "FUSION_SMTP_PASSWORD=x\n",
      /^\/cfg\/smtp\.env:1: unknown name FUSION_SMTP_PASSWORD \(known: /,
    ],
    [`\n\nFUSION_SMTP_APP_PASSWORD="${SECRET}\n`, /^\/cfg\/smtp\.env:3: the value opens a " quote/],
    [`FUSION_SMTP_APP_PASSWORD='${SECRET}' extra\n`, /^\/cfg\/smtp\.env:1: unexpected text after/],
    [
      "FUSION_SMTP_USER=a@b.org\nFUSION_SMTP_USER=c@d.org\n",
      /:2: FUSION_SMTP_USER is set twice \(also on line 1\)/,
    ],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => parseDotenv(text, "/cfg/smtp.env", KNOWN), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, expected);
      assert.ok(!error.message.includes(SECRET), "the message does not echo the line");
      return true;
    });
  }
});

Deno.test("credentials: both environment variables win over the file", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "smtp.env");
    await Deno.writeTextFile(
      file,
      "FUSION_SMTP_USER=file@lab.example.org\nFUSION_SMTP_APP_PASSWORD=f\n",
    );
    const env = envOf({
      FUSION_SMTP_USER: "env@lab.example.org",
      FUSION_SMTP_APP_PASSWORD: SECRET,
    });
    const lookup = await findCredentials({ env, defaultFile: file });
    assert.ok(lookup.found);
    assert.equal(lookup.credentials.user, "env@lab.example.org");
    assert.equal(lookup.credentials.password(), SECRET);
    assert.equal(lookup.credentials.source, "the environment");
  });
});

Deno.test("credentials: one variable alone is not mixed with the file", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "smtp.env");
    await Deno.writeTextFile(
      file,
      `FUSION_SMTP_USER=file@lab.example.org\nFUSION_SMTP_APP_PASSWORD=${SECRET}\n`,
    );
    const lookup = await findCredentials({
      env: envOf({ FUSION_SMTP_USER: "env@x.org" }),
      defaultFile: file,
    });
    assert.ok(lookup.found);
    assert.equal(lookup.credentials.user, "file@lab.example.org");
    assert.equal(lookup.credentials.source, file);
  });
});

Deno.test("credentials: --smtp-env overrides the default file and must exist", async () => {
  await withTempDir(async (dir) => {
    const chosen = join(dir, "other.env");
    await Deno.writeTextFile(
      chosen,
      `FUSION_SMTP_USER=o@lab.example.org\nFUSION_SMTP_APP_PASSWORD=${SECRET}\n`,
    );
    const lookup = await findCredentials({
      env: envOf({}),
      smtpEnv: chosen,
      defaultFile: join(dir, "smtp.env"),
    });
    assert.ok(lookup.found && lookup.credentials.source === chosen);
    await assert.rejects(
      findCredentials({ env: envOf({}), smtpEnv: join(dir, "missing.env"), defaultFile: chosen }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /SMTP credentials file not found: .*missing\.env \(given with --smtp-env\)/.test(
          error.message,
        ),
    );
  });
});

Deno.test("credentials: none found says why; an empty value counts as unset", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "smtp.env");
    const none = await findCredentials({
      env: envOf({ FUSION_SMTP_APP_PASSWORD: "x" }),
      defaultFile: file,
    });
    assert.ok(!none.found);
    assert.match(
      none.reason,
      /not both set \(only FUSION_SMTP_APP_PASSWORD is set\) and .*smtp\.env does not exist/,
    );
    await Deno.writeTextFile(
      file,
      "FUSION_SMTP_USER=a@lab.example.org\nFUSION_SMTP_APP_PASSWORD=\n",
    );
    const empty = await findCredentials({ env: envOf({}), defaultFile: file });
    assert.ok(!empty.found);
    assert.equal(empty.reason, `${file} does not set FUSION_SMTP_APP_PASSWORD`);
  });
});

Deno.test("credentials: the password is invisible to JSON, inspection and String, and redactable", () => {
  const credentials = new SmtpCredentials("ops@lab.example.org", SECRET, "the environment");
  for (
    const shown of [
      JSON.stringify(credentials),
      Deno.inspect(credentials, { showHidden: true, getters: true, depth: 5 }),
      String(credentials),
      JSON.stringify({ nested: credentials }),
    ]
  ) {
    assert.ok(!shown.includes(SECRET), shown);
  }
  assert.equal(credentials.redact(`login ${SECRET} refused`), "login *** refused");
});
