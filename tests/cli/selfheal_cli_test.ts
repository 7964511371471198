/**
 * Every fault the backup can meet, made to happen for real to `backup run`
 * as the scheduled task runs it (main.ts in a child process with the
 * product's permissions, the S3 peer on 127.0.0.1, a proxy in front of it
 * where S3 must fail or stall), then the next run, with nobody touching
 * anything in between: the end states are read from the share, from S3, from
 * the manifest and from the instrument's folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { COPY_JOURNAL_NAME, listName, SIDECAR_NAME } from "../../lib/layout/mod.ts";
import { type ManifestRecord, readManifest } from "../../lib/manifest/mod.ts";
import { makeSampleStudy, setTreeMtime } from "../../scripts/sample_data.ts";
import { startVerifyingProxy, type VerifyingProxy } from "../../peers/verifying_proxy.ts";
import { PRODUCT_FLAGS, runMain, spawnMain, startMain } from "../_helpers/cli.ts";
import { type CliWorld, withCliWorld } from "../_helpers/cli_world.ts";
import { holdShareLock } from "../_helpers/lock_holder.ts";
import { CANNOT_UNREAD } from "../_helpers/unreadable.ts";
import { sizeOf, waitFor } from "../_helpers/wait.ts";
import { snapshot } from "../backup/_fixture.ts";

const A = "20250301_alice_lung_panel1";
const B = "20250302_bob_tonsil_run2";
const MIB = 1024 * 1024;
const OLD = new Date(Date.now() - 40 * 86_400_000);
const OLDER = new Date(Date.now() - 50 * 86_400_000);

/** The latest manifest record of a study of fusion-01. */
async function latest(world: CliWorld, study: string): Promise<ManifestRecord | undefined> {
  return (await readManifest(join(world.share, "_manifest"))).latest.get(`fusion-01/${study}`);
}

/** An object's bytes as text, straight from the peer; undefined when there is none. */
async function objectText(world: CliWorld, key: string): Promise<string | undefined> {
  const response = await fetch(`${world.peer.endpoint}/${world.peer.bucket}/${key}`);
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  return await response.text();
}

/** Points config.toml at a verifying proxy in front of the peer (`truenas`: more `[truenas]` keys). */
async function throughProxy(world: CliWorld, truenas = ""): Promise<VerifyingProxy> {
  const proxy = await startVerifyingProxy(world.peer.endpoint);
  await world.writeConfig({ endpoint: proxy.endpoint, truenasExtra: truenas });
  return proxy;
}

/** PUTs of the manifest's S3 copy. */
function isMirror(request: { operation: string; key: string }): boolean {
  return request.operation === "PutObject" && request.key.startsWith("fusion/_manifest/");
}

/** Data written to S3 for a study (objects or parts), by the requests the peer saw. */
function dataWrites(world: CliWorld, study: string): number {
  return world.peer.requests.filter((r) =>
    r.key.startsWith(`fusion/fusion-01/${study}/`) &&
    (r.operation === "PutObject" || r.operation === "UploadPart")
  ).length;
}

