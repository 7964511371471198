/**
 * A share that runs full, for real: `backup run` (main.ts with the product's
 * permissions, the S3 peer on 127.0.0.1) against a small tmpfs mounted over
 * the share folder (tests/_helpers/small_share.ts). What the runs leave on
 * the share is copied out of the mount by the script and checked here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readManifest } from "../../lib/manifest/mod.ts";
import { makeSampleStudy } from "../../scripts/sample_data.ts";
import { mainInvocation, PRODUCT_FLAGS } from "../_helpers/cli.ts";
import { type CliWorld, withCliWorld } from "../_helpers/cli_world.ts";
import { CANNOT_MOUNT, inSmallShare, shellQuote } from "../_helpers/small_share.ts";
import { snapshot } from "../backup/_fixture.ts";

const A = "20250301_alice_lung_panel1";
const B = "20250302_bob_tonsil_run2";
const C = "20250303_carol_liver_pilot2";
const MIB = 1024 * 1024;
const DAY = 86_400_000;

/** A script line running `backup run` with its output in `<out>/<name>.{stdout,stderr,code}`. */
async function backupRun(world: CliWorld, out: string, name: string): Promise<string> {
  const { argv } = await mainInvocation(["backup", "run", "--config", world.config], {
    permissions: PRODUCT_FLAGS,
  });
  const file = (suffix: string) => shellQuote(join(out, `${name}.${suffix}`));
  return `${argv.map(shellQuote).join(" ")} > ${file("stdout")} 2> ${file("stderr")}; ` +
    `echo $? > ${file("code")}`;
}

/** What one run printed and returned. */
async function runOutput(out: string, name: string) {
  const read = (suffix: string) => Deno.readTextFile(join(out, `${name}.${suffix}`));
  return {
    code: Number((await read("code")).trim()),
    stdout: await read("stdout"),
    stderr: await read("stderr"),
  };
}

async function environment(world: CliWorld): Promise<Record<string, string>> {
  return (await mainInvocation([], { permissions: [], env: world.peer.env })).env;
}

Deno.test(
  "a study larger than the share's free space fails alone, before anything is copied; the next study runs",
  {
    ignore: CANNOT_MOUNT,
  },
  async () => {
    await withCliWorld(async (world) => {
      const big = await makeSampleStudy(world.source, A, {
        qptiffBytes: 6 * MIB,
        mtime: new Date(Date.now() - 50 * DAY),
      });
      const bigFiles = await snapshot(big);
      const small = await makeSampleStudy(world.source, B, {
        mtime: new Date(Date.now() - 40 * DAY),
      });
      const out = join(world.dir, "out");
      await Deno.mkdir(out);
      const script = `${await backupRun(world, out, "run")}\n` +
        `cp -a ${shellQuote(world.share)}/. ${shellQuote(join(out, "share"))}/\n`;
      const result = await inSmallShare(world.share, "size=4m", script, await environment(world));
      assert.equal(result.code, 0, result.stderr);
      const run = await runOutput(out, "run");
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `${A}: space failed: the share has [\\d.]+ MiB free and this study needs [\\d.]+ MiB ` +
            "\\([\\d.]+ MiB still to copy\\): nothing was copied — once cleanup " +
            // The command to type is the one the user ran: main.ts from source here.
            "\\(`deno run -A \\S*main\\.ts cleanup run`\\) or a larger share makes room, the next " +
            "backup run takes it",
        ),
      );
      assert.match(
        run.stdout,
        new RegExp(`^${A}\\s+failed_truenas\\s+.*space: the share has`, "m"),
      );
      assert.match(run.stdout, new RegExp(`^${B}\\s+complete\\s+.*source deleted$`, "m"));
      const share = join(out, "share");
      await assert.rejects(Deno.stat(join(share, "fusion-01", A)), Deno.errors.NotFound);
      assert.deepEqual(await snapshot(big), bigFiles, "the study that did not fit is kept");
      await assert.rejects(Deno.stat(small), Deno.errors.NotFound);
      assert.equal(
        world.peer.requests.filter((r) => r.key.startsWith(`fusion/fusion-01/${A}/`)).length,
        0,
        "nothing of it went to S3",
      );
      const latest = (await readManifest(join(share, "_manifest"))).latest;
      assert.equal(latest.get(`fusion-01/${A}`)?.status, "failed_truenas");
      assert.equal(latest.get(`fusion-01/${B}`)?.status, "complete");
    });
  },
);

Deno.test(
  "a copy the share runs out of room for is taken back; a complete backup on the share is untouched; the next study runs",
  {
    ignore: CANNOT_MOUNT,
  },
  async () => {
    await withCliWorld(async (world) => {
      // C is backed up first, alone; then A (too many files for the share) and B arrive.
      await makeSampleStudy(world.source, C, { mtime: new Date(Date.now() - 60 * DAY) });
      const staging = join(world.dir, "staging");
      const many = await makeSampleStudy(staging, A, {
        tempFiles: 80,
        mtime: new Date(Date.now() - 50 * DAY),
      });
      const manyFiles = await snapshot(many);
      await makeSampleStudy(staging, B, { mtime: new Date(Date.now() - 40 * DAY) });
      const out = join(world.dir, "out");
      await Deno.mkdir(out);
      const q = shellQuote;
      const script = [
        await backupRun(world, out, "first"),
        `cp -a ${q(world.share)}/. ${q(join(out, "share-before"))}/`,
        `mv ${q(join(staging, A))} ${q(join(staging, B))} ${q(world.source)}/`,
        await backupRun(world, out, "second"),
        `cp -a ${q(world.share)}/. ${q(join(out, "share"))}/`,
        "",
      ].join("\n");
      // Room for C, for B, and for about half of A's files (a file system out of inodes says ENOSPC).
      const result = await inSmallShare(
        world.share,
        "size=16m,nr_inodes=60",
        script,
        await environment(world),
      );
      assert.equal(result.code, 0, result.stderr);
      const first = await runOutput(out, "first");
      assert.equal(first.code, 0, first.stderr);
      const second = await runOutput(out, "second");
      assert.equal(second.code, 1, second.stderr);
      assert.match(
        second.stdout,
        new RegExp(`^${A}\\s+failed_truenas\\s+.*copy: copying .*: No space left on dev`, "m"),
      );
      assert.match(
        second.stderr,
        new RegExp(`${A}: removed the \\d+ files this failed copy wrote to the share`),
      );
      assert.match(second.stdout, new RegExp(`^${B}\\s+complete\\s+.*source deleted$`, "m"));
      const before = await snapshot(join(out, "share-before", "fusion-01", C));
      const after = await snapshot(join(out, "share", "fusion-01", C));
      assert.ok(Object.keys(before).length > 0);
      assert.deepEqual(after, before, "the complete backup on the share is untouched");
      await assert.rejects(
        Deno.stat(join(out, "share", "fusion-01", A)),
        Deno.errors.NotFound,
        "nothing of the failed copy is left",
      );
      assert.deepEqual(await snapshot(join(world.source, A)), manyFiles, "its source is kept");
    });
  },
);
