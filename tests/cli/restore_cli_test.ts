/**
 * `restore` as a user runs it: main.ts in a child process with the product's
 * permissions, against a share folder and the S3 peer holding real backups.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MIB, snapshot } from "../backup/_fixture.ts";
import { type BackedUpCli, withBackedUpCli } from "./_backed_up.ts";
import { SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { sha256Hex } from "../../lib/storage/mod.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";

const A = "20250301_alice_lung_panel1";
const QPTIFF = `${A}/Scan1/${A}.qptiff`;

/** Backs up study A; returns its files' digests and an empty folder to restore into. */
async function backUp(
  world: BackedUpCli,
): Promise<{ original: Record<string, string>; to: string }> {
  const study = await world.makeStudy(A, { qptiffBytes: 9 * MIB });
  const original = await snapshot(study);
  const result = await world.run();
  assert.equal(result.outcomes[0]?.ok, true, result.outcomes[0]?.error);
  const to = join(world.dir, "restored");
  await Deno.mkdir(to);
  return { original, to };
}

Deno.test("restore from the share: exit 0, the summary on stdout, where from and why on stderr", async () => {
  await withBackedUpCli(async (world) => {
    const { original, to } = await backUp(world);
    const result = await world.cli(["restore", A, "--to", to]);
    assert.equal(result.code, 0, result.stderr);
    const share = join(world.share, "fusion-01", A);
    assert.match(
      result.stderr,
      new RegExp(
        `restore fusion-01/${A}: from the TrueNAS share \\(the share holds its verified copy at .*\\)`,
      ),
    );
    assert.equal(
      result.stdout,
      `restored fusion-01/${A} from the TrueNAS share (the share holds its verified copy at ${share})\n` +
        `into ${join(to, A)}: 4 files, 9.0 MiB; every file verified against _checksums.sha256\n`,
    );
    assert.deepEqual(await snapshot(join(to, A)), original);

    const again = await world.cli(["restore", `fusion-01/${A}`, "--to", to, "--from", "s3"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      again.stdout,
      `restored fusion-01/${A} from S3 (--from s3)\n` +
        `into ${join(to, A)}: 0 files, 0 B; every file verified against _checksums.sha256 and ` +
        "its S3 sha256 metadata\n" +
        "4 files already there with the backup's SHA-256 (from an earlier restore): kept, not " +
        "fetched again\n",
    );

    await Deno.writeTextFile(join(to, A, ...QPTIFF.split("/")), "changed by hand");
    const changed = await world.cli(["restore", `fusion-01/${A}`, "--to", to]);
    assert.equal(changed.code, 2);
    assert.match(
      changed.stderr,
      new RegExp(
        `^error: ${RegExp.escape(join(to, A, ...QPTIFF.split("/")))} already exists and ` +
          "differs from the backup: restore never overwrites;",
        "m",
      ),
    );
  });
});

Deno.test("restore --from s3 --only: the matching files, verified against the sidecar and S3 metadata", async () => {
  await withBackedUpCli(async (world) => {
    const { original, to } = await backUp(world);
    const result = await world.cli([
      "restore",
      A,
      "--to",
      to,
      "--from",
      "s3",
      "--only",
      "**/*.qptiff",
      "--only",
      "*.xpd",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /: 2 files, 9\.0 MiB; every file verified against _checksums\.sha256 and its S3 sha256 metadata\n$/,
    );
    assert.deepEqual(Object.keys(await snapshot(join(to, A))).sort(), [`${A}.xpd`, QPTIFF]);
    assert.equal((await snapshot(join(to, A)))[QPTIFF], original[QPTIFF]);
  });
});

Deno.test("a corrupted S3 object: exit 1 naming the file, which is not left behind", async () => {
  await withBackedUpCli(async (world) => {
    const { to } = await backUp(world);
    await Deno.remove(join(world.share, "fusion-01", A), { recursive: true });
    await world.peer.corruptObject(`fusion/fusion-01/${A}/${A}.xpd`, 2);
    const result = await world.cli(["restore", A, "--to", to]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /is no longer on the share \(cleanup evicts old backups\)\)\n/);
    assert.match(
      result.stdout,
      new RegExp(
        `^NOT RESTORED ${A}\\.xpd: the downloaded SHA-256 is [0-9a-f]{12}…, the sidecar says`,
        "m",
      ),
    );
    assert.match(result.stdout, /^1 of 4 files not restored \(no partial file was left\)$/m);
    assert.match(
      result.stderr,
      new RegExp(`^error: 1 of 4 files of fusion-01/${A} failed verification or were missing`, "m"),
    );
    const restored = Object.keys(await snapshot(join(to, A))).sort();
    assert.equal(restored.length, 3);
    assert.ok(
      !restored.some((path) => path.endsWith(".xpd") || path.includes(".fusion-toolkit-restore")),
    );
  });
});

Deno.test("DEEP_ARCHIVE: exit 1 with how long to wait, nothing written; the later call completes", async () => {
  await withBackedUpCli(async (world) => {
    world.config = { ...world.config, s3: { ...world.config.s3, storageClass: "DEEP_ARCHIVE" } };
    const { original, to } = await backUp(world);
    await Deno.remove(join(world.share, "fusion-01", A), { recursive: true });

    const first = await world.cli(["restore", A, "--to", to]);
    assert.equal(first.code, 1, first.stderr);
    assert.match(
      first.stdout,
      new RegExp(
        `^fusion-01/${A} is in S3 \\(.*\\) and archived \\(DEEP_ARCHIVE: 4 objects\\): S3 must retrieve it`,
        "m",
      ),
    );
    assert.match(
      first.stdout,
      /^retrieval requested now for 4 objects, already in progress for 0 \(tier Standard: typically within 12 hours\)$/m,
    );
    assert.match(
      first.stdout,
      /retrieved copies stay readable for 7 days\. Nothing was written to /,
    );
    assert.match(
      first.stderr,
      /^restore not finished: S3 is retrieving archived objects \(typically within 12 hours\); run the same command again then$/m,
    );
    assert.deepEqual(await snapshot(to), {});
    assert.ok(
      world.peer.restoreRequests.every((request) =>
        request.tier === "Standard" && request.days === 7
      ),
    );

    const waiting = await world.cli(["restore", A, "--to", to, "--tier", "bulk", "--days", "2"]);
    assert.equal(waiting.code, 1);
    assert.match(
      waiting.stdout,
      /requested now for 0 objects, already in progress for 4 \(tier Bulk: typically within 48 hours\)/,
    );

    world.peer.finishRestores();
    const done = await world.cli(["restore", A, "--to", to]);
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(await snapshot(join(to, A)), original);
  });
});

Deno.test("restore usage errors exit 2 with one line saying what to do", async () => {
  await withBackedUpCli(async (world) => {
    const { to } = await backUp(world);
    const cases: [string[], RegExp][] = [
      [
        ["restore", "2025_nobody", "--to", to],
        // The command to type is the one the user ran: here main.ts from source.
        /^error: no backup named '2025_nobody' in the manifest .*; `deno run -A main\.ts manifest show` lists them$/m,
      ],
      // One character off, replaced or extra: the near name is listed.
      [
        ["restore", `fusion-01/${A.slice(0, -1)}2`, "--to", to],
        new RegExp(
          `^error: no backup named 'fusion-01/${A.slice(0, -1)}2' in the manifest .* ` +
            `\\(did you mean fusion-01/${A}\\?\\); `,
          "m",
        ),
      ],
      [
        ["restore", `fusion-01/${A}x`, "--to", to],
        new RegExp(
          `^error: no backup named 'fusion-01/${A}x' .* \\(did you mean fusion-01/${A}\\?\\); `,
          "m",
        ),
      ],
      [
        ["restore", A, "--to", join(to, "missing")],
        /^error: --to .*missing: no such folder; create it first/m,
      ],
      [["restore", A], /error: required option '--to <path>' not specified/],
      [
        ["restore", A, "--to", to, "--from", "tape"],
        /error: option '--from <source>' argument 'tape' is invalid/,
      ],
      [
        ["restore", A, "--to", to, "--days", "0"],
        /error: option '--days <days>' argument '0' is invalid\. a whole number of days from 1 to 30/,
      ],
      [
        ["restore", A, "--to", to, "--only", "*.{xpd"],
        /^error: --only '\*\.\{xpd' has a '\{' without its '\}'/m,
      ],
    ];
    for (const [args, expected] of cases) {
      const result = await world.cli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, expected);
    }
    assert.deepEqual(await snapshot(to), {});
  });
});

