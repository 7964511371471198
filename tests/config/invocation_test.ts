/** How hints name the program: as it was started (pure; Windows inputs too). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { commandName, shellArg } from "../../lib/invocation.ts";

Deno.test("the compiled exe is named by its own file name", () => {
  const exe = {
    standalone: true,
    mainModule: "file:///C:/Users/lab/AppData/Local/Temp/deno-compile-fusion-toolkit.exe/main.ts",
    cwd: "C:\\Windows\\System32",
  };
  assert.equal(
    commandName({ ...exe, execPath: "C:\\Program Files\\fusion\\fusion-toolkit.exe" }),
    "fusion-toolkit.exe",
  );
  assert.equal(
    commandName({ ...exe, execPath: "D:\\tools\\fusion toolkit.exe" }),
    '"fusion toolkit.exe"',
  );
});

Deno.test("from source, Deno runs main.ts: named from the working folder when inside it", () => {
  const checkout = join(Deno.cwd(), "checkout");
  const source = {
    standalone: false,
    execPath: "/usr/local/bin/deno",
    mainModule: pathToFileURL(join(checkout, "main.ts")).href,
  };
  assert.equal(commandName({ ...source, cwd: checkout }), "deno run -A main.ts");
  assert.equal(
    commandName({ ...source, cwd: Deno.cwd() }),
    `deno run -A ${join("checkout", "main.ts")}`,
  );
  const outside = join(Deno.cwd(), "elsewhere");
  assert.equal(
    commandName({ ...source, cwd: outside }),
    `deno run -A ${join(checkout, "main.ts")}`,
  );
  assert.equal(
    commandName({ ...source, cwd: undefined }),
    `deno run -A ${join(checkout, "main.ts")}`,
  );
});

Deno.test("an argument is quoted only when a shell would split or read it", () => {
  assert.equal(shellArg("C:\\lab\\config.toml"), "C:\\lab\\config.toml");
  assert.equal(shellArg("/srv/fusion-toolkit/conf"), "/srv/fusion-toolkit/conf");
  assert.equal(shellArg("C:\\lab data\\conf"), '"C:\\lab data\\conf"');
  assert.equal(shellArg("a&b"), '"a&b"');
});
