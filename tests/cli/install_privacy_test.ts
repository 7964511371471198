/** What `install init` says about smtp.env's privacy, for each kind of folder (pure; Windows inputs). */
import assert from "node:assert/strict";
import { smtpEnvPrivacy } from "../../lib/cli/install.ts";

Deno.test("smtp.env privacy: mode 0600 on POSIX", () => {
  assert.equal(
    smtpEnvPrivacy("/home/lab/.config/fusion-toolkit/smtp.env", "posix", undefined),
    "readable by its owner only: mode 0600",
  );
});

Deno.test("smtp.env privacy: under %USERPROFILE% it inherits the profile's access list", () => {
  const file = String.raw`C:\Users\Lab User\.config\fusion-toolkit\smtp.env`;
  for (const profile of [String.raw`C:\Users\Lab User`, "c:\\users\\lab user\\"]) {
    assert.match(smtpEnvPrivacy(file, "windows", profile), /^private: it inherits your profile/);
  }
});

Deno.test("smtp.env privacy: elsewhere on Windows it prints the icacls line", () => {
  const file = String.raw`D:\fusion toolkit\smtp.env`;
  for (const profile of [String.raw`C:\Users\lab`, String.raw`D:\fusion`, undefined]) {
    assert.equal(
      smtpEnvPrivacy(file, "windows", profile),
      String
        .raw`it inherits the access list of D:\fusion toolkit; if others can read that folder, ` +
        String
          .raw`restrict the file: icacls "D:\fusion toolkit\smtp.env" /inheritance:r /grant:r "%USERNAME%:F"`,
    );
  }
});