Deno.test("a share copy whose file and sidecar line were changed together: exit 1, one line saying to use --from s3", async () => {
  await withBackedUpCli(async (world) => {
    const { to } = await backUp(world);
    const folder = join(world.share, "fusion-01", A);
    const xpd = join(folder, `${A}.xpd`);
    const before = sha256Hex(await Deno.readFile(xpd));
    await Deno.writeTextFile(xpd, "edited by hand\n");
    const sidecar = join(folder, SIDECAR_NAME);
    await Deno.writeTextFile(
      sidecar,
      (await Deno.readTextFile(sidecar)).replace(
        before,
        sha256Hex(new TextEncoder().encode("edited by hand\n")),
      ),
    );
    const result = await world.cli(["restore", A, "--to", to]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, "");
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
    assert.equal(errors.length, 1, result.stderr);
    assert.match(
      errors[0] ?? "",
      new RegExp(
        `^error: the share copy of fusion-01/${A} is not the one its manifest record describes: ` +
          `its ${RegExp.escape(SIDECAR_NAME)} has SHA-256 .*; restore it from S3 with --from s3 ` +
          "\\(nothing was written\\)$",
      ),
    );
    assert.deepEqual(await snapshot(to), {});
  });
});

Deno.test({
  name:
    "a folder of the destination linked outside --to: exit 2, one line, nothing written outside",
  ignore: CANNOT_SYMLINK,
  fn: () =>
    withBackedUpCli(async (world) => {
      const { to } = await backUp(world);
      const outside = join(world.dir, "outside");
      await Deno.mkdir(outside);
      await Deno.mkdir(join(to, A, A), { recursive: true });
      const link = join(to, A, A, "Scan1");
      await Deno.symlink(outside, link, { type: "dir" });
      const result = await world.cli(["restore", A, "--to", to]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^error: ${RegExp.escape(link)} is a symbolic link or junction: restore never writes ` +
            "through a link, whose target may lie outside --to; restore into another --to " +
            "folder, or move the link away \\(nothing was written\\)$",
          "m",
        ),
      );
      assert.deepEqual(await Array.fromAsync(Deno.readDir(outside)), []);
      assert.deepEqual(await snapshot(to), {});
    }),
});
