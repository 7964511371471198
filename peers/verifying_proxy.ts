/**
 * A checksum-verifying HTTP proxy in front of the S3 peer. Test code,
 * declared as such: the emulator accepts any checksum it is sent, so tests
 * that need S3 to reject a bad digest, refuse connections or fail for a
 * while put this proxy between the client and the peer.
 *
 * What it does, like S3 would:
 * - PutObject and UploadPart: recomputes the SHA-256 of the body and answers
 *   400 BadDigest when `x-amz-checksum-sha256` does not match;
 * - CompleteMultipartUpload: answers 400 InvalidPart when a part's
 *   ChecksumSHA256 differs from the one it accepted for that part;
 * - conditional writes (PutObject and CompleteMultipartUpload), which the
 *   emulator ignores: `If-None-Match: *` is answered 412 PreconditionFailed
 *   when an object is at the key, `If-Match: <etag>` 412 when the object
 *   there has another ETag and 404 NoSuchKey when there is none. (S3 checks
 *   at the moment it writes; the proxy asks the peer just before it
 *   forwards, which is the same for tests that do not race two writers.)
 *
 * What tests can make it do: corrupt bodies in flight, refuse connections,
 * answer 403 AccessDenied, fail the next requests with 5xx, go quiet half-way
 * through a request's body (an endpoint that hangs), acknowledge a PutObject
 * without storing it (an object lost after its write), answer writes without
 * the checksum S3 computed (as some S3-compatible stores do), count requests,
 * act on each ranged GetObject (fail it, cut its body off or go quiet
 * half-way, or change the store before it is forwarded), and hold or fail any
 * request they pick (by operation and key) before it is forwarded.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import {
  Agent,
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { s3Operation } from "./s3.ts";

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  readonly operation: string;
  readonly key: string;
  readonly partNumber?: number;
  /** The Range header of a ranged GetObject. */
  readonly range?: string;
  /** The condition a write carried: `If-None-Match: *`, or `If-Match: <etag>`. */
  readonly condition?: string;
  /** What the client got back. */
  readonly status: number;
}

/**
 * What to do with a ranged GetObject: forward it, answer 503 SlowDown,
 * forward it and drop the connection half-way through the body, or forward
 * half the body and then send nothing more, holding the connection open.
 */
export type RangeAction = "forward" | "fail" | "cut" | "stall";

/** Decides about a ranged GetObject (awaited before it is forwarded), given its Range header. */
export type RangeHook = (range: string) => RangeAction | Promise<RangeAction>;

/**
 * Decides about any request (awaited before it is forwarded, so a promise
 * that settles later holds it): forward it, or answer 503 SlowDown.
 */
export type RequestHook = (
  request: { readonly operation: string; readonly key: string },
) => "forward" | "fail" | Promise<"forward" | "fail">;

