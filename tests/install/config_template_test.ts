import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { CONFIG_SCHEMA, type KeySpec, parseConfig } from "../../lib/config/mod.ts";
import { renderConfigTemplate, tomlValue } from "../../lib/install/config_template.ts";

const TEMPLATE = renderConfigTemplate(CONFIG_SCHEMA);
const SECTIONS = Object.entries(CONFIG_SCHEMA) as [string, { keys: Record<string, KeySpec> }][];

function context(platform: "windows" | "posix") {
  return {
    platform,
    home: () => (platform === "windows" ? "C:\\Users\\lab" : "/home/lab"),
    hostname: () => "fusion-pc",
  };
}

/** The template with every `# key = value` line made live. */
function uncommentAll(template: string): string {
  return template.replace(/^# (\w+ = )/gm, "$1");
}

Deno.test("the template loads as it is, on Windows and POSIX, with the required examples", () => {
  for (const platform of ["windows", "posix"] as const) {
    const file = platform === "windows" ? "C:\\cfg\\config.toml" : "/cfg/config.toml";
    const config = parseConfig(TEMPLATE, file, context(platform));
    assert.equal(config.s3.bucket, "lab-fusion-archive");
    assert.equal(config.backup.instrument, "fusion-pc");
    assert.equal(config.backup.idleDays, 14);
    assert.deepEqual(config.hooks, { backup: [], cleanup: [] });
    if (platform === "windows") {
      assert.equal(config.backup.sourceRoot, "D:\\FusionData");
      assert.equal(config.truenas.root, "\\\\truenas\\fusion-backup\\");
    } else {
      assert.equal(config.notify.recipientsDir, "/cfg/recipients");
    }
  }
});

Deno.test("every schema key appears once, in its section, in schema order", () => {
  const found: string[] = [];
  let section = "";
  for (const line of TEMPLATE.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) section = header[1] ?? "";
    const key = /^(?:# )?(\w+) = /.exec(line);
    if (key !== null) found.push(`${section}.${key[1]}`);
  }
  const expected = SECTIONS.flatMap(([name, spec]) =>
    Object.keys(spec.keys).map((key) => `${name}.${key}`)
  );
  assert.deepEqual(found, expected);
});

Deno.test("only the required keys are live; the others are commented out", () => {
  const live = [...TEMPLATE.matchAll(/^(\w+) = /gm)].map((match) => match[1]);
  const required = SECTIONS.flatMap(([, spec]) =>
    Object.entries(spec.keys).filter(([, key]) => key.required === true).map(([name]) => name)
  );
  assert.deepEqual(live, required);
  assert.deepEqual(required, ["source_root", "root", "bucket"]);
});

Deno.test("each key's doc, default and section doc are in the template", () => {
  const prose = TEMPLATE.replace(/\n# /g, " ");
  for (const [name, spec] of SECTIONS) {
    for (const [key, keySpec] of Object.entries(spec.keys)) {
      const doc = keySpec.doc.charAt(0).toUpperCase() + keySpec.doc.slice(1);
      assert.ok(prose.includes(doc), `${name}.${key}: doc line`);
      if (keySpec.derivedDefault !== undefined) {
        assert.ok(prose.includes(`Default: ${keySpec.derivedDefault}.`), `${name}.${key}`);
      }
    }
  }
  assert.match(prose, /Default: 14\./);
  assert.match(prose, /Must be at least 5, at most 5120\./);
  assert.ok(
    TEMPLATE.includes("[backup]\n# Monthly backup of idle studies from the instrument PC."),
  );
});

Deno.test("no comment line is wider than 80 characters, except unbreakable values", () => {
  for (const line of TEMPLATE.split("\n")) {
    if (line.length <= 80) continue;
    assert.match(line, /^# (?:\w+ = |'|")|^# \S+$/, `too wide: ${line}`);
  }
});

Deno.test("uncommenting every key sets its default, or its example where the default is derived", () => {
  const uncommented = uncommentAll(TEMPLATE);
  const document = parse(uncommented) as Record<string, Record<string, unknown>>;
  for (const [name, spec] of SECTIONS) {
    for (const [key, keySpec] of Object.entries(spec.keys)) {
      const showsExample = keySpec.required === true || keySpec.derivedDefault !== undefined ||
        keySpec.default === "" || (Array.isArray(keySpec.default) && keySpec.default.length === 0);
      const expected = showsExample ? keySpec.example ?? keySpec.default : keySpec.default;
      assert.deepEqual(document[name]?.[key], expected, `${name}.${key}`);
    }
  }
  // ...and the result is still a valid config.
  const config = parseConfig(uncommented, "/cfg/config.toml", context("posix"));
  assert.equal(config.monitor.lineStart.source, CONFIG_SCHEMA.monitor.keys.line_start.default);
  assert.deepEqual(config.hooks.backup, CONFIG_SCHEMA.hooks.keys.backup.example);
});

Deno.test("tomlValue writes strings that TOML reads back unchanged", () => {
  const samples = [
    "plain",
    "D:\\FusionData",
    String.raw`^\d{4}`,
    `it's "quoted"`,
    String.raw`back\slash and 'quote'`,
    "",
  ];
  for (const sample of samples) {
    const parsed = parse(`value = ${tomlValue(sample)}`);
    assert.equal(parsed.value, sample);
  }
  assert.equal(tomlValue(String.raw`C:\x`), String.raw`'C:\x'`);
  assert.equal(parse(`v = ${tomlValue(["a b", "C:\\x"])}`).v?.toString(), "a b,C:\\x");
  assert.equal(tomlValue(64), "64");
  assert.equal(tomlValue(false), "false");
});