Deno.test("a manifest mirror that fails after `complete`: the next run proves the source equals the backup, mirrors the manifest, deletes the source", async () => {
  await withCliWorld(async (world) => {
    const proxy = await throughProxy(world);
    try {
      const study = await makeSampleStudy(world.source, A, { mtime: OLD });
      const source = await snapshot(study);
      proxy.interceptRequests((request) => isMirror(request) ? "fail" : "forward");
      const first = await world.run("backup", "run");
      assert.equal(first.code, 1);
      assert.match(
        first.stderr,
        new RegExp(`${A}: manifest mirror failed: copying the manifest .* to S3 failed`),
      );
      assert.deepEqual(await snapshot(study), source, "the source is kept");
      const kept = await latest(world, A);
      assert.equal(kept?.status, "complete");
      assert.equal(kept?.source_deleted_at, null);
      const folder = join(world.share, "fusion-01", A);
      const share = await snapshot(folder);

      proxy.interceptRequests(undefined);
      world.peer.clearRequests();
      const second = await world.run("backup", "run");
      assert.equal(second.code, 0, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(
          `${A}: unchanged since its complete backup \\(revision 1, .*every file's SHA-256 matches`,
        ),
      );
      assert.match(
        second.stdout,
        new RegExp(
          `^${A}\\s+complete\\s+.*source deleted \\(its backup was already complete\\)$`,
          "m",
        ),
      );
      await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
      assert.deepEqual(await snapshot(folder), share, "the share copy is untouched");
      assert.equal(dataWrites(world, A), 0, "nothing of the study was sent again");
      const settled = await latest(world, A);
      assert.notEqual(settled?.source_deleted_at, null);
      assert.equal(settled?.completed_at, kept?.completed_at);
      // The manifest's S3 copy now lists the backup: restore --from s3 finds it.
      const mirrors = world.peer.requests.filter(isMirror).map((r) => r.key);
      assert.ok(mirrors.length > 0);
      for (const key of new Set(mirrors)) {
        assert.equal(
          await objectText(world, key),
          await Deno.readTextFile(
            join(world.share, "_manifest", key.slice("fusion/_manifest/".length)),
          ),
        );
      }
      const to = join(world.dir, "restored");
      await Deno.mkdir(to);
      const restored = await world.run("restore", A, "--to", to, "--from", "s3");
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(await snapshot(join(to, A)), source);
    } finally {
      await proxy.stop();
    }
  });
});

Deno.test("SIGKILL between `complete` and the delete: the next run takes the locks over and finishes the job", async () => {
  await withCliWorld(async (world) => {
    const proxy = await throughProxy(world);
    try {
      const study = await makeSampleStudy(world.source, A, { mtime: OLD });
      const source = await snapshot(study);
      // The manifest's S3 copy is held back, so the run sits right after `complete`.
      let letGo = () => {};
      const stalled = new Promise<"forward">((resolve) => letGo = () => resolve("forward"));
      proxy.interceptRequests((request) => isMirror(request) ? stalled : "forward");
      const child = await startMain(["backup", "run", "--config", world.config], {
        permissions: PRODUCT_FLAGS,
        env: world.peer.env,
      });
      const output = child.output();
      await waitFor(async () => (await latest(world, A))?.status === "complete", "`complete`");
      child.kill("SIGKILL");
      await output;
      letGo();
      proxy.interceptRequests(undefined);
      const after = await snapshot(study);
      delete after[".fusion-toolkit.lock"];
      assert.deepEqual(after, source, "the source is intact");
      const folder = join(world.share, "fusion-01", A);
      // The kill may land before the copy journal, the backup's own bookkeeping, is removed.
      const share = await snapshot(folder);
      delete share[COPY_JOURNAL_NAME];

      world.peer.clearRequests();
      const next = await world.run("backup", "run");
      assert.equal(next.code, 0, next.stderr);
      assert.match(
        next.stderr,
        /took over .*\.backup-fusion-01\.lock, left by backup running since/,
      );
      assert.match(
        next.stderr,
        new RegExp(`${A}: took over its lock, left by backup running since`),
      );
      await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
      assert.deepEqual(await snapshot(folder), share);
      assert.equal(dataWrites(world, A), 0);
      assert.notEqual((await latest(world, A))?.source_deleted_at, null);
      const status = await world.run("status");
      assert.equal(status.code, 0, status.stdout);
      assert.match(status.stdout, /^Locks left by runs that stopped \(0\)$/m);
    } finally {
      await proxy.stop();
    }
  });
});

