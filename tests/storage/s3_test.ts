/**
 * lib/storage/s3.ts against the S3 peer (fauxqs on 127.0.0.1, peers/s3.ts).
 * The emulator does not verify checksums, so these tests prove integrity
 * themselves: every uploaded object is downloaded and hashed, and composite
 * checksums are recomputed from local part digests. Tests that need S3 to
 * reject a digest, drop connections or fail put the verifying proxy
 * (peers/verifying_proxy.ts, test code) in front of the peer.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Config } from "../../lib/config/mod.ts";
import { OperationFailedError } from "../../lib/errors.ts";
import { Logger } from "../../lib/log/mod.ts";
import {
  choosePartSize,
  compositeSha256,
  createS3Store,
  S3StorageError,
  type S3Store,
  type S3StoreOptions,
} from "../../lib/storage/s3.ts";
import { PEER_CREDENTIALS, type S3Peer, withS3Peer } from "../../peers/s3.ts";
import { startSilentServer } from "../../peers/silent_tcp.ts";
import { startVerifyingProxy, type VerifyingProxy } from "../../peers/verifying_proxy.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { makeFile, partDigests } from "./_files.ts";

const MiB = 1024 * 1024;
const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

/** `[s3]` for the tests: 8 MiB threshold, 5 MiB parts (the peer takes at most 11 MiB a request). */
const TEST_SETTINGS: Partial<Config["s3"]> = {
  multipartThresholdMb: 8,
  partSizeMb: 5,
  concurrency: 3,
};

/** `[s3]` for a store whose endpoint a test sets: nothing of the peer's. */
const DEAD_SETTINGS: Config["s3"] = {
  bucket: "fusion-test",
  prefix: "",
  region: "us-east-1",
  endpoint: undefined,
  forcePathStyle: true,
  storageClass: "STANDARD",
  multipartThresholdMb: 8,
  partSizeMb: 5,
  concurrency: 2,
  connectTimeoutSeconds: 10,
  idleTimeoutSeconds: 15,
};

interface Fixture {
  readonly peer: S3Peer;
  readonly store: S3Store;
  readonly dir: string;
  /** Set when the test asked for the verifying proxy; the store then talks to it. */
  readonly proxy: VerifyingProxy | undefined;
}

async function withStore(
  body: (fixture: Fixture) => Promise<void>,
  options: {
    settings?: Partial<Config["s3"]>;
    proxy?: boolean;
    store?: S3StoreOptions;
  } = {},
): Promise<void> {
  await withTempDir((dir) =>
    withS3Peer(async (peer) => {
      const proxy = options.proxy ? await startVerifyingProxy(peer.endpoint) : undefined;
      const settings = { ...peer.settings, ...(proxy ? { endpoint: proxy.endpoint } : {}) };
      const store = createS3Store(settings, {
        credentials: PEER_CREDENTIALS,
        retry: FAST_RETRY,
        ...options.store,
      });
      try {
        await body({ peer, store, dir, proxy });
      } finally {
        store.close();
        await proxy?.stop();
      }
    }, { settings: { ...TEST_SETTINGS, ...options.settings } })
  );
}

async function assertStoredIntact(
  peer: S3Peer,
  key: string,
  file: { size: number; sha256Hex: string },
) {
  assert.deepEqual(await peer.fetchObject(key), { size: file.size, sha256Hex: file.sha256Hex });
}

function capturingLogger(): { logger: Logger; logLines: string[] } {
  const logLines: string[] = [];
  return { logger: new Logger({ console: (line) => logLines.push(line) }), logLines };
}

function isKind(kind: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof S3StorageError, `expected an S3StorageError, got ${error}`);
    assert.equal(error.kind, kind, error.message);
    if (message !== undefined) assert.match(error.message, message);
    assert.ok(!error.message.includes("\n"));
    return true;
  };
}

Deno.test("a file up to the threshold goes in one PUT with its full SHA-256, metadata and storage class", async () => {
  await withStore(async ({ peer, store, dir }) => {
    const file = await makeFile(dir, "study/Scan1/a.qptiff", 3 * MiB + 7);
    const progress: number[] = [];
    const result = await store.uploadFile({
      key: "fusion/study/Scan1/a.qptiff",
      ...file,
      onProgress: (done) => progress.push(done),
    });
    const fullBase64 = Buffer.from(file.sha256Hex, "hex").toString("base64");
    assert.deepEqual(result, {
      key: "fusion/study/Scan1/a.qptiff",
      size: file.size,
      checksumSha256: fullBase64,
      multipart: false,
      parts: 1,
      proof: "validated",
    });
    assert.deepEqual(progress, [file.size]);
    assert.equal(peer.count("PutObject"), 1);
    assert.equal(peer.count("UploadPart"), 0);
    const put = peer.requests.find((request) => request.operation === "PutObject");
    assert.equal(put?.storageClass, "DEEP_ARCHIVE");
    await assertStoredIntact(peer, result.key, file);
    assert.deepEqual(
      await store.verifyObject(result.key, { ...file, checksumSha256: result.checksumSha256 }),
      { ok: true },
    );
  }, { settings: { storageClass: "DEEP_ARCHIVE" } });
});

