/**
 * The S3 test peer: the `fauxqs` emulator (real HTTP S3 protocol, multipart,
 * composite SHA-256 checksums) running in this process on 127.0.0.1.
 *
 * Test code, declared as such: fauxqs 2.4.1 lacks two read-only actions that
 * resumable uploads need, ListMultipartUploads and ListParts. This peer adds
 * them on top of the emulator, answering from the multipart uploads and parts
 * that fauxqs itself accepted (observed as they pass through its request
 * hooks). It also logs every request, so tests can count what the client sent.
 *
 * It also plays S3's archive storage classes, which fauxqs ignores: it
 * remembers the class each object was stored with and names it in HeadObject
 * and GetObject (`x-amz-storage-class`) and in listings (`<StorageClass>`,
 * which fauxqs always says is STANDARD), refuses GetObject of a GLACIER or
 * DEEP_ARCHIVE object that is not restored (403 InvalidObjectState), and
 * answers RestoreObject as S3 does (202 started, 409 RestoreAlreadyInProgress,
 * 200 already restored) with the `x-amz-restore` header on HeadObject. The
 * hours a real retrieval takes pass when a test calls `finishRestores()`.
 *
 * And bucket versioning's state, which fauxqs lacks: PutBucketVersioning sets
 * it and GetBucketVersioning reports it (the emulator keeps no old versions;
 * only the state is played).
 *
 * Why not `startFauxqs()`: it binds 0.0.0.0 and asks the OS for its network
 * interfaces, which the tests' permissions (net=127.0.0.1) rightly refuse; so
 * the peer builds the same app with `buildApp()` and listens on 127.0.0.1.
 * Objects live in memory: fine for tests, and `deno task bench` runs the peer
 * in a child process (`s3_server.ts`) so its memory is not counted as ours.
 *
 * Known limits of the emulator (fauxqs 2.4.1): it does not verify the
 * checksums it is sent (tests that need S3 to reject a bad digest put
 * `verifying_proxy.ts` in front), and refuses request bodies over 11 MiB (use
 * parts of 5-10 MiB).
 *
 * @module
 */
import { buildApp } from "fauxqs";
import { createHash } from "node:crypto";
import type { Config } from "../lib/config/mod.ts";

/** Dummy credentials the emulator accepts (it does not check signatures). */
export const PEER_CREDENTIALS = { accessKeyId: "fusion-test", secretAccessKey: "fusion-test" };

/** One request the peer answered. */
export interface PeerRequest {
  readonly method: string;
  /** The S3 action, e.g. "PutObject", "UploadPart", "ListParts". */
  readonly operation: string;
  readonly bucket: string;
  /** The object key, decoded; "" for bucket-level requests. */
  readonly key: string;
  readonly partNumber?: number;
  readonly storageClass?: string;
  /** The request's Content-Type header, when it has one. */
  readonly contentType?: string;
  readonly status: number;
}

/** A running peer. */
export interface S3Peer {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly bucket: string;
  /** `[s3]` settings pointing at this peer, for `createS3Store`. */
  readonly settings: Config["s3"];
  /** Environment for a child process (CLI tests): dummy credentials, region, no IMDS lookups. */
  readonly env: Readonly<Record<string, string>>;
  /** Every request answered so far, in order. */
  readonly requests: readonly PeerRequest[];
  /** Requests of one operation, e.g. `count("UploadPart")`. */
  count(operation: string): number;
  /** Forgets the request log. */
  clearRequests(): void;
  /**
   * Downloads an object (unsigned GET; the emulator does not check signatures) and hashes it.
   * Archived objects too: this is the test looking inside the store, not a client.
   */
  fetchObject(key: string): Promise<{ size: number; sha256Hex: string }>;
  /** The storage class an object was stored with, or undefined when the peer holds no such object. */
  storageClassOf(key: string): string | undefined;
  /** Every RestoreObject request S3 accepted (202), in order. */
  readonly restoreRequests: readonly RestoreRequestSeen[];
  /** Ends every restore in progress: the objects become readable, as S3 does hours later. */
  finishRestores(): void;
  /**
   * Flips one byte of a stored object in place, keeping its metadata (the
   * `sha256` of the original bytes) and storage class: bit rot in the archive.
   * Objects up to 10 MiB (it is written back in one PUT, within the emulator's limit).
   */
  corruptObject(key: string, offset?: number): Promise<void>;
  /** Deletes an object, as an accident or an attacker would. */
  removeObject(key: string): Promise<void>;
  /** Turns the bucket's versioning on or suspends it, as an administrator does (PutBucketVersioning). */
  setVersioning(status: "Enabled" | "Suspended"): Promise<void>;
  stop(): Promise<void>;
}

