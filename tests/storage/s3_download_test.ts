/**
 * Downloads (lib/storage/_s3_download.ts through the S3 store) against the S3
 * peer: small objects in one streamed GET, large ones in concurrent ranged
 * GETs written in order, hashed in one pass. Tests that fail, cut or watch
 * ranges put the verifying proxy (peers/verifying_proxy.ts, test code)
 * in front of the peer.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Config } from "../../lib/config/mod.ts";
import { OperationFailedError } from "../../lib/errors.ts";
import {
  chooseRangeSize,
  createS3Store,
  MAX_RANGE_BYTES,
  RANGE_BUFFER_BUDGET,
  type S3Store,
} from "../../lib/storage/s3.ts";
import { PEER_CREDENTIALS, type S3Peer, withS3Peer } from "../../peers/s3.ts";
import {
  type RangeAction,
  startVerifyingProxy,
  type VerifyingProxy,
} from "../../peers/verifying_proxy.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { makeFile } from "./_files.ts";

const MiB = 1024 * 1024;

/**
 * 8 MiB threshold, 5 MiB parts and so 5 MiB ranges, 3 at a time; a request
 * silent for 2 s is abandoned.
 */
const SETTINGS: Partial<Config["s3"]> = {
  multipartThresholdMb: 8,
  partSizeMb: 5,
  concurrency: 3,
  idleTimeoutSeconds: 2,
};

interface Fixture {
  readonly peer: S3Peer;
  /** Talks to the proxy. */
  readonly store: S3Store;
  /** Talks to the peer directly (to change the store behind the download's back). */
  readonly direct: S3Store;
  readonly proxy: VerifyingProxy;
  readonly dir: string;
}

async function withProxiedStore(body: (fixture: Fixture) => Promise<void>): Promise<void> {
  await withTempDir((dir) =>
    withS3Peer(async (peer) => {
      const proxy = await startVerifyingProxy(peer.endpoint);
      const options = {
        credentials: PEER_CREDENTIALS,
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      };
      const store = createS3Store({ ...peer.settings, endpoint: proxy.endpoint }, options);
      const direct = createS3Store(peer.settings, options);
      try {
        await body({ peer, store, direct, proxy, dir });
      } finally {
        store.close();
        direct.close();
        await proxy.stop();
      }
    }, { settings: SETTINGS })
  );
}

/** The Range headers of a 5 MiB-range download of `size` bytes after the first range. */
function laterRanges(size: number): string[] {
  const ranges: string[] = [];
  for (let start = 5 * MiB; start < size; start += 5 * MiB) {
    ranges.push(`bytes=${start}-${Math.min(start + 5 * MiB, size) - 1}`);
  }
  return ranges;
}

function rangedGets(proxy: VerifyingProxy): string[] {
  return proxy.requests.flatMap((request) =>
    request.operation === "GetObject" && request.range !== undefined ? [request.range] : []
  );
}

Deno.test("chooseRangeSize: the part size, at most 8 MiB, within the buffer budget together", () => {
  assert.equal(chooseRangeSize(5 * MiB, 4), 5 * MiB);
  assert.equal(chooseRangeSize(64 * MiB, 4), MAX_RANGE_BYTES);
  assert.equal(chooseRangeSize(64 * MiB, 16), 4 * MiB);
  assert.equal(chooseRangeSize(64 * MiB, 64), MiB);
  assert.equal(chooseRangeSize(64 * MiB, 64) * 64, RANGE_BUFFER_BUDGET);
  assert.equal(chooseRangeSize(64 * MiB, 1), MAX_RANGE_BYTES);
});

Deno.test("a large object comes in ranges of the part size, byte-identical, digest and progress in order", async () => {
  await withProxiedStore(async ({ store, proxy, dir }) => {
    const file = await makeFile(dir, "big.qptiff", 23 * MiB + 3, 7);
    await store.uploadFile({ key: "s/big.qptiff", ...file });
    const target = join(dir, "restored.qptiff");
    const progress: number[] = [];
    const result = await store.downloadFile("s/big.qptiff", target, {
      onProgress: (done) => progress.push(done),
    });
    assert.deepEqual(result, {
      size: file.size,
      sha256Hex: file.sha256Hex,
      metadataSha256: file.sha256Hex,
    });
    assert.deepEqual(await Deno.readFile(target), await Deno.readFile(file.path));
    // The first GET gives range 0 (and the ETag); the others are ranged GETs.
    const gets = proxy.requests.filter((request) => request.operation === "GetObject");
    assert.equal(gets[0]?.range, undefined);
    assert.deepEqual(rangedGets(proxy).sort(), laterRanges(file.size).sort());
    assert.ok(gets.slice(1).every((get) => get.status === 206));
    assert.deepEqual(progress, [5, 10, 15, 20].map((mib) => mib * MiB).concat(file.size));
    // At most `concurrency` ranged GETs at once, plus the first GET.
    assert.ok(proxy.peakInFlight <= 3 + 1, `peak ${proxy.peakInFlight}`);
  });
});