Deno.test("a file may name its own Content-Type and storage class, in one PUT or in parts", async () => {
  await withStore(async ({ peer, store, dir }) => {
    for (
      const [name, size, operation] of [
        ["list.sha256", 3 * MiB, "PutObject"],
        ["big-list.sha256", 9 * MiB, "CreateMultipartUpload"],
      ] as const
    ) {
      const file = await makeFile(dir, name, size);
      const result = await store.uploadFile({
        key: `fusion/${name}`,
        ...file,
        contentType: "text/plain; charset=utf-8",
        storageClass: "STANDARD",
      });
      assert.equal(result.multipart, operation === "CreateMultipartUpload");
      const request = peer.requests.find((request) =>
        request.operation === operation && request.key === `fusion/${name}`
      );
      assert.equal(request?.contentType, "text/plain; charset=utf-8");
      assert.equal(peer.storageClassOf(`fusion/${name}`), "STANDARD");
      await assertStoredIntact(peer, result.key, file);
    }
    const data = await makeFile(dir, "data.bin", MiB);
    await store.uploadFile({ key: "fusion/data.bin", ...data });
    assert.equal(peer.storageClassOf("fusion/data.bin"), "DEEP_ARCHIVE");
  }, { settings: { storageClass: "DEEP_ARCHIVE" } });
});

Deno.test("above the threshold: parts with their own SHA-256, S3's composite matches the local one", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const file = await makeFile(dir, "big.qptiff", 23 * MiB + 5, 7);
    const partSize = choosePartSize(file.size, 5 * MiB);
    const local = compositeSha256(await partDigests(file.path, partSize));
    const progress: number[] = [];
    const result = await store.uploadFile({
      key: "fusion/study/big.qptiff",
      ...file,
      onProgress: (done) => progress.push(done),
    });
    assert.equal(result.multipart, true);
    assert.equal(result.parts, 5);
    assert.equal(result.checksumSha256, local);
    assert.equal(result.proof, "validated", "S3 answered with the composite it computed");
    assert.match(local, /^[A-Za-z0-9+/]{43}=-5$/);
    assert.equal(peer.count("CreateMultipartUpload"), 1);
    assert.equal(peer.count("UploadPart"), 5);
    assert.equal(peer.count("CompleteMultipartUpload"), 1);
    assert.equal(progress.at(-1), file.size);
    assert.ok(proxy !== undefined && proxy.peakInFlight <= 3, "at most [s3].concurrency at once");
    await assertStoredIntact(peer, result.key, file);
    // HeadObject's composite (computed by the emulator from the part checksums) matches ours.
    assert.deepEqual(
      await store.verifyObject(result.key, { ...file, checksumSha256: local }),
      { ok: true },
    );
  }, { proxy: true });
});

Deno.test("part digests handed in by the caller give the same object", async () => {
  await withStore(async ({ peer, store, dir }) => {
    const file = await makeFile(dir, "big.qptiff", 12 * MiB, 3);
    const digests = await partDigests(file.path, choosePartSize(file.size, 5 * MiB));
    const result = await store.uploadFile({ key: "k/big", ...file, partDigests: digests });
    assert.equal(result.checksumSha256, compositeSha256(digests));
    await assertStoredIntact(peer, "k/big", file);
    await assert.rejects(
      store.uploadFile({ key: "k/big2", ...file, partDigests: digests.slice(1) }),
      (error) =>
        error instanceof TypeError &&
        /partDigests has 2 digests but .* has 3 parts/.test(error.message),
    );
  });
});

Deno.test("an empty file is one PUT with the SHA-256 of nothing", async () => {
  await withStore(async ({ peer, store, dir }) => {
    const file = await makeFile(dir, "empty.txt", 0);
    const result = await store.uploadFile({ key: "study/empty.txt", ...file });
    assert.equal(result.checksumSha256, createHash("sha256").digest("base64"));
    assert.equal(result.multipart, false);
    await assertStoredIntact(peer, "study/empty.txt", file);
    assert.deepEqual(await store.verifyObject("study/empty.txt", { ...file, ...result }), {
      ok: true,
    });
    assert.equal((await store.listSizes("study/")).get("study/empty.txt"), 0);
  });
});

