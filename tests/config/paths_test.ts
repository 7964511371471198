import assert from "node:assert/strict";
import { defaultConfigDir, defaultConfigPath, normalizePath } from "../../lib/config/mod.ts";
import { ConfigError } from "../../lib/errors.ts";

Deno.test("Windows paths: either slash, drive letters, trailing separators", () => {
  const cases: [string, string][] = [
    ["D:/FusionData", "D:\\FusionData"],
    ["D:\\FusionData\\", "D:\\FusionData"],
    ["D:/FusionData//run1/../run2/", "D:\\FusionData\\run2"],
    ["Z:/", "Z:\\"],
    ["Z:", "Z:\\"],
    ["  Z:/fusion-backup  ", "Z:\\fusion-backup"],
  ];
  for (const [raw, expected] of cases) {
    assert.equal(normalizePath(raw, "windows"), expected, raw);
  }
});

Deno.test("Windows UNC paths keep their \\\\server\\share root", () => {
  const cases: [string, string][] = [
    ["\\\\truenas\\fusion-backup\\fusion-01", "\\\\truenas\\fusion-backup\\fusion-01"],
    ["//truenas/fusion-backup/fusion-01/", "\\\\truenas\\fusion-backup\\fusion-01"],
    ["//truenas/fusion-backup", "\\\\truenas\\fusion-backup\\"],
    ["\\\\truenas\\fusion-backup\\", "\\\\truenas\\fusion-backup\\"],
  ];
  for (const [raw, expected] of cases) {
    assert.equal(normalizePath(raw, "windows"), expected, raw);
  }
});

Deno.test("relative paths join the base folder; '~' becomes the home folder", () => {
  assert.equal(
    normalizePath("recipients", "windows", { baseDir: "C:\\Users\\lab\\.config\\fusion-toolkit" }),
    "C:\\Users\\lab\\.config\\fusion-toolkit\\recipients",
  );
  assert.equal(
    normalizePath("~/data", "windows", { home: "C:\\Users\\lab" }),
    "C:\\Users\\lab\\data",
  );
  assert.equal(normalizePath("~", "posix", { home: "/home/lab" }), "/home/lab");
  assert.equal(normalizePath("./a/b/", "posix", { baseDir: "/etc/ft" }), "/etc/ft/a/b");
  // A drive-letter path is never relative, even on POSIX.
  assert.equal(normalizePath("C:\\x\\y", "posix", { baseDir: "/etc/ft" }), "C:/x/y");
});

Deno.test("POSIX paths accept backslashes and keep the root", () => {
  assert.equal(normalizePath("\\mnt\\share\\", "posix"), "/mnt/share");
  assert.equal(normalizePath("/", "posix"), "/");
  assert.equal(normalizePath("/mnt//share/./x", "posix"), "/mnt/share/x");
});

Deno.test("the default config lives under the home folder of each OS", () => {
  assert.equal(
    defaultConfigPath(new Map([["USERPROFILE", "C:\\Users\\lab"]]), "windows"),
    "C:\\Users\\lab\\.config\\fusion-toolkit\\config.toml",
  );
  assert.equal(
    defaultConfigDir(new Map([["HOME", "/home/lab/"]]), "posix"),
    "/home/lab/.config/fusion-toolkit",
  );
});

Deno.test("no home folder (a SYSTEM task) is a config error, not an empty path", () => {
  for (const env of [new Map(), new Map([["USERPROFILE", " "]]), new Map([["HOME", "/x"]])]) {
    assert.throws(() => defaultConfigPath(env, "windows"), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /USERPROFILE is not set\); pass --config PATH/);
      return true;
    });
  }
});