Deno.test("a file written into a study while it is copied: the source is kept; later the change becomes revision 2 beside the proven copy", async () => {
  await withCliWorld(async (world) => {
    const study = await makeSampleStudy(world.source, A, {
      qptiffBytes: 200 * MIB,
      tempFiles: 3,
      mtime: OLD,
    });
    const child = await startMain(["backup", "run", "--config", world.config], {
      permissions: PRODUCT_FLAGS,
      env: world.peer.env,
    });
    const output = child.output();
    const image = join(world.share, "fusion-01", A, A, "Scan1", `${A}.qptiff`);
    await waitFor(async () => (await sizeOf(image)) > 0, "the image's copy to begin");
    const late = `${A}/Scan1/.temp/tile_late.bin`;
    await Deno.writeTextFile(join(study, ...late.split("/")), "written during the backup\n");
    const first = await output;
    const stdout = new TextDecoder().decode(first.stdout);
    assert.equal(first.code, 1, stdout);
    assert.match(
      stdout,
      new RegExp(`^${A}\\s+complete\\s+.*delete source: the source changed during the backup`, "m"),
    );
    assert.equal((await latest(world, A))?.status, "complete");
    const folder = join(world.share, "fusion-01", A);
    const revision1 = await snapshot(folder);
    assert.ok(!(late in revision1), "the late file is not in the first backup");

    // A month later the study is idle again: the next run adds what changed.
    await setTreeMtime(study, OLD);
    const state = await snapshot(study);
    delete state[".fusion-toolkit.lock"];
    const second = await world.run("backup", "run");
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /revision 2 \(1 added, 0 changed, 0 removed\); source deleted/);
    await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
    const now = await snapshot(folder);
    for (const [path, digest] of Object.entries(revision1)) assert.equal(now[path], digest, path);
    assert.deepEqual(Object.keys(now).filter((path) => !(path in revision1)).sort(), [
      listName(2),
      `_revisions/2/${late}`,
    ]);
    // The real sha256sum checks both lists from the backup's folder.
    if (Deno.build.os !== "windows") {
      for (const list of [SIDECAR_NAME, listName(2)]) {
        const check = await new Deno.Command("sha256sum", {
          args: ["--quiet", "-c", list],
          cwd: folder,
        }).output();
        assert.equal(check.code, 0, new TextDecoder().decode(check.stdout));
      }
    }
    assert.equal(
      await objectText(world, `fusion/fusion-01/${A}/_revisions/2/${late}`),
      "written during the backup\n",
    );
    const to = join(world.dir, "restored");
    await Deno.mkdir(to);
    const restored = await world.run("restore", A, "--to", to, "--from", "s3");
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await snapshot(join(to, A)), state, "restore gives the study as it was last");
  });
});

// The study folder turns read-only for the run while it works (a permission the run meets
// half-way): that needs a process the permission bits apply to, see _helpers/unreadable.ts.
Deno.test(
  "a study lock that cannot be removed is logged, and the rest of the batch still runs; the next run takes the lock over",
  {
    ignore: CANNOT_UNREAD,
  },
  async () => {
    await withCliWorld(async (world) => {
      const proxy = await throughProxy(world);
      try {
        const study = await makeSampleStudy(world.source, A, { mtime: OLDER });
        const other = await makeSampleStudy(world.source, B, { mtime: OLD });
        // S3 refuses A's objects, so A fails (after S3's retries) and its lock is released.
        proxy.interceptRequests((request) =>
          request.key.startsWith(`fusion/fusion-01/${A}/`) ? "fail" : "forward"
        );
        const child = await startMain(["backup", "run", "--config", world.config], {
          permissions: PRODUCT_FLAGS,
          env: world.peer.env,
          respectPermissions: true,
        });
        const output = child.output();
        await waitFor(
          async () => (await sizeOf(join(study, ".fusion-toolkit.lock"))) > 0,
          "the study lock",
        );
        await Deno.chmod(study, 0o555);
        let first;
        try {
          first = await output;
        } finally {
          await Deno.chmod(study, 0o755);
        }
        const stderr = new TextDecoder().decode(first.stderr);
        assert.equal(first.code, 1, stderr);
        assert.match(
          stderr,
          new RegExp(
            `${A}: its lock .*\\.fusion-toolkit\\.lock could not be removed \\(.*\\); the next run ` +
              "takes it over",
          ),
        );
        assert.equal((await latest(world, A))?.status, "failed_s3");
        // The study after it was still backed up, and its source deleted.
        await assert.rejects(Deno.stat(other), Deno.errors.NotFound);
        assert.equal((await latest(world, B))?.status, "complete");
        assert.ok((await Deno.stat(join(study, ".fusion-toolkit.lock"))).isFile);

        proxy.interceptRequests(undefined);
        const next = await world.run("backup", "run");
        assert.equal(next.code, 0, next.stderr);
        assert.match(next.stderr, new RegExp(`${A}: took over its lock`));
        await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
        assert.notEqual((await latest(world, A))?.source_deleted_at, null);
      } finally {
        await proxy.stop();
      }
    });
  },
);