Deno.test("keys with spaces, unicode and URL-special characters round-trip", async () => {
  await withStore(async ({ peer, store, dir }) => {
    const keys = [
      "fusion/20250301_alice lung_panel 1/Scan 1/ü ñ 漢字.qptiff",
      "fusion/odd/a+b=c&d#e%f?g.txt",
      "fusion/odd/emoji 🧪 (copy).txt",
    ];
    for (const [index, key] of keys.entries()) {
      const file = await makeFile(dir, `f${index}`, 1000 + index, index + 1);
      const result = await store.uploadFile({ key, ...file });
      await assertStoredIntact(peer, key, file);
      assert.deepEqual(await store.verifyObject(key, { ...file, ...result }), { ok: true });
    }
    assert.deepEqual([...(await store.listSizes("fusion/")).keys()].sort(), [...keys].sort());
  });
});

Deno.test("verifyObject reports a wrong size, checksum or digest metadata, and a missing object", async () => {
  await withStore(async ({ store, dir }) => {
    const file = await makeFile(dir, "a.bin", 4096);
    const result = await store.uploadFile({ key: "a.bin", ...file });
    const expected = {
      size: file.size,
      sha256Hex: file.sha256Hex,
      checksumSha256: result.checksumSha256,
    };
    assert.deepEqual(await store.verifyObject("a.bin", expected), { ok: true });

    const wrongSize = await store.verifyObject("a.bin", { ...expected, size: 4097 });
    assert.equal(wrongSize.ok, false);
    assert.match(
      !wrongSize.ok ? wrongSize.reason : "",
      /s3:\/\/fusion-test\/a\.bin: size is 4096 bytes, expected 4097/,
    );

    const otherHex = createHash("sha256").update("other").digest("hex");
    const wrongChecksum = await store.verifyObject("a.bin", {
      ...expected,
      checksumSha256: Buffer.from(otherHex, "hex").toString("base64"),
    });
    assert.match(!wrongChecksum.ok ? wrongChecksum.reason : "", /ChecksumSHA256 is .*, expected /);

    const wrongMetadata = await store.verifyObject("a.bin", { ...expected, sha256Hex: otherHex });
    assert.match(
      !wrongMetadata.ok ? wrongMetadata.reason : "",
      /metadata sha256 is [0-9a-f]{64}, expected /,
    );

    const missing = await store.verifyObject("nope.bin", expected);
    assert.deepEqual(missing, { ok: false, reason: "s3://fusion-test/nope.bin does not exist" });
  });
});

Deno.test("putBytes stores small bytes with their SHA-256 and an optional storage class", async () => {
  await withStore(async ({ peer, store }) => {
    const text = new TextEncoder().encode('{"backup_name":"fusion-01/x"}\n');
    const result = await store.putBytes(
      "_manifest/2025-04.jsonl",
      text,
      "application/x-ndjson",
      "STANDARD",
    );
    const hex = createHash("sha256").update(text).digest("hex");
    assert.equal(result.checksumSha256, createHash("sha256").update(text).digest("base64"));
    await assertStoredIntact(peer, "_manifest/2025-04.jsonl", {
      size: text.length,
      sha256Hex: hex,
    });
    assert.deepEqual(
      await store.verifyObject("_manifest/2025-04.jsonl", {
        size: text.length,
        sha256Hex: hex,
        checksumSha256: result.checksumSha256,
      }),
      { ok: true },
    );
    assert.equal(
      peer.requests.find((request) => request.operation === "PutObject")?.storageClass,
      "STANDARD",
    );
    assert.equal(store.uri("_manifest/2025-04.jsonl"), "s3://fusion-test/_manifest/2025-04.jsonl");
  }, { settings: { storageClass: "GLACIER" } });
});

const encode = (text: string) => new TextEncoder().encode(text);

/** A store straight to the peer, beside the one under test: another writer. */
function directStore(peer: S3Peer): S3Store {
  return createS3Store(peer.settings, { credentials: PEER_CREDENTIALS, retry: FAST_RETRY });
}

