import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FileDigest, hashFile, ShareCopier } from "../../lib/storage/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { makeFile } from "./_files.ts";

const CHILD = fileURLToPath(new URL("./_share_copy_child.ts", import.meta.url));
const MiB = 1024 * 1024;

Deno.test("ShareCopier copies small and large files exactly, keeps mtimes, reports each durable once", async () => {
  await withTempDir(async (dir) => {
    const sizes = [0, 1, 4096, MiB, MiB + 1, 9 * MiB + 12345];
    const files = await Promise.all(
      sizes.map((size, index) => makeFile(join(dir, "src"), `f${index}.bin`, size, index + 1)),
    );
    const mtime = new Date("2024-02-29T12:00:00Z");
    for (const file of files) await Deno.utime(file.path, mtime, mtime);
    await Deno.mkdir(join(dir, "dst"));
    // An older, longer copy is replaced, not appended to.
    await Deno.writeFile(join(dir, "dst", "f2.bin"), new Uint8Array(3 * MiB).fill(7));

    const durable: string[] = [];
    const copier = new ShareCopier<string>((name, digest) => {
      durable.push(name);
      assert.equal(digest.sha256Hex, files[Number(name.slice(1, -4))]?.sha256Hex);
    });
    let progress = 0;
    const digests: FileDigest[] = [];
    for (const [index, file] of files.entries()) {
      digests.push(
        await copier.copy(file.path, join(dir, "dst", `f${index}.bin`), `f${index}.bin`, {
          onProgress: (bytes) => progress += bytes,
        }),
      );
    }
    await copier.drain();

    assert.equal(copier.kernelCopyRefused, undefined);
    assert.deepEqual(durable.toSorted(), files.map((_, index) => `f${index}.bin`));
    assert.equal(progress, sizes.reduce((a, b) => a + b, 0));
    for (const [index, file] of files.entries()) {
      const copy = join(dir, "dst", `f${index}.bin`);
      assert.deepEqual(digests[index], { size: file.size, sha256Hex: file.sha256Hex });
      assert.deepEqual(await hashFile(copy), { size: file.size, sha256Hex: file.sha256Hex });
      assert.equal((await Deno.stat(copy)).mtime?.getTime(), mtime.getTime());
    }
    await assert.rejects(
      copier.copy(files[0]!.path, join(dir, "dst", "late"), "late"),
      /drained/,
    );
  });
});