/** A restore request the peer accepted. */
export interface RestoreRequestSeen {
  readonly key: string;
  readonly days: number | undefined;
  readonly tier: string | undefined;
}

/** Options of {@link startS3Peer}. */
export interface S3PeerOptions {
  /** Bucket created at start; default "fusion-test". */
  readonly bucket?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** Overrides of the `[s3]` settings handed out (part size, threshold, ...). */
  readonly settings?: Partial<Config["s3"]>;
}

interface TrackedPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksumSha256: string | undefined;
  readonly lastModified: Date;
}

interface TrackedUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: Date;
  readonly checksumAlgorithm: string | undefined;
  readonly storageClass: string;
  readonly parts: Map<number, TrackedPart>;
}

/** What the peer remembers of a stored object: its class and any restore of it. */
interface TrackedObject {
  readonly storageClass: string;
  restore: "ongoing" | "done" | undefined;
}

const ARCHIVE_CLASSES = ["GLACIER", "DEEP_ARCHIVE"];
/** Marks the peer's own reads (fetchObject, corruptObject): they see archived bytes too. */
const PEEK_HEADER = "x-fusion-test-peek";

// The slice of Fastify's request and reply objects the hooks use.
interface HookRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly query: unknown;
  readonly params: unknown;
  readonly body: unknown;
}
interface HookReply {
  readonly statusCode: number;
  getHeader(name: string): unknown;
  header(name: string, value: string): HookReply;
  status(code: number): HookReply;
  send(payload?: string): HookReply;
}

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

