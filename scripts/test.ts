/**
 * README's test command (`deno task test`): what CI checks, in order.
 *
 * 1. `deno fmt --check`, `deno lint`, `deno check` of every module;
 * 2. every `test:<group>` task of deno.json whose command is a `deno test`,
 *    each with its own permission set;
 * 3. one final line `N passed, M failed`, counted from the JUnit reports
 *    (a static check that fails, or a group that cannot start, counts as one
 *    failure).
 *
 * Usage: `deno task test [group ...] [--summary-file PATH]`, e.g.
 * `deno task test standard cli` runs only those groups (no static checks).
 *
 * @module
 */
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };

interface Tally {
  passed: number;
  failed: number;
  ignored: number;
}

const deno = Deno.execPath();

async function run(args: string[]): Promise<boolean> {
  const status = await new Deno.Command(deno, { args, stdout: "inherit", stderr: "inherit" })
    .output();
  return status.success;
}

function attribute(xml: string, name: string): number {
  const match = new RegExp(`<testsuites[^>]*\\s${name}="(\\d+)"`).exec(xml);
  return match === null ? 0 : Number(match[1]);
}

/** Counts a JUnit report: tests, failures and errors from the root, skipped from the cases. */
function countJunit(xml: string): Tally {
  const total = attribute(xml, "tests");
  const failed = attribute(xml, "failures") + attribute(xml, "errors");
  const ignored = (xml.match(/<skipped/g) ?? []).length;
  return { passed: total - failed - ignored, failed, ignored };
}

/** The test groups: every `test:<group>` task of deno.json whose command is a `deno test`. */
export function testGroups(): string[] {
  return Object.entries(denoJson.tasks as Record<string, string | { command: string }>)
    .filter(([name, task]) => {
      const command = typeof task === "string" ? task : task.command;
      return name.startsWith("test:") && command.startsWith("deno test");
    })
    .map(([name]) => name.slice("test:".length));
}

async function main(): Promise<number> {
  const args = [...Deno.args];
  let summaryFile: string | undefined;
  const summaryAt = args.indexOf("--summary-file");
  if (summaryAt >= 0) {
    summaryFile = args[summaryAt + 1];
    args.splice(summaryAt, 2);
  }
  const all = testGroups();
  const unknown = args.filter((group) => !all.includes(group));
  if (unknown.length > 0) {
    console.error(`unknown test group(s): ${unknown.join(", ")}; known: ${all.join(", ")}`);
    return 2;
  }
  const groups = args.length > 0 ? args : all;
  const tally: Tally = { passed: 0, failed: 0, ignored: 0 };
  const failures: string[] = [];

  if (args.length === 0) {
    const checks: [string, string[]][] = [
      ["fmt", ["fmt", "--check"]],
      ["lint", ["lint"]],
      ["type check", ["check", "main.ts", "lib/", "scripts/", "tests/", "web/", "peers/"]],
    ];
    for (const [name, checkArgs] of checks) {
      console.log(`\n== ${name}`);
      if (!(await run(checkArgs))) {
        tally.failed++;
        failures.push(name);
      }
    }
  }

  const reports = await Deno.makeTempDir({ prefix: "fusion-toolkit-junit-" });
  try {
    for (const group of groups) {
      console.log(`\n== test:${group}`);
      const report = join(reports, `${group}.xml`);
      await run(["task", `test:${group}`, `--junit-path=${report}`]);
      let xml: string;
      try {
        xml = await Deno.readTextFile(report);
      } catch {
        tally.failed++;
        failures.push(`test:${group} (did not run: see the errors above)`);
        continue;
      }
      const counts = countJunit(xml);
      tally.passed += counts.passed;
      tally.failed += counts.failed;
      tally.ignored += counts.ignored;
      if (counts.failed > 0) failures.push(`test:${group} (${counts.failed} failed)`);
    }
  } finally {
    await Deno.remove(reports, { recursive: true });
  }

  if (failures.length > 0) console.log(`\nfailed: ${failures.join(", ")}`);
  if (tally.ignored > 0) console.log(`${tally.ignored} ignored (each says why in its test)`);
  if (summaryFile !== undefined) {
    await Deno.writeTextFile(summaryFile, JSON.stringify(tally));
  }
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  return tally.failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