// The instrument's folder is read-only to the run: a process the permission bits apply to.
Deno.test("a source that cannot be deleted is kept, both copies proven; the next run deletes it", {
  ignore: CANNOT_UNREAD,
}, async () => {
  await withCliWorld(async (world) => {
    const study = await makeSampleStudy(world.source, A, { mtime: OLD });
    await Deno.chmod(world.source, 0o555);
    let first;
    try {
      first = await runMain(["backup", "run", "--config", world.config], {
        permissions: PRODUCT_FLAGS,
        env: world.peer.env,
        respectPermissions: true,
      });
    } finally {
      await Deno.chmod(world.source, 0o755);
    }
    assert.equal(first.code, 1, first.stderr);
    assert.match(
      first.stderr,
      new RegExp(
        `${A}: delete source failed: moving the source aside to delete it failed: .*; ` +
          "both copies are verified — the next run deletes it",
      ),
    );
    assert.ok((await Deno.stat(study)).isDirectory);
    assert.equal((await latest(world, A))?.status, "complete");
    const next = await world.run("backup", "run");
    assert.equal(next.code, 0, next.stderr);
    await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
    assert.notEqual((await latest(world, A))?.source_deleted_at, null);
  });
});

// An unreadable folder needs a process the permission bits apply to: see _helpers/unreadable.ts.
Deno.test(
  "an unreadable folder in one study fails that study alone, named with the path; status and the dry run say so too",
  {
    ignore: CANNOT_UNREAD,
  },
  async () => {
    await withCliWorld(async (world) => {
      const closedStudy = await makeSampleStudy(world.source, A, { mtime: OLDER });
      await makeSampleStudy(world.source, B, { mtime: OLD });
      const closed = join(closedStudy, A, "Scan1");
      await Deno.chmod(closed, 0o000);
      try {
        const run = (...args: string[]) =>
          runMain([...args, "--config", world.config], {
            permissions: PRODUCT_FLAGS,
            env: world.peer.env,
            respectPermissions: true,
          });
        const dry = await run("backup", "run", "--dry-run");
        assert.equal(dry.code, 1, dry.stderr);
        assert.match(
          dry.stdout,
          new RegExp(`^${A}: cannot read ${A}/Scan1 in the study: .*[Pp]ermission denied`, "m"),
        );
        assert.match(dry.stdout, /^would back up 1 study, .*; 1 would fail$/m);

        const backup = await run("backup", "run");
        assert.equal(backup.code, 1, backup.stderr);
        assert.match(
          backup.stdout,
          new RegExp(
            `^${A}\\s+failed_validation\\s+.*validate: cannot read ${A}/Scan1 in the study`,
            "m",
          ),
        );
        assert.match(backup.stdout, new RegExp(`^${B}\\s+complete\\s+.*source deleted$`, "m"));
        assert.match(backup.stdout, /^2 studies: 1 backed up, 1 failed$/m);
        assert.ok((await Deno.stat(closedStudy)).isDirectory, "the study that failed is kept");

        const status = await run("status");
        assert.equal(status.code, 1, status.stdout);
        assert.match(
          status.stdout,
          new RegExp(`^ {2}${A}: refused: cannot read ${A}/Scan1 in the study`, "m"),
        );
      } finally {
        await Deno.chmod(closed, 0o755);
      }
    });
  },
);

Deno.test("a second run while the first works is told who runs (exit 2) and touches nothing; status shows it running; the first finishes", async () => {
  await withCliWorld(async (world) => {
    const proxy = await throughProxy(world, "lock_wait_minutes = 0\n");
    try {
      const study = await makeSampleStudy(world.source, A, { mtime: OLD });
      const source = await snapshot(study);
      // The first run's uploads are held back, so it is surely still running while we look.
      let letGo = () => {};
      const held = new Promise<"forward">((resolve) => letGo = () => resolve("forward"));
      proxy.interceptRequests((request) =>
        request.key.startsWith(`fusion/fusion-01/${A}/`) ? held : "forward"
      );
      const child = await startMain(["backup", "run", "--config", world.config], {
        permissions: PRODUCT_FLAGS,
        env: world.peer.env,
      });
      const output = child.output();
      const folder = join(world.share, "fusion-01", A);
      await waitFor(async () => (await sizeOf(join(folder, SIDECAR_NAME))) > 0, "the share copy");
      const second = await world.run("backup", "run");
      assert.equal(second.code, 2, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(
          `^error: fusion-01 is already being backed up: backup running since \\S+, pid ${child.pid} ` +
            "on \\S+ \\(.*\\.backup-fusion-01\\.lock\\); waited \\d+ s, nothing was done",
          "m",
        ),
      );
      const status = await world.run("status", "-f", "json");
      const report = JSON.parse(status.stdout);
      assert.match(
        report.running[0] ?? "",
        new RegExp(`^backup running since .*, pid ${child.pid} on .* \\(fusion-01\\)$`),
      );
      assert.deepEqual(report.stale_locks, []);
      letGo();
      proxy.interceptRequests(undefined);
      const first = await output;
      assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
      await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
      const copy = await snapshot(folder);
      delete copy[SIDECAR_NAME];
      assert.deepEqual(copy, source);
    } finally {
      await proxy.stop();
    }
  });
});