Deno.test("an object with other content at the key is never replaced: the upload fails naming it", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const small = await makeFile(dir, "a.bin", 1000, 1);
    const smallOther = await makeFile(dir, "a2.bin", 1000, 2);
    await store.uploadFile({ key: "s/a.bin", ...small });
    await assert.rejects(
      store.uploadFile({ key: "s/a.bin", ...smallOther }),
      isKind(
        "exists",
        /^s3:\/\/fusion-test\/s\/a\.bin already holds another object \(ChecksumSHA256 is \S+, expected \S+; metadata sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}\): a backup never replaces an object in S3$/,
      ),
    );
    assert.ok(
      proxy!.requests.some((request) =>
        request.operation === "PutObject" && request.status === 412
      ),
      "S3 refused the write (If-None-Match: *)",
    );
    await assertStoredIntact(peer, "s/a.bin", small);

    const big = await makeFile(dir, "big.qptiff", 12 * MiB, 3);
    const bigOther = await makeFile(dir, "big2.qptiff", 12 * MiB, 4);
    await store.uploadFile({ key: "s/big.qptiff", ...big });
    const partsBefore = proxy!.count("UploadPart");
    await assert.rejects(
      store.uploadFile({ key: "s/big.qptiff", ...bigOther }),
      isKind("exists", /^s3:\/\/fusion-test\/s\/big\.qptiff already holds another object /),
    );
    assert.equal(proxy!.count("UploadPart"), partsBefore, "not a part is sent for it");
    await assertStoredIntact(peer, "s/big.qptiff", big);

    await store.putBytes("s/_checksums.sha256", encode("one\n"));
    await assert.rejects(
      store.putBytes("s/_checksums.sha256", encode("two\n")),
      isKind("exists", /^s3:\/\/fusion-test\/s\/_checksums\.sha256 already holds another object/),
    );
    await assertStoredIntact(peer, "s/_checksums.sha256", {
      size: 4,
      sha256Hex: createHash("sha256").update("one\n").digest("hex"),
    });
  }, { proxy: true });
});

Deno.test("the same content already at the key is confirmed and kept, not sent again", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const small = await makeFile(dir, "a.bin", 1000, 1);
    const big = await makeFile(dir, "big.qptiff", 12 * MiB, 3);
    const first = [
      await store.uploadFile({ key: "s/a.bin", ...small }),
      await store.uploadFile({ key: "s/big.qptiff", ...big }),
      await store.putBytes("s/marker/", new Uint8Array(0), "application/x-directory"),
    ];
    assert.deepEqual(first.map((result) => result.proof), ["validated", "validated", "validated"]);
    const partsBefore = proxy!.count("UploadPart");
    // A later run that does not know about them (its manifest was lost) uploads them again.
    const again = [
      await store.uploadFile({ key: "s/a.bin", ...small }),
      await store.uploadFile({ key: "s/big.qptiff", ...big }),
      await store.putBytes("s/marker/", new Uint8Array(0), "application/x-directory"),
    ];
    assert.deepEqual(again.map((result) => result.proof), ["found", "found", "found"]);
    assert.deepEqual(
      again.map((result) => result.checksumSha256),
      first.map((r) => r.checksumSha256),
    );
    assert.equal(proxy!.count("UploadPart"), partsBefore);
    assert.equal(
      proxy!.requests.filter((request) =>
        request.operation === "PutObject" && request.status === 412
      )
        .length,
      2,
      "the small file and the marker: S3 refused each, HeadObject then confirmed it",
    );
    await assertStoredIntact(peer, "s/a.bin", small);
    await assertStoredIntact(peer, "s/big.qptiff", big);
  }, { proxy: true });
});

Deno.test("a multipart completion refused because another writer finished first is settled by what is there", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const direct = directStore(peer);
    try {
      // 10 MiB: two parts for the store, one PUT for the other writer (full-object checksum).
      const file = await makeFile(dir, "ours.qptiff", 10 * MiB, 5);
      const cases = [
        { key: "s/same", theirs: file, settled: "found" },
        { key: "s/other", theirs: await makeFile(dir, "theirs.qptiff", 10 * MiB, 6), settled: "" },
      ];
      for (const { key, theirs, settled } of cases) {
        // Another writer finishes first, while the completion is on its way.
        proxy!.interceptRequests(async (request): Promise<"forward"> => {
          if (request.operation === "CompleteMultipartUpload" && request.key === key) {
            await direct.putBytes(key, await Deno.readFile(theirs.path));
          }
          return "forward";
        });
        const upload = store.uploadFile({ key, ...file });
        if (settled === "found") {
          const result = await upload;
          assert.equal(result.proof, "found", "the same bytes, proven by their full SHA-256");
        } else {
          await assert.rejects(upload, isKind("exists", /already holds another object/));
        }
        assert.ok(
          proxy!.requests.some((request) =>
            request.operation === "CompleteMultipartUpload" && request.key === key &&
            request.status === 412
          ),
        );
        await assertStoredIntact(peer, key, theirs);
      }
    } finally {
      direct.close();
    }
  }, { proxy: true });
});