/** A running proxy. */
export interface VerifyingProxy {
  /** `http://127.0.0.1:PORT`: use it as the client's endpoint. */
  readonly endpoint: string;
  /** Every request answered so far. */
  readonly requests: readonly ProxiedRequest[];
  /** Flips one byte in each of the next `count` PutObject/UploadPart bodies, before verifying. */
  corruptBodies(count?: number): void;
  /** While on, every new connection is dropped at once (the client sees a reset). */
  refuseConnections(on: boolean): void;
  /** While on, every request is answered 403 AccessDenied. */
  denyAccess(on: boolean): void;
  /** Answers the next `count` requests with `status` (default 503 SlowDown) without forwarding. */
  failNext(count: number, status?: number): void;
  /**
   * Handles the next `count` requests as usual, then takes half of each later
   * request's body and goes quiet: no answer, the connection held open.
   * Undefined handles every request again.
   */
  stallAfter(count: number | undefined): void;
  /**
   * Requests that got no answer because the proxy went quiet. (The client's
   * HTTP layer may send a buffered body once more on a new connection than
   * its caller tried: count attempts from the caller's side.)
   */
  readonly stalled: readonly { readonly operation: string; readonly key: string }[];
  /** Asks `hook` about every ranged GetObject from now on; undefined forwards them all. */
  interceptRanges(hook: RangeHook | undefined): void;
  /**
   * Answers the next `count` PutObject requests of keys starting with
   * `prefix` 200 OK, echoing their checksum as S3 does, without storing them.
   */
  loseNextPuts(count: number, prefix: string): void;
  /** While on, answers to writes carry no `x-amz-checksum-*` headers and no checksum elements. */
  hideChecksums(on: boolean): void;
  /** Asks `hook` about every request from now on; undefined forwards them all. */
  interceptRequests(hook: RequestHook | undefined): void;
  /** Requests of one operation so far, e.g. `count("UploadPart")`. */
  count(operation: string): number;
  /** The most requests that were in progress at the same time. */
  readonly peakInFlight: number;
  stop(): Promise<void>;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
    `<Message>${message}</Message></Error>`;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Passes on the first half of a body, then drops both connections: a transfer that broke. */
function cutHalfWay(upstream: IncomingMessage, response: ServerResponse): void {
  passFirstHalf(upstream, response, () => {
    upstream.destroy();
    response.destroy();
  });
}

/** Passes on the first half of a body, then sends nothing more and keeps the connection open. */
function stallHalfWay(upstream: IncomingMessage, response: ServerResponse): void {
  passFirstHalf(upstream, response, () => upstream.destroy());
}

/** Writes the first half of the upstream body to `response`, then calls `atHalf`. */
function passFirstHalf(
  upstream: IncomingMessage,
  response: ServerResponse,
  atHalf: () => void,
): void {
  const half = Number(upstream.headers["content-length"] ?? "0") >> 1;
  let sent = 0;
  upstream.on("data", (chunk: Buffer) => {
    if (sent >= half) return;
    const piece = chunk.subarray(0, half - sent);
    sent += piece.length;
    response.write(piece);
    if (sent >= half) atHalf();
  });
}

/** Passes on an answer without its checksum headers and checksum XML elements. */
function hideChecksumsOf(
  upstream: IncomingMessage,
  response: ServerResponse,
  status: number,
): void {
  readBody(upstream).then((body) => {
    const text = body.toString("utf8").replace(/<Checksum\w+>[^<]*<\/Checksum\w+>/g, "");
    const headers = Object.fromEntries(
      Object.entries(upstream.headers).filter(([name]) =>
        !name.startsWith("x-amz-checksum-") && name !== "transfer-encoding"
      ),
    );
    headers["content-length"] = String(Buffer.byteLength(text));
    response.writeHead(status, headers);
    response.end(text);
  }, () => response.destroy());
}

/** Reads half of a request's body, then stops reading; the request is never answered. */
function hangHalfWay(request: IncomingMessage): void {
  const half = Number(request.headers["content-length"] ?? "0") >> 1;
  let received = 0;
  if (half === 0) {
    request.pause();
    return;
  }
  request.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received >= half) request.pause();
  });
}

/** Parses `/bucket/key?query` of a path-style request. */
function parseTarget(url: string): { key: string; query: Record<string, string> } {
  const parsed = new URL(url, "http://proxy");
  const [, , ...keyParts] = parsed.pathname.split("/");
  return {
    key: decodeURIComponent(keyParts.join("/")),
    query: Object.fromEntries(parsed.searchParams),
  };
}

/** Part checksums listed in a CompleteMultipartUpload body. */
function completedChecksums(xml: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const [, block] of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const partNumber = /<PartNumber>(\d+)<\/PartNumber>/.exec(block ?? "")?.[1];
    const checksum = /<ChecksumSHA256>([^<]*)<\/ChecksumSHA256>/.exec(block ?? "")?.[1];
    if (partNumber !== undefined && checksum !== undefined) found.set(Number(partNumber), checksum);
  }
  return found;
}