function unescapeXml(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'").replaceAll("&amp;", "&");
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function target(
  request: HookRequest,
): { bucket: string; key: string; query: Record<string, string> } {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const query = (request.query ?? {}) as Record<string, string>;
  return { bucket: params["bucket"] ?? "", key: params["*"] ?? "", query };
}

/** Names the S3 action of a request, from its method and query (path-style URLs). */
export function s3Operation(method: string, key: string, query: Record<string, string>): string {
  const has = (name: string) => Object.hasOwn(query, name);
  if (key === "") {
    if (method === "GET") {
      if (has("versioning")) return "GetBucketVersioning";
      return has("uploads") ? "ListMultipartUploads" : "ListObjects";
    }
    if (method === "PUT") return has("versioning") ? "PutBucketVersioning" : "CreateBucket";
    if (method === "HEAD") return "HeadBucket";
    return `${method}Bucket`;
  }
  switch (method) {
    case "PUT":
      return has("uploadId") ? "UploadPart" : "PutObject";
    case "POST":
      if (has("restore")) return "RestoreObject";
      return has("uploads")
        ? "CreateMultipartUpload"
        : has("uploadId")
        ? "CompleteMultipartUpload"
        : "PostObject";
    case "GET":
      if (has("attributes")) return "GetObjectAttributes";
      return has("uploadId") ? "ListParts" : "GetObject";
    case "HEAD":
      return "HeadObject";
    case "DELETE":
      return has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    default:
      return method;
  }
}

function listUploadsXml(bucket: string, prefix: string, uploads: TrackedUpload[]): string {
  const items = uploads.map((upload) =>
    `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId>` +
    `<Initiated>${upload.initiated.toISOString()}</Initiated>` +
    `<StorageClass>${escapeXml(upload.storageClass)}</StorageClass>` +
    (upload.checksumAlgorithm === undefined
      ? ""
      : `<ChecksumAlgorithm>${upload.checksumAlgorithm}</ChecksumAlgorithm>`) +
    `</Upload>`
  );
  return `<?xml version="1.0" encoding="UTF-8"?>` +
    `<ListMultipartUploadsResult xmlns="${XMLNS}"><Bucket>${escapeXml(bucket)}</Bucket>` +
    `<Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads>` +
    `<IsTruncated>false</IsTruncated>${items.join("")}</ListMultipartUploadsResult>`;
}

function listPartsXml(upload: TrackedUpload, query: Record<string, string>): string {
  const marker = Number(query["part-number-marker"] ?? "0");
  const maxParts = Math.min(Number(query["max-parts"] ?? "1000"), 1000);
  const after = [...upload.parts.values()].filter((part) => part.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  const next = page.at(-1)?.partNumber ?? marker;
  const items = page.map((part) =>
    `<Part><PartNumber>${part.partNumber}</PartNumber>` +
    `<LastModified>${part.lastModified.toISOString()}</LastModified>` +
    `<ETag>${escapeXml(part.etag)}</ETag><Size>${part.size}</Size>` +
    (part.checksumSha256 === undefined
      ? ""
      : `<ChecksumSHA256>${part.checksumSha256}</ChecksumSHA256>`) +
    `</Part>`
  );
  return `<?xml version="1.0" encoding="UTF-8"?>` +
    `<ListPartsResult xmlns="${XMLNS}"><Bucket>${escapeXml(upload.bucket)}</Bucket>` +
    `<Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId>` +
    `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${next}` +
    `</NextPartNumberMarker><MaxParts>${maxParts}</MaxParts>` +
    `<IsTruncated>${truncated}</IsTruncated>` +
    (upload.checksumAlgorithm === undefined
      ? ""
      : `<ChecksumAlgorithm>${upload.checksumAlgorithm}</ChecksumAlgorithm>`) +
    `${items.join("")}</ListPartsResult>`;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error>`;
}

function noSuchUploadXml(uploadId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code>` +
    `<Message>The specified multipart upload does not exist.</Message>` +
    `<UploadId>${escapeXml(uploadId)}</UploadId></Error>`;
}

/**
 * Starts the peer on 127.0.0.1 and creates its bucket. Stop it with `stop()`
 * in a `finally` (or use {@link withS3Peer}).
 */
export async function startS3Peer(options: S3PeerOptions = {}): Promise<S3Peer> {
  const bucket = options.bucket ?? "fusion-test";
  const app = buildApp({ logger: false });
  const uploads = new Map<string, TrackedUpload>();
  const requests: PeerRequest[] = [];
  const objects = new Map<string, TrackedObject>();
  const restoreRequests: RestoreRequestSeen[] = [];
  const versioning = new Map<string, string>();
  const objectId = (name: string, key: string) => `${name}/${key}`;

  // The two actions fauxqs lacks: answered before its router would treat them
  // as ListObjects / GetObject.
  app.addHook("onRequest", (raw: unknown, rawReply: unknown, done: () => void) => {
    const request = raw as HookRequest;
    const reply = rawReply as HookReply;
    const { bucket: name, key, query } = target(request);
    const operation = s3Operation(request.method, key, query);
    if (operation === "ListMultipartUploads") {
      const prefix = query["prefix"] ?? "";
      const matching = [...uploads.values()]
        .filter((upload) => upload.bucket === name && upload.key.startsWith(prefix))
        .sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
      reply.header("content-type", "application/xml").status(200)
        .send(listUploadsXml(name, prefix, matching));
      return;
    }
    if (operation === "GetBucketVersioning") {
      const status = versioning.get(name);
      reply.header("content-type", "application/xml").status(200).send(
        `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="${XMLNS}">` +
          (status === undefined ? "" : `<Status>${status}</Status>`) + `</VersioningConfiguration>`,
      );
      return;
    }
    if (operation === "ListParts") {
      const uploadId = query["uploadId"] ?? "";
      const upload = uploads.get(uploadId);
      if (upload === undefined || upload.key !== key || upload.bucket !== name) {
        reply.header("content-type", "application/xml").status(404).send(noSuchUploadXml(uploadId));
      } else {
        reply.header("content-type", "application/xml").status(200)
          .send(listPartsXml(upload, query));
      }
      return;
    }
    done();
  });

  // The archive storage classes: GetObject refused until restored, and RestoreObject itself.
  // A preHandler, so that RestoreObject's XML body has been read.
  app.addHook("preHandler", (raw: unknown, rawReply: unknown, done: () => void) => {
    const request = raw as HookRequest;
    const reply = rawReply as HookReply;
    const { bucket: name, key, query } = target(request);
    const operation = s3Operation(request.method, key, query);
    const object = objects.get(objectId(name, key));
    const archived = object !== undefined && ARCHIVE_CLASSES.includes(object.storageClass);
    const peek = request.headers[PEEK_HEADER] !== undefined;
    if (operation === "GetObject" && archived && object.restore !== "done" && !peek) {
      reply.header("content-type", "application/xml").status(403).send(
        errorXml("InvalidObjectState", "The operation is not valid for the object's storage class"),
      );
      return;
    }
    if (operation === "PutBucketVersioning") {
      const body = request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : "";
      const status = /<Status>(Enabled|Suspended)<\/Status>/.exec(body)?.[1];
      if (status === undefined) {
        reply.header("content-type", "application/xml").status(400)
          .send(errorXml("MalformedXML", "The XML you provided was not well-formed"));
      } else {
        versioning.set(name, status);
        reply.status(200).send();
      }
      return;
    }
    if (operation !== "RestoreObject") {
      done();
      return;
    }
    const send = (status: number, body = "") =>
      reply.header("content-type", "application/xml").status(status).send(body);
    if (object === undefined) {
      send(404, errorXml("NoSuchKey", "The specified key does not exist."));
    } else if (!archived) {
      send(
        403,
        errorXml(
          "InvalidObjectState",
          "Restore is not allowed for the object's current storage class",
        ),
      );
    } else if (object.restore === "ongoing") {
      send(
        409,
        errorXml("RestoreAlreadyInProgress", "Object restore is already in progress"),
      );
    } else if (object.restore === "done") {
      send(200);
    } else {
      const body = request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : "";
      const days = /<Days>(\d+)<\/Days>/.exec(body)?.[1];
      restoreRequests.push({
        key,
        days: days === undefined ? undefined : Number(days),
        tier: /<Tier>(\w+)<\/Tier>/.exec(body)?.[1],
      });
      object.restore = "ongoing";
      send(202);
    }
  });

  // Observes what fauxqs accepted, to answer the two actions above, and logs every request.
  app.addHook(
    "onSend",
    (raw: unknown, rawReply: unknown, payload: unknown, done: () => void) => {
      const request = raw as HookRequest;
      const reply = rawReply as HookReply;
      const { bucket: name, key, query } = target(request);
      const operation = s3Operation(request.method, key, query);
      const status = reply.statusCode;
      const ok = status >= 200 && status < 300;
      const storageClass = headerText(request.headers["x-amz-storage-class"]);
      const contentType = headerText(request.headers["content-type"]);
      const partNumber = query["partNumber"] === undefined
        ? undefined
        : Number(query["partNumber"]);
      requests.push({
        method: request.method,
        operation,
        bucket: name,
        key,
        status,
        ...(partNumber === undefined ? {} : { partNumber }),
        ...(storageClass === undefined ? {} : { storageClass }),
        ...(contentType === undefined ? {} : { contentType }),
      });
      const tracked = objects.get(objectId(name, key));
      if (
        ok && (operation === "HeadObject" || operation === "GetObject") && tracked !== undefined
      ) {
        if (tracked.storageClass !== "STANDARD") {
          reply.header("x-amz-storage-class", tracked.storageClass);
        }
        if (tracked.restore !== undefined) {
          reply.header(
            "x-amz-restore",
            tracked.restore === "ongoing"
              ? 'ongoing-request="true"'
              : `ongoing-request="false", expiry-date="${
                new Date(Date.now() + 7 * 86_400_000).toUTCString()
              }"`,
          );
        }
      }
      if (ok && operation === "PutObject") {
        objects.set(objectId(name, key), {
          storageClass: storageClass ?? "STANDARD",
          restore: undefined,
        });
      } else if (ok && operation === "DeleteObject") {
        objects.delete(objectId(name, key));
      } else if (ok && operation === "CompleteMultipartUpload") {
        const upload = uploads.get(query["uploadId"] ?? "");
        objects.set(objectId(name, key), {
          storageClass: upload?.storageClass ?? "STANDARD",
          restore: undefined,
        });
      }
      if (ok && operation === "CreateMultipartUpload" && typeof payload === "string") {
        const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(payload)?.[1];
        if (uploadId !== undefined) {
          uploads.set(uploadId, {
            uploadId,
            bucket: name,
            key,
            initiated: new Date(),
            checksumAlgorithm: headerText(request.headers["x-amz-checksum-algorithm"])
              ?.toUpperCase(),
            storageClass: storageClass ?? "STANDARD",
            parts: new Map(),
          });
        }
      } else if (ok && operation === "UploadPart" && partNumber !== undefined) {
        const upload = uploads.get(query["uploadId"] ?? "");
        const body = request.body;
        upload?.parts.set(partNumber, {
          partNumber,
          size: body instanceof Uint8Array ? body.byteLength : 0,
          etag: String(reply.getHeader("etag") ?? ""),
          checksumSha256: headerText(request.headers["x-amz-checksum-sha256"]),
          lastModified: new Date(),
        });
      } else if (
        ok && (operation === "CompleteMultipartUpload" || operation === "AbortMultipartUpload")
      ) {
        uploads.delete(query["uploadId"] ?? "");
      }
      if (ok && operation === "ListObjects" && typeof payload === "string") {
        const listed = payload.replace(
          /<Contents><Key>([^<]*)<\/Key>([\s\S]*?)<StorageClass>[^<]*<\/StorageClass>/g,
          (_match, key: string, between: string) => {
            const stored = objects.get(objectId(name, unescapeXml(key)))?.storageClass;
            return `<Contents><Key>${key}</Key>${between}` +
              `<StorageClass>${escapeXml(stored ?? "STANDARD")}</StorageClass>`;
          },
        );
        (done as (error: null, payload: string) => void)(null, listed);
        return;
      }
      done();
    },
  );

  await app.listen({ host: "127.0.0.1", port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") {
    await app.close();
    throw new Error("the S3 peer did not get a TCP port");
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  try {
    const created = await fetch(`${endpoint}/${bucket}`, { method: "PUT" });
    await created.body?.cancel();
    if (!created.ok) throw new Error(`creating bucket ${bucket} failed: HTTP ${created.status}`);
  } catch (error) {
    await app.close();
    throw error;
  }

  const settings: Config["s3"] = {
    bucket,
    prefix: "",
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    storageClass: "STANDARD",
    multipartThresholdMb: 8,
    partSizeMb: 5,
    concurrency: 4,
    connectTimeoutSeconds: 10,
    idleTimeoutSeconds: 15,
    ...options.settings,
  };
  return {
    endpoint,
    bucket,
    settings,
    env: {
      AWS_ACCESS_KEY_ID: PEER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: PEER_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    requests,
    count: (operation) => requests.filter((request) => request.operation === operation).length,
    clearRequests: () => {
      requests.length = 0;
    },
    fetchObject: async (key) => {
      const path = key.split("/").map(encodeURIComponent).join("/");
      const response = await fetch(`${endpoint}/${bucket}/${path}`, {
        headers: { [PEEK_HEADER]: "1" },
      });
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        throw new Error(`GET ${key} from the S3 peer: HTTP ${response.status}`);
      }
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of response.body) {
        hash.update(chunk);
        size += chunk.byteLength;
      }
      return { size, sha256Hex: hash.digest("hex") };
    },
    storageClassOf: (key) => objects.get(objectId(bucket, key))?.storageClass,
    restoreRequests,
    finishRestores: () => {
      for (const object of objects.values()) {
        if (object.restore === "ongoing") object.restore = "done";
      }
    },
    corruptObject: async (key, offset = 0) => {
      const url = `${endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
      const tracked = objects.get(objectId(bucket, key));
      if (tracked === undefined) throw new Error(`the S3 peer holds no object ${key}`);
      const restore = tracked.restore;
      const got = await fetch(url, { headers: { [PEEK_HEADER]: "1" } });
      if (!got.ok) throw new Error(`GET ${key} from the S3 peer: HTTP ${got.status}`);
      const bytes = new Uint8Array(await got.arrayBuffer());
      if (offset >= bytes.length) throw new Error(`${key} has no byte ${offset}`);
      bytes[offset] = (bytes[offset] ?? 0) ^ 0xff;
      const headers: Record<string, string> = { "x-amz-storage-class": tracked.storageClass };
      got.headers.forEach((value, name) => {
        if (name.startsWith("x-amz-meta-")) headers[name] = value;
      });
      const put = await fetch(url, { method: "PUT", body: bytes, headers });
      await put.body?.cancel();
      if (!put.ok) throw new Error(`PUT ${key} to the S3 peer: HTTP ${put.status}`);
      const replaced = objects.get(objectId(bucket, key));
      if (replaced !== undefined) replaced.restore = restore;
    },
    removeObject: async (key) => {
      const url = `${endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
      const deleted = await fetch(url, { method: "DELETE" });
      await deleted.body?.cancel();
      if (!deleted.ok) throw new Error(`DELETE ${key} at the S3 peer: HTTP ${deleted.status}`);
    },
    setVersioning: async (status) => {
      const answer = await fetch(`${endpoint}/${bucket}?versioning`, {
        method: "PUT",
        headers: { "content-type": "application/xml" },
        body: `<VersioningConfiguration xmlns="${XMLNS}"><Status>${status}</Status>` +
          `</VersioningConfiguration>`,
      });
      await answer.body?.cancel();
      if (!answer.ok) throw new Error(`PutBucketVersioning at the S3 peer: HTTP ${answer.status}`);
    },
    stop: async () => {
      await app.close();
    },
  };
}

/** Runs `body` with a fresh peer, stopped afterwards whatever happens. */
export async function withS3Peer<T>(
  body: (peer: S3Peer) => Promise<T>,
  options: S3PeerOptions = {},
): Promise<T> {
  const peer = await startS3Peer(options);
  try {
    return await body(peer);
  } finally {
    await peer.stop();
  }
}