Deno.test("replaceBytes replaces the object at its key (the manifest mirror)", async () => {
  await withStore(async ({ peer, store }) => {
    await store.replaceBytes("_manifest/2025-04.jsonl", encode("a\n"), "application/x-ndjson");
    const longer = encode("a\nb\n");
    const result = await store.replaceBytes(
      "_manifest/2025-04.jsonl",
      longer,
      "application/x-ndjson",
    );
    assert.equal(result.proof, "validated");
    await assertStoredIntact(peer, "_manifest/2025-04.jsonl", {
      size: longer.length,
      sha256Hex: createHash("sha256").update(longer).digest("hex"),
    });
  }, { proxy: true });
});

Deno.test("a body corrupted in flight is rejected with BadDigest as a clear error (single PUT)", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const file = await makeFile(dir, "a.qptiff", 2 * MiB);
    proxy!.corruptBodies(1);
    await assert.rejects(
      store.uploadFile({ key: "study/a.qptiff", ...file }),
      isKind(
        "checksum_rejected",
        /^S3 rejected the SHA-256 checksum of PutObject s3:\/\/fusion-test\/study\/a\.qptiff \(BadDigest\)/,
      ),
    );
    assert.equal(proxy!.count("PutObject"), 1, "a rejected checksum is not retried");
    assert.equal(peer.count("PutObject"), 0, "nothing reached the store");
  }, { proxy: true });
});

Deno.test("a file that no longer matches its recorded hash is rejected by S3 (multipart part)", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const file = await makeFile(dir, "big.qptiff", 12 * MiB, 5);
    const wrong = await partDigests(file.path, 5 * MiB);
    wrong[1] = new Uint8Array(createHash("sha256").update("not part two").digest());
    await assert.rejects(
      store.uploadFile({ key: "study/big.qptiff", ...file, partDigests: wrong }),
      isKind(
        "checksum_rejected",
        /UploadPart s3:\/\/fusion-test\/study\/big\.qptiff \(BadDigest\)/,
      ),
    );
    assert.equal(peer.count("CompleteMultipartUpload"), 0, "the upload is never completed");
    assert.equal((await store.listSizes("study/")).size, 0);
    assert.ok(proxy !== undefined);
  }, { proxy: true });
});

Deno.test("a file whose size changed since it was hashed is refused before sending", async () => {
  await withStore(async ({ peer, store, dir }) => {
    const file = await makeFile(dir, "a.bin", 1000);
    await assert.rejects(
      store.uploadFile({ key: "a.bin", ...file, size: 999 }),
      (error) =>
        error instanceof OperationFailedError &&
        /is 1000 bytes, not the 999 bytes/.test(error.message),
    );
    assert.equal(peer.count("PutObject"), 0);
  });
});

Deno.test("transient 503s are retried with backoff and the upload succeeds", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const file = await makeFile(dir, "a.bin", 300_000);
    proxy!.failNext(2, 503);
    const result = await store.uploadFile({ key: "a.bin", ...file });
    assert.equal(proxy!.count("PutObject"), 3);
    assert.equal(peer.count("PutObject"), 1);
    await assertStoredIntact(peer, result.key, file);
  }, { proxy: true });
});

Deno.test("persistent 503s give up after the policy's attempts", async () => {
  await withStore(async ({ store, dir, proxy }) => {
    const file = await makeFile(dir, "a.bin", 1000);
    proxy!.failNext(10, 503);
    await assert.rejects(
      store.uploadFile({ key: "a.bin", ...file }),
      isKind(
        "service",
        /^S3 PutObject s3:\/\/fusion-test\/a\.bin failed after 3 attempts: SlowDown, HTTP 503/,
      ),
    );
    assert.equal(proxy!.count("PutObject"), 3);
  }, { proxy: true });
});

Deno.test("an endpoint that refuses connections is reported as unreachable, once per store", async () => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address !== null ? address.port : 0)
      );
    });
  });
  const settings: Config["s3"] = { ...DEAD_SETTINGS, endpoint: `http://127.0.0.1:${port}` };
  const refused = new RegExp(
    `^cannot reach S3 at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED after 3 attempts\\): check the network/endpoint$`,
  );
  await withTempDir(async (dir) => {
    const file = await makeFile(dir, "a.bin", 10);
    const store = createS3Store(settings, { credentials: PEER_CREDENTIALS, retry: FAST_RETRY });
    try {
      const before = store.outage;
      await assert.rejects(
        store.uploadFile({ key: "a.bin", ...file }),
        isKind("unreachable", refused),
      );
      assert.equal(before, undefined);
      assert.match(store.outage?.message ?? "", refused);
      // Every later request of this store fails at once, saying why.
      for (const later of [store.listSizes(""), store.downloadFile("a.bin", join(dir, "out"))]) {
        await assert.rejects(
          later,
          isKind(
            "unreachable",
            /^\w+ s3:\/\/fusion-test\/\S* not tried: S3 did not answer earlier in this run \(cannot reach S3 at .* \(ECONNREFUSED after 3 attempts\): check the network\/endpoint\)$/,
          ),
        );
      }
    } finally {
      store.close();
    }
    // Downloads go through fetch: its failures read the same.
    const fresh = createS3Store(settings, { credentials: PEER_CREDENTIALS, retry: FAST_RETRY });
    try {
      await assert.rejects(
        fresh.downloadFile("a.bin", join(dir, "out")),
        isKind("unreachable", refused),
      );
    } finally {
      fresh.close();
    }
  });
});