/** Starts the proxy on 127.0.0.1 in front of `upstream` (the peer's endpoint). */
export async function startVerifyingProxy(upstream: string): Promise<VerifyingProxy> {
  const target = new URL(upstream);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const upstreamAgent = new Agent({ keepAlive: true });
  // uploadId -> partNumber -> the checksum accepted for it
  const acceptedParts = new Map<string, Map<number, string>>();
  let corruptions = 0;
  let refusing = false;
  let denying = false;
  let failures = 0;
  let failStatus = 503;
  let quietAfter: number | undefined;
  const stalled: { operation: string; key: string }[] = [];
  let losses = { count: 0, prefix: "" };
  let hidingChecksums = false;
  let inFlight = 0;
  let peakInFlight = 0;
  let rangeHook: RangeHook | undefined;
  let requestHook: RequestHook | undefined;

  const answer = (
    response: ServerResponse,
    seen: Omit<ProxiedRequest, "status">,
    status: number,
    code: string,
    message: string,
  ) => {
    requests.push({ ...seen, status });
    const body = errorXml(code, message);
    response.writeHead(status, {
      "content-type": "application/xml",
      "content-length": String(Buffer.byteLength(body)),
    });
    response.end(body);
  };

  /** Why a conditional write must be refused, asking the peer what is at the key now. */
  const writeConditionRefusal = async (
    request: IncomingMessage,
  ): Promise<{ status: number; code: string; message: string } | undefined> => {
    const ifNoneMatch = header(request, "if-none-match");
    const ifMatch = header(request, "if-match");
    if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
    const path = new URL(request.url ?? "/", "http://proxy").pathname;
    const head = await fetch(new URL(path, target), { method: "HEAD" });
    await head.body?.cancel();
    const etag = head.ok ? head.headers.get("etag") : null;
    if (ifNoneMatch === "*" && etag !== null) {
      return {
        status: 412,
        code: "PreconditionFailed",
        message: "At least one of the pre-conditions you specified did not hold",
      };
    }
    if (ifMatch !== undefined && etag === null) {
      return { status: 404, code: "NoSuchKey", message: "The specified key does not exist." };
    }
    if (ifMatch !== undefined && ifMatch !== etag) {
      return {
        status: 412,
        code: "PreconditionFailed",
        message: "At least one of the pre-conditions you specified did not hold",
      };
    }
    return undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET";
    const { key, query } = parseTarget(request.url ?? "/");
    const operation = s3Operation(method, key, query);
    const partNumber = query["partNumber"] === undefined ? undefined : Number(query["partNumber"]);
    const range = operation === "GetObject" ? header(request, "range") : undefined;
    const ifNoneMatch = header(request, "if-none-match");
    const ifMatch = header(request, "if-match");
    const condition = ifNoneMatch !== undefined
      ? `If-None-Match: ${ifNoneMatch}`
      : ifMatch !== undefined
      ? `If-Match: ${ifMatch}`
      : undefined;
    const seen = {
      operation,
      key,
      ...(partNumber === undefined ? {} : { partNumber }),
      ...(range === undefined ? {} : { range }),
      ...(condition === undefined ? {} : { condition }),
    };
    if (quietAfter !== undefined) {
      if (quietAfter === 0) {
        stalled.push({ operation, key });
        hangHalfWay(request);
        return;
      }
      quietAfter--;
    }
    let body = await readBody(request);

    if (failures > 0) {
      failures--;
      answer(response, seen, failStatus, "SlowDown", "Please reduce your request rate.");
      return;
    }
    if (denying) {
      answer(response, seen, 403, "AccessDenied", "Access Denied");
      return;
    }
    if (requestHook !== undefined && await requestHook({ operation, key }) === "fail") {
      answer(response, seen, 503, "SlowDown", "Please reduce your request rate.");
      return;
    }
    const rangeAction = range === undefined || rangeHook === undefined
      ? "forward"
      : await rangeHook(range);
    if (rangeAction === "fail") {
      answer(response, seen, 503, "SlowDown", "Please reduce your request rate.");
      return;
    }
    const uploadId = query["uploadId"] ?? "";
    if (operation === "PutObject" || operation === "UploadPart") {
      if (corruptions > 0 && body.length > 0) {
        corruptions--;
        body = Buffer.from(body);
        body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
      }
      const claimed = header(request, "x-amz-checksum-sha256");
      if (claimed !== undefined) {
        const actual = createHash("sha256").update(body).digest("base64");
        if (actual !== claimed) {
          answer(
            response,
            seen,
            400,
            "BadDigest",
            "The SHA256 you specified did not match the calculated checksum.",
          );
          return;
        }
        if (operation === "UploadPart" && partNumber !== undefined) {
          const parts = acceptedParts.get(uploadId) ?? new Map<number, string>();
          parts.set(partNumber, claimed);
          acceptedParts.set(uploadId, parts);
        }
      }
    }
    if (operation === "PutObject" || operation === "CompleteMultipartUpload") {
      const refusal = await writeConditionRefusal(request);
      if (refusal !== undefined) {
        answer(response, seen, refusal.status, refusal.code, refusal.message);
        return;
      }
    }
    if (operation === "CompleteMultipartUpload") {
      const accepted = acceptedParts.get(uploadId) ?? new Map<number, string>();
      for (const [number, checksum] of completedChecksums(body.toString("utf8"))) {
        const known = accepted.get(number);
        if (known !== undefined && known !== checksum) {
          answer(
            response,
            seen,
            400,
            "InvalidPart",
            `The checksum of part ${number} does not match the uploaded part.`,
          );
          return;
        }
      }
    }

    if (operation === "PutObject" && losses.count > 0 && key.startsWith(losses.prefix)) {
      losses = { ...losses, count: losses.count - 1 };
      requests.push({ ...seen, status: 200 });
      const claimed = header(request, "x-amz-checksum-sha256");
      response.writeHead(200, {
        etag: `"${createHash("md5").update(body).digest("hex")}"`,
        "content-length": "0",
        ...(claimed === undefined ? {} : { "x-amz-checksum-sha256": claimed }),
      });
      response.end();
      return;
    }
    const headers = { ...request.headers, host: target.host };
    delete headers["connection"];
    if (body.length > 0 || headers["content-length"] !== undefined) {
      headers["content-length"] = String(body.length);
    }
    delete headers["expect"];
    const forwarded = httpRequest({
      agent: upstreamAgent,
      host: target.hostname,
      port: target.port,
      method,
      path: request.url,
      headers,
    }, (upstreamResponse) => {
      const status = upstreamResponse.statusCode ?? 502;
      requests.push({ ...seen, status });
      const isWrite = operation === "PutObject" || operation === "CompleteMultipartUpload";
      if (hidingChecksums && isWrite) {
        hideChecksumsOf(upstreamResponse, response, status);
        return;
      }
      response.writeHead(status, upstreamResponse.headers);
      if (rangeAction === "cut") cutHalfWay(upstreamResponse, response);
      else if (rangeAction === "stall") stallHalfWay(upstreamResponse, response);
      else upstreamResponse.pipe(response);
    });
    forwarded.on("error", (error) => {
      answer(response, seen, 502, "BadGateway", error.message);
    });
    forwarded.end(body);
  };

  const server: Server = createServer((request, response) => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    response.on("close", () => inFlight--);
    handle(request, response).catch((error) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  server.on("connection", (socket: Socket) => {
    if (refusing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    corruptBodies: (count = 1) => {
      corruptions = count;
    },
    refuseConnections: (on) => {
      refusing = on;
      if (on) { for (const socket of sockets) socket.destroy(); }
    },
    denyAccess: (on) => {
      denying = on;
    },
    failNext: (count, status = 503) => {
      failures = count;
      failStatus = status;
    },
    loseNextPuts: (count, prefix) => {
      losses = { count, prefix };
    },
    hideChecksums: (on) => {
      hidingChecksums = on;
    },
    stallAfter: (count) => {
      quietAfter = count;
    },
    stalled,
    interceptRanges: (hook) => {
      rangeHook = hook;
    },
    interceptRequests: (hook) => {
      requestHook = hook;
    },
    count: (operation) => requests.filter((request) => request.operation === operation).length,
    get peakInFlight() {
      return peakInFlight;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        upstreamAgent.destroy();
        server.close((error) => error === undefined ? resolve() : reject(error));
      }),
  };
}
