import assert from "node:assert/strict";
import { join } from "node:path";
import { PRODUCT_PERMISSIONS, PRODUCT_V8_FLAGS } from "../../lib/install/permissions.ts";
import {
  compileArgv,
  executableName,
  explainFailure,
  outputPath,
  targetFromArgs,
  WINDOWS_TARGET,
} from "../../scripts/compile.ts";

// What `deno compile` 2.9.6 printed on this machine, which cannot reach dl.deno.land.
const DOWNLOAD_FAILURE = `Compile main.ts to dist/fusion-toolkit-0.1.0-x86_64-pc-windows-msvc.exe
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-pc-windows-msvc.zip
error: Writing deno compile executable to temporary file 'dist/fusion-toolkit-0.1.0-x86_64-pc-windows-msvc.exe.tmp-8173add9974b6d88'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-pc-windows-msvc.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
`;

Deno.test("the Windows exe: its name carries the version and target", () => {
  assert.equal(
    executableName("0.1.0", WINDOWS_TARGET),
    "fusion-toolkit-0.1.0-x86_64-pc-windows-msvc.exe",
  );
  assert.equal(
    executableName("1.2.3", "aarch64-apple-darwin"),
    "fusion-toolkit-1.2.3-aarch64-apple-darwin",
  );
  // Paths are the build machine's: `\` separators when the exe is built on Windows.
  assert.equal(
    outputPath({ target: WINDOWS_TARGET, version: "0.1.0", root: "/repo" }),
    join("/repo", "dist", "fusion-toolkit-0.1.0-x86_64-pc-windows-msvc.exe"),
  );
});

Deno.test("compileArgv: the target, deno.json, dist/ output, exactly the product permissions, main.ts", () => {
  const argv = compileArgv({ target: WINDOWS_TARGET, version: "0.1.0", root: "/repo" });
  assert.deepEqual(argv, [
    "compile",
    "--target",
    "x86_64-pc-windows-msvc",
    "--config",
    join("/repo", "deno.json"),
    "--output",
    join("/repo", "dist", "fusion-toolkit-0.1.0-x86_64-pc-windows-msvc.exe"),
    "--allow-all",
    "--v8-flags=--heap-growing-percent=20,--max-semi-space-size=4,--no-concurrent-recompilation",
    join("/repo", "main.ts"),
  ]);
  assert.deepEqual(argv.filter((arg) => arg.startsWith("--allow")), [...PRODUCT_PERMISSIONS]);
  assert.deepEqual(argv.filter((arg) => arg.startsWith("--v8-flags")), [...PRODUCT_V8_FLAGS]);
});

Deno.test("targetFromArgs: Windows by default, the host with --host, usage on anything else", () => {
  assert.equal(targetFromArgs([], "x86_64-unknown-linux-gnu"), WINDOWS_TARGET);
  assert.equal(targetFromArgs(["--host"], "x86_64-unknown-linux-gnu"), "x86_64-unknown-linux-gnu");
  assert.throws(
    () => targetFromArgs(["--target=x"], "h"),
    /unknown argument --target=x; usage: deno task compile \[--host\]/,
  );
});

Deno.test("explainFailure says when the runtime download failed and where the build works", () => {
  const message = explainFailure(DOWNLOAD_FAILURE, WINDOWS_TARGET);
  assert.match(
    message,
    /^deno compile could not get Deno's runtime \(denort\) for x86_64-pc-windows-msvc/,
  );
  assert.match(message, /cannot download it from dl\.deno\.land/);
  assert.match(message, /GitHub Actions: push a v\* tag, see \.github\/workflows\/release\.yml/);
  assert.ok(!message.includes("\n"));
  assert.equal(
    explainFailure('error: Module not found "file:///repo/nope.ts".', WINDOWS_TARGET),
    "deno compile failed for x86_64-pc-windows-msvc; see its messages above",
  );
});