Deno.test("dropped connections are retried, then reported as unreachable", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const file = await makeFile(dir, "a.bin", 10);
    const dropped = /^cannot reach S3 at http:\/\/127\.0\.0\.1:\d+ \(\w+ after 3 attempts\)/;
    proxy!.refuseConnections(true);
    await assert.rejects(
      store.uploadFile({ key: "a.bin", ...file }),
      isKind("unreachable", dropped),
    );
    proxy!.refuseConnections(false);
    // The next run's store tries again.
    const next = createS3Store({ ...peer.settings, endpoint: proxy!.endpoint }, {
      credentials: PEER_CREDENTIALS,
      retry: FAST_RETRY,
    });
    try {
      const result = await next.uploadFile({ key: "a.bin", ...file });
      assert.equal(result.size, 10);
      proxy!.refuseConnections(true);
      await assert.rejects(
        next.downloadFile("a.bin", join(dir, "out")),
        isKind("unreachable", dropped),
      );
    } finally {
      next.close();
    }
  }, { proxy: true });
});

Deno.test("an endpoint that accepts connections and never answers: each attempt ends at the idle timeout, once per store", async () => {
  const silent = startSilentServer();
  await withTempDir(async (dir) => {
    const file = await makeFile(dir, "a.bin", 10);
    const settings = {
      ...DEAD_SETTINGS,
      endpoint: silent.endpoint,
      connectTimeoutSeconds: 1,
      idleTimeoutSeconds: 1,
    };
    const timedOut = new RegExp(
      `^cannot reach S3 at ${
        silent.endpoint.replaceAll(".", "\\.")
      } \\(ETIMEDOUT after 3 attempts\\): check the network/endpoint$`,
    );
    const store = createS3Store(settings, { credentials: PEER_CREDENTIALS, retry: FAST_RETRY });
    try {
      const began = performance.now();
      await assert.rejects(
        store.uploadFile({ key: "a.bin", ...file }),
        isKind("unreachable", timedOut),
      );
      const seconds = (performance.now() - began) / 1000;
      assert.equal(silent.accepted, 3, "one connection per attempt");
      // A correctness bound, not a benchmark: 3 attempts of a 1 s idle timeout, then no more.
      assert.ok(seconds >= 2.5 && seconds < 30, `${seconds} s`);
      await assert.rejects(store.listSizes(""), isKind("unreachable", /not tried/));
      assert.equal(silent.accepted, 3, "a store that found S3 unreachable does not ask again");
    } finally {
      store.close();
    }
    // Downloads (through fetch) are bounded by the same idle timeout.
    const fresh = createS3Store(settings, { credentials: PEER_CREDENTIALS, retry: FAST_RETRY });
    try {
      await assert.rejects(
        fresh.downloadFile("a.bin", join(dir, "out")),
        isKind("unreachable", timedOut),
      );
    } finally {
      fresh.close();
    }
  }).finally(() => silent.stop());
});

Deno.test("an endpoint that answers, then goes quiet half-way through a request body, is abandoned at the idle timeout", async () => {
  await withStore(async ({ peer, store, dir, proxy }) => {
    const first = await makeFile(dir, "a.bin", 2 * MiB, 1);
    const second = await makeFile(dir, "b.bin", 2 * MiB, 2);
    proxy!.stallAfter(1);
    await store.uploadFile({ key: "s/a.bin", ...first });
    await assert.rejects(
      store.uploadFile({ key: "s/b.bin", ...second }),
      isKind("unreachable", /^cannot reach S3 at \S+ \(ETIMEDOUT after 3 attempts\)/),
    );
    assert.deepEqual(new Set(proxy!.stalled.map((request) => request.key)), new Set(["s/b.bin"]));
    await assertStoredIntact(peer, "s/a.bin", first);
    assert.equal(peer.storageClassOf("s/b.bin"), undefined, "nothing half-written is stored");
  }, { proxy: true, settings: { idleTimeoutSeconds: 1 } });
});

