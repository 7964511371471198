import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  formatSidecar,
  parseSidecar,
  readSidecar,
  SIDECAR_NAME,
  sidecarChunks,
  sidecarEntries,
  writeSidecar,
} from "../../lib/layout/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

Deno.test("the sidecar is GNU format, sorted, with forward slashes", () => {
  const text = formatSidecar([
    { path: "b/Scan1/x.qptiff", sha256Hex: hex("x") },
    { path: "a.xpd", sha256Hex: hex("a") },
    { path: "b/Scan1/.temp/t", sha256Hex: hex("t") },
  ]);
  assert.equal(
    text,
    `${hex("a")}  a.xpd\n${hex("t")}  b/Scan1/.temp/t\n${hex("x")}  b/Scan1/x.qptiff\n`,
  );
  assert.throws(() => formatSidecar([{ path: "a", sha256Hex: "XYZ" }]), /not a SHA-256 hex digest/);
});

Deno.test("sidecarChunks hands over formatSidecar's text in chunks, asking each digest once", () => {
  const entries = Array.from({ length: 3000 }, (_, index) => ({
    path: `exp/Scan1/.temp/tile_${String(2999 - index).padStart(5, "0")}.bin`,
    sha256Hex: hex(String(index)),
  }));
  entries.push({ path: "exp.xpd", sha256Hex: hex("xpd") }, {
    path: "odd\\name",
    sha256Hex: hex("odd"),
  });
  const digests = new Map(entries.map((entry) => [entry.path, entry.sha256Hex]));
  const asked: string[] = [];
  const chunks = [
    ...sidecarChunks(entries.map((entry) => entry.path), (path) => {
      asked.push(path);
      return digests.get(path) ?? "";
    }),
  ];
  assert.ok(chunks.length > 3, `${chunks.length} chunks`);
  assert.equal(chunks.join(""), formatSidecar(entries));
  assert.deepEqual(asked.sort(), [...digests.keys()].sort());
});

Deno.test("names with a backslash or newline are escaped as sha256sum does, and read back", () => {
  const entries = [
    { path: "odd\\name", sha256Hex: hex("1") },
    { path: "two\nlines", sha256Hex: hex("2") },
    { path: "plain name with spaces", sha256Hex: hex("3") },
  ];
  const text = formatSidecar(entries);
  assert.match(text, new RegExp(`^\\\\${hex("1")}  odd\\\\\\\\name$`, "m"));
  assert.match(text, new RegExp(`^\\\\${hex("2")}  two\\\\nlines$`, "m"));
  assert.deepEqual(
    parseSidecar(text).sort((a, b) => a.path < b.path ? -1 : 1),
    [...entries].sort((a, b) => a.path < b.path ? -1 : 1),
  );
  assert.throws(() => parseSidecar(`${hex("1")}  ok\ngarbage\n`), /line 2 is not/);
});

Deno.test("sidecarEntries reads a list's bytes line by line into parseSidecar's entries", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  const text = formatSidecar([
    { path: "odd\\name", sha256Hex: hex("1") },
    { path: "two\nlines", sha256Hex: hex("2") },
    { path: "Scan1/ünïcode é.tif", sha256Hex: hex("3") },
    { path: "a.xpd", sha256Hex: hex("4") },
  ]);
  assert.deepEqual([...sidecarEntries(encode(text))], parseSidecar(text));
  // A last line without its newline, and a byte-order mark only at the start, as one decode reads.
  const bare = text.slice(0, -1);
  assert.deepEqual([...sidecarEntries(encode(bare))], parseSidecar(bare));
  assert.deepEqual([...sidecarEntries(encode(`\ufeff${text}`))], parseSidecar(text));
  const marked = `${hex("5")}  b\n\ufeff${hex("6")}  c\n`;
  assert.throws(() => [...sidecarEntries(encode(marked))], /line 2 is not/);
  assert.throws(() => parseSidecar(marked), /line 2 is not/);
  assert.deepEqual([...sidecarEntries(new Uint8Array(0))], []);
  for (const bad of [`${hex("1")}  ok\ngarbage\n`, `${hex("1")}  ok\n\n${hex("2")}  b\n`]) {
    assert.throws(() => [...sidecarEntries(encode(bad))], /line 2 is not/);
    assert.throws(() => parseSidecar(bad), /line 2 is not/);
  }
});

Deno.test({
  name: "sha256sum -c verifies a written sidecar, and catches a changed file",
  ignore: Deno.build.os === "windows",
}, async () => {
  await withTempDir(async (dir) => {
    const files: Record<string, string> = {
      "study.xpd": "xpd",
      "exp/Scan1/image.qptiff": "pixels",
      "exp/Scan1/.temp/tile 1.bin": "tile",
    };
    for (const [path, content] of Object.entries(files)) {
      await Deno.mkdir(join(dir, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, path), content);
    }
    await writeSidecar(
      dir,
      Object.entries(files).map(([path, c]) => ({ path, sha256Hex: hex(c) })),
    );
    const check = () =>
      new Deno.Command("sha256sum", {
        args: ["-c", SIDECAR_NAME],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      })
        .output();
    const ok = await check();
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assert.equal((new TextDecoder().decode(ok.stdout).match(/: OK$/gm) ?? []).length, 3);
    await Deno.writeTextFile(join(dir, "exp/Scan1/image.qptiff"), "bit rot");
    const bad = await check();
    assert.equal(bad.code, 1);
    assert.match(new TextDecoder().decode(bad.stdout), /image\.qptiff: FAILED/);
    assert.deepEqual((await readSidecar(dir))?.length, 3);
  });
});

Deno.test("readSidecar: undefined when absent, an error naming the file when malformed", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await readSidecar(dir), undefined);
    await Deno.writeTextFile(join(dir, SIDECAR_NAME), "nonsense\n");
    await assert.rejects(readSidecar(dir), /_checksums\.sha256: line 1 is not/);
  });
});