Deno.test("an object up to the multipart threshold is one GET, an empty one an empty file, a missing one undefined", async () => {
  await withProxiedStore(async ({ store, proxy, dir }) => {
    const file = await makeFile(dir, "tile.bin", 8 * MiB, 2);
    await store.uploadFile({ key: "s/tile.bin", ...file });
    const result = await store.downloadFile("s/tile.bin", join(dir, "tile.out"));
    assert.equal(result?.sha256Hex, file.sha256Hex);
    assert.deepEqual(await Deno.readFile(join(dir, "tile.out")), await Deno.readFile(file.path));
    assert.equal(proxy.count("GetObject"), 1);
    assert.deepEqual(rangedGets(proxy), []);
    assert.equal(await store.downloadFile("s/none", join(dir, "none")), undefined);

    await store.putBytes("s/empty.bin", new Uint8Array(0));
    const empty = await store.downloadFile("s/empty.bin", join(dir, "empty.out"));
    assert.equal(empty?.size, 0);
    assert.equal(empty?.sha256Hex, createHash("sha256").digest("hex"));
    assert.equal((await Deno.stat(join(dir, "empty.out"))).size, 0);
  });
});

Deno.test("a corrupted object is handed over as it is: the caller compares the digests", async () => {
  await withProxiedStore(async ({ peer, store, dir }) => {
    const file = await makeFile(dir, "small.bin", 4096, 3);
    await store.uploadFile({ key: "s/small.bin", ...file });
    await peer.corruptObject("s/small.bin", 5);
    const target = join(dir, "restored.bin");
    const bad = await store.downloadFile("s/small.bin", target);
    assert.equal(bad?.metadataSha256, file.sha256Hex);
    assert.equal(bad?.size, file.size);
    assert.notEqual(bad?.sha256Hex, file.sha256Hex);
    const original = await Deno.readFile(file.path);
    const restored = await Deno.readFile(target);
    assert.equal(restored[5], (original[5] ?? 0) ^ 0xff);
  });
});

Deno.test("a range that fails, breaks off or goes quiet is fetched again on its own", async () => {
  await withProxiedStore(async ({ store, proxy, dir }) => {
    const file = await makeFile(dir, "big.qptiff", 23 * MiB + 3, 9);
    await store.uploadFile({ key: "s/big.qptiff", ...file });
    const spoiled = new Map<string, "fail" | "cut" | "stall">();
    const actions = ["fail", "cut", "stall"] as const;
    proxy.interceptRanges((range) => {
      const action = actions[spoiled.size];
      if (spoiled.has(range) || action === undefined) return "forward";
      spoiled.set(range, action);
      return action;
    });
    const target = join(dir, "restored.qptiff");
    const result = await store.downloadFile("s/big.qptiff", target);
    assert.equal(result?.sha256Hex, file.sha256Hex);
    assert.deepEqual(await Deno.readFile(target), await Deno.readFile(file.path));
    assert.deepEqual([...spoiled.values()].sort(), ["cut", "fail", "stall"]);
    const asked = rangedGets(proxy);
    for (const range of laterRanges(file.size)) {
      assert.equal(
        asked.filter((seen) => seen === range).length,
        spoiled.has(range) ? 2 : 1,
        range,
      );
    }
    // Only the spoiled ranges were asked again: the download did not start over.
    assert.equal(proxy.count("GetObject"), 1 + laterRanges(file.size).length + 3);
  });
});

Deno.test("an object replaced during a ranged download fails it instead of splicing versions", async () => {
  await withProxiedStore(async ({ peer, store, direct, proxy, dir }) => {
    const file = await makeFile(dir, "big.qptiff", 23 * MiB + 3, 11);
    const other = await makeFile(dir, "other.qptiff", 23 * MiB + 3, 12);
    await store.uploadFile({ key: "s/big.qptiff", ...file });
    // Another writer replaces the object at the first ranged GET; every range waits for it, so
    // none sees the moment between (our uploads never replace an object: it goes away first).
    let replacing: Promise<unknown> | undefined;
    proxy.interceptRanges(async (): Promise<RangeAction> => {
      replacing ??= peer.removeObject("s/big.qptiff")
        .then(() => direct.uploadFile({ key: "s/big.qptiff", ...other }));
      await replacing;
      return "forward";
    });
    await assert.rejects(
      store.downloadFile("s/big.qptiff", join(dir, "restored.qptiff")),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        /^s3:\/\/fusion-test\/s\/big\.qptiff changed while it was being downloaded \(its ETag is no longer "[^"]+"\): nothing was spliced; download it again$/
          .test(error.message),
    );
    // S3 itself refused the later ranges (If-Match).
    assert.ok(
      proxy.requests.some((request) => request.range !== undefined && request.status === 412),
    );
  });
});

Deno.test("an object deleted during a ranged download reads as missing", async () => {
  await withProxiedStore(async ({ peer, store, proxy, dir }) => {
    const file = await makeFile(dir, "big.qptiff", 18 * MiB, 13);
    await store.uploadFile({ key: "s/big.qptiff", ...file });
    let removed = false;
    proxy.interceptRanges(async (): Promise<RangeAction> => {
      if (!removed) {
        removed = true;
        await peer.removeObject("s/big.qptiff");
      }
      return "forward";
    });
    assert.equal(await store.downloadFile("s/big.qptiff", join(dir, "restored.qptiff")), undefined);
  });
});

Deno.test("aborting a ranged download stops it with the signal's reason, nothing left running", async () => {
  await withProxiedStore(async ({ store, proxy, dir }) => {
    const file = await makeFile(dir, "big.qptiff", 23 * MiB + 3, 14);
    await store.uploadFile({ key: "s/big.qptiff", ...file });
    const controller = new AbortController();
    const reason = new Error("operator pressed Ctrl+C");
    proxy.interceptRanges(() => {
      controller.abort(reason);
      return "forward";
    });
    await assert.rejects(
      store.downloadFile("s/big.qptiff", join(dir, "restored.qptiff"), {
        signal: controller.signal,
      }),
      (error: unknown) => error === reason,
    );
  });
});