Deno.test("access denied and a missing bucket are clear errors", async () => {
  await withStore(async ({ store, dir, proxy }) => {
    const file = await makeFile(dir, "a.bin", 10);
    proxy!.denyAccess(true);
    await assert.rejects(
      store.uploadFile({ key: "a.bin", ...file }),
      isKind("access_denied", /^access denied by S3 for PutObject s3:\/\/fusion-test\/a\.bin/),
    );
    await assert.rejects(
      store.verifyObject("a.bin", { size: 10, sha256Hex: file.sha256Hex, checksumSha256: "x" }),
      isKind("access_denied", /HeadObject/),
    );
    assert.equal(proxy!.count("PutObject"), 1, "not retried");
  }, { proxy: true });
  await withStore(async ({ peer, dir }) => {
    const file = await makeFile(dir, "a.bin", 10);
    const store = createS3Store({ ...peer.settings, bucket: "no-such-bucket" }, {
      credentials: PEER_CREDENTIALS,
      retry: FAST_RETRY,
    });
    try {
      await assert.rejects(
        store.uploadFile({ key: "a.bin", ...file }),
        isKind(
          "no_such_bucket",
          /^S3 bucket 'no-such-bucket' does not exist at http:\/\/127\.0\.0\.1:\d+: check \[s3\] bucket/,
        ),
      );
      await assert.rejects(store.listSizes(""), isKind("no_such_bucket"));
    } finally {
      store.close();
    }
  });
});

Deno.test("no credentials anywhere in the SDK's chain is a clear error", async () => {
  const names = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
  ];
  const saved = new Map(names.map((name) => [name, Deno.env.get(name)]));
  await withTempDir(async (dir) => {
    try {
      for (const name of names) Deno.env.delete(name);
      // Empty profile files, and no instance-metadata lookup (it would leave 127.0.0.1).
      Deno.env.set("AWS_SHARED_CREDENTIALS_FILE", `${dir}/credentials`);
      Deno.env.set("AWS_CONFIG_FILE", `${dir}/config`);
      Deno.env.set("AWS_EC2_METADATA_DISABLED", "true");
      await withStore(async ({ peer, dir: work }) => {
        const file = await makeFile(work, "a.bin", 10);
        const store = createS3Store(peer.settings, { retry: FAST_RETRY });
        try {
          await assert.rejects(
            store.uploadFile({ key: "a.bin", ...file }),
            isKind(
              "credentials",
              /^no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
            ),
          );
          assert.equal(peer.count("PutObject"), 0);
          // The same chain finds credentials in the environment.
          Deno.env.set("AWS_ACCESS_KEY_ID", "from-env");
          Deno.env.set("AWS_SECRET_ACCESS_KEY", "from-env-secret");
          const withEnv = createS3Store(peer.settings, { retry: FAST_RETRY });
          try {
            assert.equal((await withEnv.uploadFile({ key: "a.bin", ...file })).size, 10);
          } finally {
            withEnv.close();
          }
        } finally {
          store.close();
        }
      });
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) Deno.env.delete(name);
        else Deno.env.set(name, value);
      }
    }
  });
});

Deno.test("listSizes reads every page and only keys under the prefix", async () => {
  await withStore(async ({ peer, store }) => {
    const expected = new Map<string, number>();
    for (let index = 0; index < 25; index++) {
      const key = `fusion/fusion-01/study/file${String(index).padStart(2, "0")}.txt`;
      const bytes = new Uint8Array(index);
      await store.putBytes(key, bytes);
      expected.set(key, index);
    }
    await store.putBytes("fusion/fusion-01/study2/other.txt", new Uint8Array(3));
    peer.clearRequests();
    const sizes = await store.listSizes("fusion/fusion-01/study/");
    assert.deepEqual(sizes, expected);
    assert.equal(peer.count("ListObjects"), 4, "25 keys in pages of 7");
    assert.equal((await store.listSizes("fusion/fusion-01/")).size, 26);
    assert.equal((await store.listSizes("nothing/")).size, 0);
  }, { store: { listPageSize: 7 } });
});

