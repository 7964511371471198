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
 *   ChecksumSHA256 differs from the one it accepted for that part.
 *
 * What tests can make it do: corrupt bodies in flight, refuse connections,
 * answer 403 AccessDenied, fail the next requests with 5xx, count requests,
 * act on each ranged GetObject (fail it, cut its body off half-way, or
 * change the store before it is forwarded), and hold or fail any request
 * they pick (by operation and key) before it is forwarded.
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
  /** What the client got back. */
  readonly status: number;
}

/**
 * What to do with a ranged GetObject: forward it, answer 503 SlowDown, or
 * forward it and drop the connection half-way through the body.
 */
export type RangeAction = "forward" | "fail" | "cut";

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
  /** Asks `hook` about every ranged GetObject from now on; undefined forwards them all. */
  interceptRanges(hook: RangeHook | undefined): void;
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
  const half = Number(upstream.headers["content-length"] ?? "0") >> 1;
  let sent = 0;
  upstream.on("data", (chunk: Buffer) => {
    if (sent >= half) return;
    const piece = chunk.subarray(0, half - sent);
    sent += piece.length;
    response.write(piece);
    if (sent >= half) {
      upstream.destroy();
      response.destroy();
    }
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

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET";
    const { key, query } = parseTarget(request.url ?? "/");
    const operation = s3Operation(method, key, query);
    const partNumber = query["partNumber"] === undefined ? undefined : Number(query["partNumber"]);
    const range = operation === "GetObject" ? header(request, "range") : undefined;
    const seen = {
      operation,
      key,
      ...(partNumber === undefined ? {} : { partNumber }),
      ...(range === undefined ? {} : { range }),
    };
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
      response.writeHead(status, upstreamResponse.headers);
      if (rangeAction === "cut") cutHalfWay(upstreamResponse, response);
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