Deno.test("a file is reported durable only after its flush, seen from outside by strace", {
  ignore: Deno.build.os !== "linux" || !hasCommand("strace"),
}, async () => {
  // strace shows the order of the system calls: each fdatasync of a copy must return before
  // the line the copier's onDurable prints for it is written.
  await withTempDir(async (dir) => {
    for (let index = 0; index < 40; index++) {
      await makeFile(
        join(dir, "src"),
        `t${index}.bin`,
        index === 0 ? 20 * MiB : 4096 + index,
        index,
      );
    }
    await Deno.mkdir(join(dir, "dst"));
    const log = join(dir, "strace.log");
    const output = await new Deno.Command("strace", {
      args: [
        "-f",
        "-y",
        "-s",
        "4096",
        "-e",
        "trace=fdatasync,write",
        "-o",
        log,
        Deno.execPath(),
        "run",
        "-A",
        CHILD,
        join(dir, "src"),
        join(dir, "dst"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const flushed = new Set<string>();
    const unfinished = new Map<string, string>();
    const reported: string[] = [];
    for (const line of (await Deno.readTextFile(log)).split("\n")) {
      const [pid = "", ...rest] = line.split(" ");
      let call = rest.join(" ").trim();
      if (call.endsWith("<unfinished ...>")) {
        unfinished.set(pid, call);
        continue;
      }
      const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(call);
      if (resumed !== null) call = `${unfinished.get(pid) ?? ""}${resumed[2]}`;
      const sync = /^fdatasync\(\d+<(.*)>.*\)\s*= 0$/.exec(call.replace(" <unfinished ...>", ""));
      if (sync?.[1] !== undefined) flushed.add(sync[1]);
      const durable = /^write\(1<[^>]*>, "durable (.*?)\\n"/.exec(call);
      if (durable?.[1] !== undefined) {
        assert.ok(flushed.has(durable[1]), `${durable[1]} reported durable before its fdatasync`);
        reported.push(durable[1]);
      }
    }
    assert.equal(reported.length, 40);
  });
});

Deno.test("across filesystems (a temp dir to a tmpfs) the copy is exact with its mtime", {
  ignore: !canMountTmpfs(),
}, async () => {
  // copy_file_range refuses to cross filesystems (EXDEV); Deno.copyFile then copies in the
  // kernel with sendfile, so no refusal reaches the copier. The tmpfs is mounted in a mount
  // namespace of the child's own and lives as long as it does.
  await withTempDir(async (dir) => {
    const sizes = [0, 4096, 9 * MiB + 7];
    const files = await Promise.all(
      sizes.map((size, index) => makeFile(join(dir, "src"), `f${index}`, size, 20 + index)),
    );
    const mtime = new Date("2023-06-01T08:00:00Z");
    for (const file of files) await Deno.utime(file.path, mtime, mtime);
    await Deno.mkdir(join(dir, "mnt"));
    const output = await new Deno.Command("unshare", {
      args: [
        "-rm",
        "sh",
        "-c",
        'mount -t tmpfs tmpfs "$1" && exec "$2" run -A "$3" "$4" "$1"',
        "sh",
        join(dir, "mnt"),
        Deno.execPath(),
        CHILD,
        join(dir, "src"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const result = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
    assert.equal(result.refused, null);
    for (const [index, file] of files.entries()) {
      assert.equal(result.digests[`f${index}`], file.sha256Hex);
      assert.equal(result.readBack[`f${index}`], file.sha256Hex);
      assert.equal(result.mtimes[`f${index}`], mtime.getTime());
    }
    // Nothing was written beside the mount point: the copies lived on the tmpfs.
    assert.deepEqual([...Deno.readDirSync(join(dir, "mnt"))], []);
  });
});

Deno.test("a share that refuses the kernel copy gets every file through memory", {
  ignore: !canRefuseChmod(),
}, async () => {
  // Made real: in a user namespace, files owned by an unmapped user can be written (mode 0666)
  // but not chmod-ed, like a NAS share that refuses a mode; Deno.copyFile sets the source's
  // mode on its copy and fails with EPERM, and the copier falls back for this and later files.
  await withTempDir(async (dir) => {
    await Deno.chmod(dir, 0o755);
    const files = await Promise.all(
      [0, 4096, 6 * MiB + 1].map((size, index) =>
        makeFile(join(dir, "src"), `f${index}`, size, index)
      ),
    );
    await Deno.mkdir(join(dir, "dst"));
    for (const index of files.keys()) {
      const target = join(dir, "dst", `f${index}`);
      await Deno.writeTextFile(target, "an older copy, owned by someone else");
      await Deno.chmod(target, 0o666);
      await Deno.chown(target, 65534, 65534);
    }
    const output = await new Deno.Command("unshare", {
      args: ["-r", Deno.execPath(), "run", "-A", CHILD, join(dir, "src"), join(dir, "dst")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    const result = JSON.parse(lines.at(-1) ?? "{}");
    assert.match(result.refused, /not permitted/i);
    assert.equal(lines.filter((line) => line.startsWith("durable ")).length, files.length);
    for (const [index, file] of files.entries()) {
      assert.equal(result.digests[`f${index}`], file.sha256Hex);
      assert.deepEqual(await hashFile(join(dir, "dst", `f${index}`)), {
        size: file.size,
        sha256Hex: file.sha256Hex,
      });
    }
  });
});

Deno.test("a source changed during the kernel copy is caught by the read-back", async () => {
  await withTempDir(async (dir) => {
    const size = 24 * MiB;
    const file = await makeFile(dir, "image.qptiff", size, 11);
    const replacement = await makeFile(dir, "other", size, 12);
    const newBytes = await Deno.readFile(replacement.path);
    const copier = new ShareCopier<string>(() => {});
    let changed = false;
    const digest = await copier.copy(file.path, join(dir, "copy"), "image", {
      onProgress: () => {
        if (changed) return;
        changed = true;
        // The instrument rewrites the file in place after its first chunk was hashed.
        using handle = Deno.openSync(file.path, { write: true });
        let written = 0;
        while (written < newBytes.length) written += handle.writeSync(newBytes.subarray(written));
      },
    });
    await copier.drain();
    assert.equal(copier.kernelCopyRefused, undefined);
    // The digest mixes old and new bytes; the copy is whatever the kernel saw: they differ, and
    // the read-back (hashFile of the share copy against the copy's digest) says so.
    const readBack = await hashFile(join(dir, "copy"));
    assert.notEqual(readBack.sha256Hex, digest.sha256Hex);
  });
});

Deno.test("with one unflushed file allowed, each copy waits for the previous file to be durable", async () => {
  await withTempDir(async (dir) => {
    const durable: number[] = [];
    const copier = new ShareCopier<number>((index) => {
      durable.push(index);
    }, { maxUnflushedFiles: 1 });
    for (let index = 0; index < 6; index++) {
      const file = await makeFile(dir, `s${index}`, 1000 + index, index);
      await copier.copy(file.path, join(dir, `d${index}`), index);
      assert.deepEqual(durable, [...Array(index).keys()]);
    }
    await copier.drain();
    assert.deepEqual(durable, [0, 1, 2, 3, 4, 5]);
  });
});

Deno.test("flushed waits until every file copied so far is durable; the copier takes more after it", async () => {
  await withTempDir(async (dir) => {
    const durable: number[] = [];
    const copier = new ShareCopier<number>((index) => {
      durable.push(index);
    });
    const copyOne = async (index: number) => {
      const file = await makeFile(dir, `s${index}`, 5000 + index, index);
      await copier.copy(file.path, join(dir, `d${index}`), index);
    };
    await Promise.all([0, 1, 2, 3].map(copyOne));
    await copier.flushed();
    assert.deepEqual(durable.toSorted(), [0, 1, 2, 3]);
    await copyOne(4);
    await copier.drain();
    assert.deepEqual(durable.toSorted(), [0, 1, 2, 3, 4]);
  });
});

Deno.test("a failing onDurable stops the copier: later copies and the drain reject with it", async () => {
  await withTempDir(async (dir) => {
    const recorded: number[] = [];
    const copier = new ShareCopier<number>((index) => {
      if (index === 2) throw new Error("the journal is full");
      recorded.push(index);
    }, { maxUnflushedFiles: 1 });
    const copyOne = async (index: number) => {
      const file = await makeFile(dir, `s${index}`, 100, index);
      await copier.copy(file.path, join(dir, `d${index}`), index);
    };
    for (let index = 0; index < 3; index++) await copyOne(index);
    await assert.rejects(copyOne(3), /the journal is full/);
    await assert.rejects(copier.drain(), /the journal is full/);
    assert.deepEqual(recorded, [0, 1]);
  });
});

Deno.test("an aborted copier copies nothing more; disposing it leaves nothing running", async () => {
  await withTempDir(async (dir) => {
    const file = await makeFile(dir, "a", 12 * MiB, 3);
    const controller = new AbortController();
    const recorded: string[] = [];
    {
      await using copier = new ShareCopier<string>((name) => {
        recorded.push(name);
      }, { signal: controller.signal });
      await copier.copy(file.path, join(dir, "b"), "b");
      controller.abort(new Error("stop"));
      await assert.rejects(copier.copy(file.path, join(dir, "c"), "c"), /stop/);
    }
    await assert.rejects(Deno.stat(join(dir, "c")), Deno.errors.NotFound);
    assert.ok(recorded.length <= 1);
  });
});

function hasCommand(command: string): boolean {
  try {
    return new Deno.Command(command, { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Linux with user namespaces: a child can mount a tmpfs of its own. */
function canMountTmpfs(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    return new Deno.Command("unshare", {
      args: ["-rm", "mount", "-t", "tmpfs", "tmpfs", "/tmp"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** Root on Linux with user namespaces: files of an unmapped owner can then refuse chmod. */
function canRefuseChmod(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    const id = new Deno.Command("id", { args: ["-u"], stdout: "piped" }).outputSync();
    if (new TextDecoder().decode(id.stdout).trim() !== "0") return false;
    return new Deno.Command("unshare", { args: ["-r", "true"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