Deno.test("storageUsage sums objects and bytes per storage class, every page read", async () => {
  await withStore(async ({ peer, store }) => {
    for (let index = 0; index < 10; index++) {
      await store.putBytes(`fusion/fusion-01/study/f${index}`, new Uint8Array(100 + index));
    }
    await store.putBytes(
      "fusion/fusion-01/study/_checksums.sha256",
      new Uint8Array(64),
      "text/plain",
      "STANDARD",
    );
    await store.putBytes(
      "fusion/_manifest/2026-11.jsonl",
      new Uint8Array(5),
      "text/plain",
      "STANDARD",
    );
    await store.putBytes("elsewhere/x", new Uint8Array(7));
    peer.clearRequests();
    const usage = await store.storageUsage("fusion/");
    assert.deepEqual(
      usage,
      new Map([
        ["DEEP_ARCHIVE", { objects: 10, bytes: 10 * 100 + 45 }],
        ["STANDARD", { objects: 2, bytes: 69 }],
      ]),
    );
    assert.equal(peer.count("ListObjects"), 3, "12 keys in pages of 5");
    assert.deepEqual(await store.storageUsage("nothing/"), new Map());
  }, { settings: { storageClass: "DEEP_ARCHIVE" }, store: { listPageSize: 5 } });
});

Deno.test("an interrupted multipart upload is resumed: only the missing parts are sent", async () => {
  const { logger, logLines } = capturingLogger();
  await withStore(async ({ peer, store, dir }) => {
    const file = await makeFile(dir, "big.qptiff", 31 * MiB, 11);
    const key = "fusion/study/big.qptiff";
    const controller = new AbortController();
    await assert.rejects(
      store.uploadFile({
        key,
        ...file,
        signal: controller.signal,
        // Stop once two parts are in S3.
        onProgress: (done) => {
          if (done >= 2 * 5 * MiB) controller.abort(new Error("interrupted by the test"));
        },
      }),
      /interrupted by the test/,
    );
    assert.equal(peer.count("CompleteMultipartUpload"), 0);
    const pending = await store.findResumableUpload(key);
    assert.ok(pending !== undefined, "the unfinished upload is left for the next run");
    const held = pending.parts.size;
    assert.ok(held >= 2 && held < 7, `parts held: ${held}`);

    peer.clearRequests();
    const result = await store.uploadFile({ key, ...file });
    assert.equal(peer.count("CreateMultipartUpload"), 0, "the same upload continues");
    assert.equal(peer.count("ListParts"), 1);
    assert.equal(peer.count("UploadPart"), 7 - held, "only the missing parts are sent");
    const sent = peer.requests.filter((request) => request.operation === "UploadPart")
      .map((request) => request.partNumber);
    for (const partNumber of pending.parts.keys()) assert.ok(!sent.includes(partNumber));

    // The same object an uninterrupted upload makes.
    const local = compositeSha256(await partDigests(file.path, 5 * MiB));
    assert.equal(result.checksumSha256, local);
    assert.equal(result.parts, 7);
    await assertStoredIntact(peer, key, file);
    assert.deepEqual(await store.verifyObject(key, { ...file, checksumSha256: local }), {
      ok: true,
    });
    assert.equal(await store.findResumableUpload(key), undefined);
    assert.ok(
      logLines.includes(
        `s3://fusion-test/${key}: resumed an unfinished upload; ${held} of 7 parts were ` +
          "already in S3 and not sent again",
      ),
      logLines.join("\n"),
    );
  }, { settings: { concurrency: 2 }, store: { logger } });
});

Deno.test("an unfinished upload of other content is not trusted: the file is uploaded whole", async () => {
  const { logger, logLines } = capturingLogger();
  await withStore(async ({ peer, store, dir, proxy }) => {
    const key = "fusion/study/big.qptiff";
    const before = await makeFile(dir, "before.qptiff", 16 * MiB, 21);
    const controller = new AbortController();
    await assert.rejects(
      store.uploadFile({
        key,
        ...before,
        signal: controller.signal,
        onProgress: () => controller.abort(new Error("interrupted")),
      }),
      /interrupted/,
    );
    assert.ok(((await store.findResumableUpload(key))?.parts.size ?? 0) >= 1);
    // The same name now holds other bytes (the study was re-exported).
    const after = await makeFile(dir, "after.qptiff", 16 * MiB, 22);
    const result = await store.uploadFile({ key, ...after });
    await assertStoredIntact(peer, key, after);
    assert.deepEqual(
      await store.verifyObject(key, { ...after, checksumSha256: result.checksumSha256 }),
      { ok: true },
    );
    assert.equal(result.checksumSha256, compositeSha256(await partDigests(after.path, 5 * MiB)));
    assert.ok(logLines.some((line) => /carried another file's sha256 metadata/.test(line)));
    // The second completion replaced only the object the first had just made (If-Match).
    assert.deepEqual(
      proxy!.requests.filter((request) => request.operation === "CompleteMultipartUpload")
        .map((request) => request.status),
      [200, 200],
    );
  }, { proxy: true, settings: { concurrency: 1 }, store: { logger } });
});
