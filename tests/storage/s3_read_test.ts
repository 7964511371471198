/**
 * Reading the archive back (lib/storage/_s3_read.ts through the S3 store):
 * HeadObject facts, small reads, and restore requests for archive storage
 * classes (downloads: s3_download_test.ts), against the S3 peer
 * (fauxqs plus the peer's archive-class behaviour, peers/s3.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OperationFailedError } from "../../lib/errors.ts";
import {
  createS3Store,
  isArchived,
  parseRestoreHeader,
  type S3Store,
} from "../../lib/storage/s3.ts";
import { PEER_CREDENTIALS, type S3Peer, withS3Peer } from "../../peers/s3.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { makeFile } from "./_files.ts";

const MiB = 1024 * 1024;

async function withStore(
  body: (fixture: { peer: S3Peer; store: S3Store; dir: string }) => Promise<void>,
  storageClass = "STANDARD",
): Promise<void> {
  await withTempDir((dir) =>
    withS3Peer(async (peer) => {
      const store = createS3Store(peer.settings, {
        credentials: PEER_CREDENTIALS,
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      });
      try {
        await body({ peer, store, dir });
      } finally {
        store.close();
      }
    }, { settings: { multipartThresholdMb: 8, partSizeMb: 5, storageClass } })
  );
}

Deno.test("parseRestoreHeader reads S3's x-amz-restore forms", () => {
  assert.deepEqual(parseRestoreHeader('ongoing-request="true"'), {
    ongoing: true,
    expiry: undefined,
  });
  assert.deepEqual(
    parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"'),
    { ongoing: false, expiry: new Date("2012-12-21T00:00:00Z") },
  );
  assert.equal(parseRestoreHeader(undefined), undefined);
  assert.equal(parseRestoreHeader("something else"), undefined);
  assert.deepEqual(parseRestoreHeader('ongoing-request="false", expiry-date="not a date"'), {
    ongoing: false,
    expiry: undefined,
  });
});

Deno.test("isArchived: only GLACIER and DEEP_ARCHIVE, until their restore finished", () => {
  assert.equal(isArchived("STANDARD", undefined), false);
  assert.equal(isArchived("GLACIER_IR", undefined), false);
  assert.equal(isArchived("DEEP_ARCHIVE", undefined), true);
  assert.equal(isArchived("GLACIER", { ongoing: true, expiry: undefined }), true);
  assert.equal(isArchived("GLACIER", { ongoing: false, expiry: new Date() }), false);
});

Deno.test("headObject gives size, class, metadata digest and attempt, checksum and ETag; undefined when missing", async () => {
  await withStore(async ({ store, dir }) => {
    const file = await makeFile(dir, "a.bin", 3 * MiB + 5);
    const attempt = "instrument=fusion-01;started_at=2025-04-01T02:00:03Z;revision=1";
    const uploaded = await store.uploadFile({ key: "s/a.bin", ...file, attempt });
    const info = await store.headObject("s/a.bin");
    assert.match(info?.etag ?? "", /^"[0-9a-f]{32}"$/);
    assert.deepEqual(info, {
      key: "s/a.bin",
      size: file.size,
      storageClass: "STANDARD",
      sha256Hex: file.sha256Hex,
      checksumSha256: uploaded.checksumSha256,
      attempt,
      etag: info?.etag,
      restore: undefined,
      archived: false,
    });
    assert.equal(await store.headObject("s/none.bin"), undefined);
  });
});

Deno.test("getBytes reads a small object with its metadata digest", async () => {
  await withStore(async ({ store }) => {
    const bytes = new TextEncoder().encode("abc\n");
    await store.putBytes("s/_checksums.sha256", bytes, "text/plain");
    const got = await store.getBytes("s/_checksums.sha256");
    assert.deepEqual(got?.bytes, bytes);
    assert.equal(
      got?.sha256Hex,
      "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb",
    );
    assert.equal(await store.getBytes("s/nothing"), undefined);
  });
});

Deno.test("an archived object: HEAD works, GET is refused, RestoreObject starts, then it is readable", async () => {
  await withStore(async ({ peer, store, dir }) => {
    const file = await makeFile(dir, "deep.bin", 1000);
    await store.uploadFile({ key: "s/deep.bin", ...file });
    const before = await store.headObject("s/deep.bin");
    assert.equal(before?.storageClass, "DEEP_ARCHIVE");
    assert.equal(before?.archived, true);
    assert.equal(before?.restore, undefined);
    await assert.rejects(
      store.downloadFile("s/deep.bin", join(dir, "out")),
      (error: unknown) =>
        error instanceof OperationFailedError &&
        /s3:\/\/fusion-test\/s\/deep\.bin is in an archive storage class and not restored/.test(
          error.message,
        ),
    );

    assert.equal(await store.requestRestore("s/deep.bin", { days: 3, tier: "Bulk" }), "started");
    assert.deepEqual(peer.restoreRequests, [{ key: "s/deep.bin", days: 3, tier: "Bulk" }]);
    const waiting = await store.headObject("s/deep.bin");
    assert.deepEqual(waiting?.restore, { ongoing: true, expiry: undefined });
    assert.equal(waiting?.archived, true);
    assert.equal(
      await store.requestRestore("s/deep.bin", { days: 3, tier: "Bulk" }),
      "in_progress",
    );

    peer.finishRestores();
    const ready = await store.headObject("s/deep.bin");
    assert.equal(ready?.restore?.ongoing, false);
    assert.ok(ready?.restore?.expiry instanceof Date);
    assert.equal(ready?.archived, false);
    assert.equal(
      await store.requestRestore("s/deep.bin", { days: 3, tier: "Bulk" }),
      "restored",
    );
    const result = await store.downloadFile("s/deep.bin", join(dir, "out"));
    assert.equal(result?.sha256Hex, file.sha256Hex);
  }, "DEEP_ARCHIVE");
});

Deno.test("bucketVersioning: off until turned on, then enabled, then suspended", async () => {
  await withStore(async ({ peer, store }) => {
    assert.equal(await store.bucketVersioning(), "off");
    await peer.setVersioning("Enabled");
    assert.equal(await store.bucketVersioning(), "enabled");
    await peer.setVersioning("Suspended");
    assert.equal(await store.bucketVersioning(), "suspended");
    assert.equal(peer.count("GetBucketVersioning"), 3);
  });
});
