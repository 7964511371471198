/**
 * `audit` as a user (or a scheduled task) runs it: main.ts in a child process
 * with the product's permissions, real backups on a share folder and the S3
 * peer, and the tests' SMTP server for the findings email.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MIB } from "../backup/_fixture.ts";
import { withSmtpPeer } from "../../peers/smtp.ts";
import { SMTP_CREDENTIALS_ENV, SMTP_USERS, writeRecipients } from "../_helpers/notify.ts";
import { type BackedUpCli, withBackedUpCli } from "./_backed_up.ts";

const A = "20250301_alice_lung_panel1";
const B = "20250302_bob_tonsil_run2";

async function backUpTwo(world: BackedUpCli): Promise<void> {
  await world.makeStudy(A, { qptiffBytes: 9 * MIB });
  await world.makeStudy(B, { tempFiles: 6 });
  const result = await world.run();
  assert.ok(result.outcomes.every((outcome) => outcome.ok));
}

Deno.test("audit --s3 of intact backups: exit 0 and a table", async () => {
  await withBackedUpCli(async (world) => {
    await backUpTwo(world);
    const result = await world.cli(["audit", "--s3"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^backup\s+share\s+s3\s+result$/m);
    assert.match(
      result.stdout,
      new RegExp(
        `^fusion-01/${A}\\s+read 4 of 4 files, 9\\.0 MiB\\s+4 objects checked\\s+ok$`,
        "m",
      ),
    );
    assert.match(
      result.stdout,
      new RegExp(`^fusion-01/${B}\\s+read 8 of 8 files, .*\\s+8 objects checked\\s+ok$`, "m"),
    );
    assert.match(
      result.stdout,
      /^audited 2 complete backups: 2 ok, 0 with findings \(0 findings\)$/m,
    );
    assert.doesNotMatch(result.stdout, /sample:/);
    assert.match(result.stderr, /audit: using config /);
  });
});

Deno.test("audit --sample prints its seed; the same seed reads the same files", async () => {
  await withBackedUpCli(async (world) => {
    await backUpTwo(world);
    const first = await world.cli(["audit", "--sample", "30"]);
    assert.equal(first.code, 0, first.stderr);
    const seed =
      /^sample: 30% of each backup's files, seed (\d+) \(the same files again: --sample 30 --seed \1\)$/m
        .exec(first.stdout)?.[1];
    assert.ok(seed !== undefined, first.stdout);
    assert.match(first.stdout, new RegExp(`^fusion-01/${A}\\s+read 2 of 4 files`, "m"));
    assert.match(first.stdout, new RegExp(`^fusion-01/${B}\\s+read 3 of 8 files`, "m"));
    // Rot every file of B on the share: a sample of 3 finds exactly 3, the same 3 each time.
    for (let index = 0; index < 6; index++) {
      await Deno.writeTextFile(
        join(world.share, "fusion-01", B, B, "Scan1", ".temp", `tile_0000${index}.bin`),
        "x",
      );
    }
    await Deno.writeTextFile(join(world.share, "fusion-01", B, `${B}.xpd`), "x");
    await Deno.writeTextFile(join(world.share, "fusion-01", B, B, "Scan1", `${B}.qptiff`), "x");
    const findingsOf = (stdout: string) =>
      stdout.split("\n").filter((line) => line.startsWith("FINDING "));
    const again = await world.cli(["audit", "--sample", "30", "--seed", seed]);
    const third = await world.cli(["audit", "--sample", "30", "--seed", seed]);
    assert.equal(again.code, 1);
    assert.equal(findingsOf(again.stdout).length, 3);
    assert.deepEqual(findingsOf(third.stdout), findingsOf(again.stdout));
    const usage = await world.cli(["audit", "--seed", "5"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^error: --seed picks a sample: use it with --sample$/m);
    const bad = await world.cli(["audit", "--sample", "0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /argument '0' is invalid\. a percentage above 0 and at most 100/);
  });
});

Deno.test("audit findings (bit rot on the share, a lost S3 object): exit 1, the report, a backup_failure email", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (smtp) => {
    await withBackedUpCli(async (world) => {
      await backUpTwo(world);
      await writeRecipients(world.dir, { backup_failure: "ops@lab.example.org\n" });
      const image = join(world.share, "fusion-01", A, A, "Scan1", `${A}.qptiff`);
      const bytes = await Deno.readFile(image);
      bytes[MIB] = (bytes[MIB] ?? 0) ^ 0x04;
      await Deno.writeFile(image, bytes);
      await Deno.remove(join(world.share, "fusion-01", B), { recursive: true });
      await world.peer.removeObject(`fusion/fusion-01/${B}/${B}.xpd`);

      const shareOnly = await world.cli(["audit"], SMTP_CREDENTIALS_ENV);
      assert.equal(shareOnly.code, 1, shareOnly.stderr);
      assert.match(shareOnly.stdout, new RegExp(`^fusion-01/${B}\\s+evicted\\s+-\\s+ok$`, "m"));
      assert.match(
        shareOnly.stdout,
        /; 1 no longer on the share \(skipped: add --s3 to check their S3 copy\)$/m,
      );

      const result = await world.cli(["audit", "--s3"], SMTP_CREDENTIALS_ENV);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(
          `^FINDING fusion-01/${A} share ${A}/Scan1/${A}\\.qptiff: changed: SHA-256 [0-9a-f]{12}…, the sidecar says [0-9a-f]{12}…$`,
          "m",
        ),
      );
      assert.match(
        result.stdout,
        new RegExp(
          `^FINDING fusion-01/${B} s3 ${B}\\.xpd: s3://fusion-test/fusion/fusion-01/${B}/${B}\\.xpd does not exist$`,
          "m",
        ),
      );
      assert.match(
        result.stdout,
        new RegExp(`^fusion-01/${B}\\s+evicted\\s+7 objects checked\\s+1 finding$`, "m"),
      );
      assert.match(
        result.stdout,
        /^audited 2 complete backups: 0 ok, 2 with findings \(2 findings\); 1 no longer on the share \(checked in S3 only\)$/m,
      );
      assert.match(
        result.stderr,
        /^error: audit found 2 problems in 2 backups: see the FINDING lines$/m,
      );

      const emails = smtp.received.filter((email) => email.subject.includes("backup_failure"));
      assert.equal(emails.length, 2, "one per audit run with findings");
      const email = emails[1];
      assert.deepEqual(email?.to, ["ops@lab.example.org"]);
      assert.match(
        email?.subject ?? "",
        /^\[fusion-toolkit\] backup_failure on .*: audit found 2 problems in 2 backups$/,
      );
      assert.match(
        email?.text ?? "",
        new RegExp(`fusion-01/${A}: share ${A}/Scan1/${A}\\.qptiff: changed: SHA-256`),
      );
      assert.match(
        email?.text ?? "",
        new RegExp(`fusion-01/${B}: s3 ${B}\\.xpd: s3://.* does not exist`),
      );
      assert.match(email?.text ?? "", /audit exited with code 1\./);
    }, { smtpPort: smtp.port });
  });
});
