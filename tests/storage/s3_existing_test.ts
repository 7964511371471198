/**
 * An object already at the key an upload writes, against the S3 peer behind
 * the verifying proxy (which enforces If-None-Match and If-Match as S3
 * does): kept when it holds the file (also in parts of other sizes, proven
 * by S3's checksum of each of its own parts), replaced only when the
 * upload's judge allows it and then only with If-Match on the ETag judged,
 * refused otherwise. Every end state is read back from the peer.
 */
import assert from "node:assert/strict";
import type { Config } from "../../lib/config/mod.ts";
import {
  compositeSha256,
  createS3Store,
  type ReplaceJudge,
  S3StorageError,
  type S3Store,
} from "../../lib/storage/s3.ts";
import { PEER_CREDENTIALS, type S3Peer, withS3Peer } from "../../peers/s3.ts";
import { startVerifyingProxy, type VerifyingProxy } from "../../peers/verifying_proxy.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { makeFile, partDigests } from "./_files.ts";

const MiB = 1024 * 1024;
const A = "instrument=fusion-01;started_at=2025-04-01T02:00:00Z;revision=1";
const B = "instrument=fusion-01;started_at=2025-05-01T02:00:00Z;revision=1";

interface Fixture {
  readonly peer: S3Peer;
  readonly proxy: VerifyingProxy;
  readonly dir: string;
  /** A store through the proxy: 8 MiB threshold and 5 MiB parts unless `settings` say otherwise. */
  store(settings?: Partial<Config["s3"]>): S3Store;
}

async function withProxiedPeer(body: (fixture: Fixture) => Promise<void>): Promise<void> {
  await withTempDir((dir) =>
    withS3Peer(async (peer) => {
      const proxy = await startVerifyingProxy(peer.endpoint);
      const stores: S3Store[] = [];
      try {
        await body({
          peer,
          proxy,
          dir,
          store: (settings = {}) => {
            const store = createS3Store(
              { ...peer.settings, endpoint: proxy.endpoint, ...settings },
              {
                credentials: PEER_CREDENTIALS,
                retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
              },
            );
            stores.push(store);
            return store;
          },
        });
      } finally {
        for (const store of stores) store.close();
        await proxy.stop();
      }
    }, { settings: { multipartThresholdMb: 8, partSizeMb: 5, concurrency: 3 } })
  );
}

async function assertHolds(peer: S3Peer, key: string, file: { size: number; sha256Hex: string }) {
  assert.deepEqual(await peer.fetchObject(key), { size: file.size, sha256Hex: file.sha256Hex });
}

function isExists(message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof S3StorageError, `expected an S3StorageError, got ${error}`);
    assert.equal(error.kind, "exists", error.message);
    assert.match(error.message, message);
    return true;
  };
}

/** The writes of `key` the proxy answered: `<condition> <status>`. */
function writesOf(proxy: VerifyingProxy, key: string, operation: string): string[] {
  return proxy.requests.filter((request) => request.key === key && request.operation === operation)
    .map((request) => `${request.condition ?? "unconditional"} ${request.status}`);
}

/** A judge that lets attempt A's objects be replaced and refuses everything else. */
function judgeOfA(seen: (string | undefined)[]): ReplaceJudge {
  return (attempt) => {
    seen.push(attempt);
    return attempt === A
      ? { replace: true, note: "attempt A never completed" }
      : { replace: false, reason: "not attempt A's: refused" };
  };
}

