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
 * Why not `startFauxqs()`: it binds 0.0.0.0 and asks the OS for its network
 * interfaces, which the tests' permissions (net=127.0.0.1) rightly refuse; so
 * the peer builds the same app with `buildApp()` and listens on 127.0.0.1.
 * Objects live in memory: fine for tests, and `deno task bench` runs the peer
 * in a child process (`s3_server.ts`) so its memory is not counted as ours.
 *
 * Known limits of the emulator (DESIGN.md): it does not verify the checksums
 * it is sent, and refuses request bodies over 11 MiB (use parts of 5-10 MiB).
 *
 * @module
 */
import { buildApp } from "fauxqs";
import { createHash } from "node:crypto";
import type { Config } from "../../lib/config/mod.ts";

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
  /** Downloads an object (unsigned GET; the emulator does not check signatures) and hashes it. */
  fetchObject(key: string): Promise<{ size: number; sha256Hex: string }>;
  stop(): Promise<void>;
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
    if (method === "GET") return has("uploads") ? "ListMultipartUploads" : "ListObjects";
    if (method === "PUT") return "CreateBucket";
    if (method === "HEAD") return "HeadBucket";
    return `${method}Bucket`;
  }
  switch (method) {
    case "PUT":
      return has("uploadId") ? "UploadPart" : "PutObject";
    case "POST":
      return has("uploads")
        ? "CreateMultipartUpload"
        : has("uploadId")
        ? "CompleteMultipartUpload"
        : "PostObject";
    case "GET":
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
      });
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
      const response = await fetch(`${endpoint}/${bucket}/${path}`);
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