Deno.test("a backup that finds cleanup running waits for it, then runs", async () => {
  await withCliWorld(
    async (world) => {
      const study = await makeSampleStudy(world.source, A, { mtime: OLD });
      const cleanup = await holdShareLock(world.share, "cleanup", "nas", "2025-05-20T02:00:00Z");
      const running = await spawnMain(["backup", "run", "--config", world.config], {
        permissions: PRODUCT_FLAGS,
        env: world.peer.env,
      });
      // Told by the run itself that it waits, not guessed from a pause (Wine starts slowly).
      await running.waitForStderr(
        new RegExp(
          `the share is in use: cleanup running since 2025-05-20T02:00:00Z, pid ${cleanup.pid} on nas; waiting up to 1 min`,
        ),
        60_000,
      );
      assert.ok((await Deno.stat(study)).isDirectory, "nothing happens while cleanup runs");
      await cleanup.release();
      const run = await running.ended();
      assert.equal(run.code, 0, run.stderr);
      await assert.rejects(Deno.stat(study), Deno.errors.NotFound);
    },
    "",
    "lock_wait_minutes = 1\n",
  );
});

// A folder inside the study is read-only to the run, so deleting stops part-way: that needs a
// process the permission bits apply to, see _helpers/unreadable.ts.
Deno.test(
  "a delete that stops part-way: the study stays moved aside; the next run checks what is left against the backup and finishes",
  {
    ignore: CANNOT_UNREAD,
  },
  async () => {
    await withCliWorld(async (world) => {
      const study = await makeSampleStudy(world.source, A, { tempFiles: 5, mtime: OLD });
      const temp = join(study, A, "Scan1", ".temp");
      await Deno.chmod(temp, 0o555);
      const aside = join(world.source, `.${A}.fusion-toolkit-deleting`);
      try {
        const first = await runMain(["backup", "run", "--config", world.config], {
          permissions: PRODUCT_FLAGS,
          env: world.peer.env,
          respectPermissions: true,
        });
        assert.equal(first.code, 1, first.stderr);
        assert.match(
          first.stderr,
          new RegExp(
            `${A}: delete source failed: deleting .*\\.${A}\\.fusion-toolkit-deleting failed ` +
              "part-way: .*; both copies are verified — the next run deletes the rest",
          ),
        );
      } finally {
        await Deno.chmod(join(aside, A, "Scan1", ".temp"), 0o755).catch(() => {});
        await Deno.chmod(temp, 0o755).catch(() => {});
      }
      await assert.rejects(
        Deno.stat(study),
        Deno.errors.NotFound,
        "the study folder is whole or gone",
      );
      assert.ok((await Deno.stat(aside)).isDirectory, "what is left waits, moved aside");
      assert.equal((await latest(world, A))?.source_deleted_at, null);

      const next = await world.run("backup", "run");
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stderr, new RegExp(`${A}: finishing the delete an earlier run began`));
      assert.match(
        next.stdout,
        new RegExp(
          `^${A}\\s+complete\\s+.*source deleted \\(finishing what an earlier run began\\)$`,
          "m",
        ),
      );
      await assert.rejects(Deno.stat(aside), Deno.errors.NotFound);
      assert.notEqual((await latest(world, A))?.source_deleted_at, null);
    });
  },
);