Deno.test("other content at the key is replaced only when the judge allows it, with If-Match on the ETag it judged", async () => {
  await withProxiedPeer(async ({ peer, proxy, dir, store: makeStore }) => {
    const store = makeStore();
    const seen: (string | undefined)[] = [];
    const judge = judgeOfA(seen);

    // A file in one PUT: the create is refused (412), the replacement names the ETag judged.
    const small = await makeFile(dir, "a1.bin", 1000, 1);
    const smallNew = await makeFile(dir, "a2.bin", 1000, 2);
    await store.uploadFile({ key: "s/a.bin", ...small, attempt: A });
    const judgedEtag = (await store.headObject("s/a.bin"))?.etag;
    const replaced = await store.uploadFile({ key: "s/a.bin", ...smallNew, attempt: B, judge });
    assert.equal(replaced.replaced, "it held other content; attempt A never completed");
    assert.equal(replaced.proof, "validated");
    await assertHolds(peer, "s/a.bin", smallNew);
    assert.equal((await store.headObject("s/a.bin"))?.attempt, B);
    assert.deepEqual(writesOf(proxy, "s/a.bin", "PutObject"), [
      "If-None-Match: * 200",
      "If-None-Match: * 412",
      `If-Match: ${judgedEtag} 200`,
    ]);

    // A file in parts: looked up first, so no part is sent before the judge agreed.
    const big = await makeFile(dir, "big1.qptiff", 12 * MiB, 3);
    const bigNew = await makeFile(dir, "big2.qptiff", 12 * MiB, 4);
    await store.uploadFile({ key: "s/big.qptiff", ...big, attempt: A });
    const bigEtag = (await store.headObject("s/big.qptiff"))?.etag;
    const bigReplaced = await store.uploadFile({
      key: "s/big.qptiff",
      ...bigNew,
      attempt: B,
      judge,
    });
    assert.equal(bigReplaced.replaced, "it held other content; attempt A never completed");
    assert.equal(
      bigReplaced.checksumSha256,
      compositeSha256(await partDigests(bigNew.path, 5 * MiB)),
    );
    await assertHolds(peer, "s/big.qptiff", bigNew);
    assert.equal((await store.headObject("s/big.qptiff"))?.attempt, B);
    assert.deepEqual(writesOf(proxy, "s/big.qptiff", "CompleteMultipartUpload"), [
      "If-None-Match: * 200",
      `If-Match: ${bigEtag} 200`,
    ]);

    // Small bytes (a file list) the same way.
    const encode = (text: string) => new TextEncoder().encode(text);
    await store.putBytes("s/_checksums.sha256", encode("one\n"), "text/plain", undefined, {
      attempt: A,
    });
    const list = await store.putBytes(
      "s/_checksums.sha256",
      encode("two\n"),
      "text/plain",
      undefined,
      {
        attempt: B,
        judge,
      },
    );
    assert.equal(list.replaced, "it held other content; attempt A never completed");
    assert.deepEqual(await peer.fetchObject("s/_checksums.sha256"), {
      size: 4,
      sha256Hex: "27dd8ed44a83ff94d557f9fd0412ed5a8cbca69ea04922d88c01184a07300a5a",
    });

    // Now B's: the judge refuses, the upload fails naming the object, and nothing changes.
    await assert.rejects(
      store.uploadFile({ key: "s/a.bin", ...small, attempt: A, judge }),
      isExists(
        /^s3:\/\/fusion-test\/s\/a\.bin already holds another object \(ChecksumSHA256 is \S+, expected \S+; metadata sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}\): not attempt A's: refused$/,
      ),
    );
    await assertHolds(peer, "s/a.bin", smallNew);
    // An object without a tag (an earlier version's, another program's): the judge hears of none.
    await store.replaceBytes("s/untagged.bin", encode("theirs"), "application/octet-stream");
    await assert.rejects(
      store.putBytes("s/untagged.bin", encode("ours"), undefined, undefined, { attempt: A, judge }),
      isExists(/: not attempt A's: refused$/),
    );
    assert.deepEqual(seen, [A, A, A, B, undefined]);
    // Without a judge nothing is ever replaced.
    await assert.rejects(
      store.uploadFile({ key: "s/a.bin", ...small, attempt: A }),
      isExists(/\): a backup never replaces an object in S3$/),
    );
  });
});

Deno.test("a write between the judgement and the replacement is never replaced", async () => {
  await withProxiedPeer(async ({ peer, proxy, dir, store: makeStore }) => {
    const store = makeStore();
    const direct = createS3Store(peer.settings, { credentials: PEER_CREDENTIALS });
    try {
      const ours = await makeFile(dir, "ours.bin", 1000, 1);
      const newer = await makeFile(dir, "newer.bin", 1000, 2);
      const theirs = await makeFile(dir, "theirs.bin", 1000, 3);
      await store.uploadFile({ key: "s/a.bin", ...ours, attempt: A });
      let puts = 0;
      proxy.interceptRequests(async (request): Promise<"forward"> => {
        // This upload's second PUT is the replacement: another writer gets there first.
        if (request.operation === "PutObject" && request.key === "s/a.bin" && ++puts === 2) {
          await direct.replaceBytes("s/a.bin", await Deno.readFile(theirs.path), "x/y");
        }
        return "forward";
      });
      await assert.rejects(
        store.uploadFile({ key: "s/a.bin", ...newer, attempt: B, judge: judgeOfA([]) }),
        isExists(
          /^s3:\/\/fusion-test\/s\/a\.bin changed while it was being replaced \(another writer\?\): it was not replaced; the next run looks at it again$/,
        ),
      );
      assert.deepEqual(writesOf(proxy, "s/a.bin", "PutObject").slice(1).map((w) => w.slice(-3)), [
        "412",
        "412",
      ]);
      await assertHolds(peer, "s/a.bin", theirs);
    } finally {
      direct.close();
    }
  });
});

Deno.test("the same file in parts of other sizes is kept: S3's checksum of each of its own parts matches the file", async () => {
  await withProxiedPeer(async ({ peer, proxy, dir, store: makeStore }) => {
    const before = makeStore();
    const file = await makeFile(dir, "big.qptiff", 12 * MiB, 5);
    const first = await before.uploadFile({ key: "s/big.qptiff", ...file, attempt: A });
    assert.match(first.checksumSha256, /-3$/, "three parts of 5 MiB");
    const etag = (await before.headObject("s/big.qptiff"))?.etag;

    // part_size_mb changed to 6: this upload would make two parts, so another composite.
    const refuse: ReplaceJudge = () => ({ replace: false, reason: "never" });
    const after = makeStore({ partSizeMb: 6 });
    const kept = await after.uploadFile({
      key: "s/big.qptiff",
      ...file,
      attempt: B,
      judge: refuse,
    });
    assert.equal(kept.proof, "found");
    assert.equal(kept.checksumSha256, first.checksumSha256);
    assert.deepEqual(kept.foundParts, [5 * MiB, 5 * MiB, 2 * MiB]);
    assert.equal(proxy.count("GetObjectAttributes"), 1);
    assert.equal(proxy.count("UploadPart"), 3, "only the first upload's parts were ever sent");
    assert.equal((await after.headObject("s/big.qptiff"))?.etag, etag, "the object is as it was");

    // multipart_threshold_mb raised above the file: one PUT would be made; S3 refuses it and
    // the object there, in two parts of 5 MiB, is proven the same way.
    const ten = await makeFile(dir, "ten.qptiff", 10 * MiB, 6);
    await before.uploadFile({ key: "s/ten.qptiff", ...ten, attempt: A });
    const single = makeStore({ multipartThresholdMb: 16 });
    const found = await single.uploadFile({
      key: "s/ten.qptiff",
      ...ten,
      attempt: B,
      judge: refuse,
    });
    assert.equal(found.proof, "found");
    assert.deepEqual(found.foundParts, [5 * MiB, 5 * MiB]);
    assert.equal(found.multipart, true);
    await assertHolds(peer, "s/ten.qptiff", ten);
    assert.equal((await single.headObject("s/ten.qptiff"))?.attempt, A);
  });
});

Deno.test("an object that claims the file's digest in other parts but holds other bytes is not kept; the attempt's own is replaced", async () => {
  await withProxiedPeer(async ({ peer, dir, store: makeStore }) => {
    const before = makeStore();
    const file = await makeFile(dir, "big.qptiff", 12 * MiB, 7);
    const other = await makeFile(dir, "other.qptiff", 12 * MiB, 8);
    // Other bytes whose metadata says they are the file (S3 checks the bytes, not the metadata).
    await before.uploadFile({
      key: "s/big.qptiff",
      path: other.path,
      size: other.size,
      sha256Hex: file.sha256Hex,
      attempt: A,
    });
    const after = makeStore({ partSizeMb: 6 });
    await assert.rejects(
      after.uploadFile({
        key: "s/big.qptiff",
        ...file,
        attempt: B,
        judge: () => ({ replace: false, reason: "never" }),
      }),
      isExists(
        /already holds another object \(ChecksumSHA256 is \S+-3, expected \S+-2; it has this file's size and sha256 metadata in 3 parts of another size, which could not be proven to hold its bytes: part 1 \(5242880 bytes from byte 0\) holds other bytes\): never$/,
      ),
    );
    await assertHolds(peer, "s/big.qptiff", other);
    const replaced = await after.uploadFile({
      key: "s/big.qptiff",
      ...file,
      attempt: B,
      judge: judgeOfA([]),
    });
    assert.equal(
      replaced.replaced,
      "it has this file's size and sha256 metadata in 3 parts of another size, which could not " +
        "be proven to hold its bytes: part 1 (5242880 bytes from byte 0) holds other bytes; " +
        "attempt A never completed",
    );
    await assertHolds(peer, "s/big.qptiff", file);
  });
});

Deno.test("S3 that does not list an object's parts: the same file in other parts is not proven, and only the attempt's own object is replaced", async () => {
  await withProxiedPeer(async ({ peer, proxy, dir, store: makeStore }) => {
    const file = await makeFile(dir, "big.qptiff", 12 * MiB, 9);
    await makeStore().uploadFile({ key: "s/big.qptiff", ...file, attempt: B });
    proxy.interceptRequests((request) =>
      request.operation === "GetObjectAttributes" ? "fail" : "forward"
    );
    const after = makeStore({ partSizeMb: 6 });
    await assert.rejects(
      after.uploadFile({ key: "s/big.qptiff", ...file, attempt: A, judge: judgeOfA([]) }),
      isExists(
        /in 3 parts of another size, which could not be proven to hold its bytes: S3 did not list its parts \(S3 GetObjectAttributes s3:\/\/fusion-test\/s\/big\.qptiff failed after 3 attempts: SlowDown, HTTP 503, .*\)\): not attempt A's: refused$/,
      ),
    );
    const replaced = await after.uploadFile({
      key: "s/big.qptiff",
      ...file,
      attempt: A,
      judge: () => ({ replace: true, note: "attempt B never completed" }),
    });
    assert.match(
      replaced.replaced ?? "",
      /^it has this file's size .* S3 did not list its parts \(.*\); attempt B never completed$/,
    );
    assert.match(replaced.checksumSha256, /-2$/, "sent again in this upload's two parts");
    await assertHolds(peer, "s/big.qptiff", file);
  });
});
