import assert from "node:assert/strict";
import { S3ServiceException } from "@aws-sdk/client-s3";
import {
  type FailureContext,
  isPreconditionFailed,
  isTransientS3Error,
  S3StorageError,
  toS3StorageError,
} from "../../lib/storage/_s3_errors.ts";
import { OperationFailedError } from "../../lib/errors.ts";

// Errors built with the SDK's own exception class, as its deserializers build them.
function serviceError(name: string, status: number, message = ""): S3ServiceException {
  return new S3ServiceException({
    name,
    message,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
  });
}

function systemError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

const CONTEXT: FailureContext = {
  operation: "PutObject",
  target: "s3://lab-archive/fusion/a.qptiff",
  bucket: "lab-archive",
  endpoint: "http://127.0.0.1:9",
  region: "us-west-2",
};

Deno.test("transient: 5xx, throttling, timeouts and dropped connections", () => {
  assert.ok(isTransientS3Error(serviceError("InternalError", 500)));
  assert.ok(isTransientS3Error(serviceError("ServiceUnavailable", 503)));
  assert.ok(isTransientS3Error(serviceError("SlowDown", 503)));
  assert.ok(isTransientS3Error(serviceError("RequestTimeout", 400)));
  assert.ok(isTransientS3Error(serviceError("Unknown", 502)));
  assert.ok(isTransientS3Error(systemError("ECONNRESET")));
  assert.ok(isTransientS3Error(systemError("ECONNREFUSED")));
  assert.ok(isTransientS3Error(new Error("socket hang up")));
  assert.ok(
    isTransientS3Error(new Error("request failed", { cause: systemError("ETIMEDOUT") })),
    "found along the cause chain",
  );
});

// Deno's fetch (the download client) words its network failures like this.
function fetchError(cause: string): TypeError {
  return new TypeError("fetch failed", { cause: new Error(cause) });
}

Deno.test("Deno's fetch failures are dropped connections, named like Node's", () => {
  const refused = fetchError(
    "error sending request for url (http://127.0.0.1:9/b/k): client error (Connect): " +
      "tcp connect error: Connection refused (os error 111)",
  );
  assert.ok(isTransientS3Error(refused));
  assert.match(
    toS3StorageError(refused, CONTEXT).message,
    /^cannot reach S3 at .* \(ECONNREFUSED\)/,
  );
  const dns = fetchError(
    "error sending request for url (https://s3.example/b/k): client error (Connect): " +
      "dns error: failed to lookup address information: Name or service not known",
  );
  assert.match(toS3StorageError(dns, CONTEXT).message, /\(ENOTFOUND\)/);
  const cut = new TypeError("error reading a body from connection");
  assert.ok(isTransientS3Error(cut));
  assert.equal(toS3StorageError(cut, CONTEXT).kind, "unreachable");
  const closed = fetchError(
    "error sending request from 127.0.0.1:38234 for http://127.0.0.1:44039/ " +
      "(127.0.0.1:44039): client error (SendRequest): connection closed before message completed",
  );
  assert.match(toS3StorageError(closed, CONTEXT).message, /\(ECONNRESET\)/);
});

Deno.test("not transient: client errors, checksums, credentials, our own errors", () => {
  for (const name of ["BadDigest", "AccessDenied", "NoSuchBucket", "InvalidAccessKeyId"]) {
    assert.equal(isTransientS3Error(serviceError(name, 400)), false, name);
  }
  assert.equal(isTransientS3Error(new S3StorageError("service", "x")), false);
  assert.equal(isTransientS3Error(new TypeError("bug")), false);
});

Deno.test("each failure becomes one line that says what to do", () => {
  const cases: [unknown, string, RegExp][] = [
    [
      systemError("ECONNREFUSED"),
      "unreachable",
      /^cannot reach S3 at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\): check the network\/endpoint$/,
    ],
    [
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
      "credentials",
      /^no AWS credentials found: set AWS_ACCESS_KEY_ID/,
    ],
    [
      serviceError("InvalidAccessKeyId", 403, "The key does not exist"),
      "credentials",
      /S3 rejected the AWS credentials \(InvalidAccessKeyId\)/,
    ],
    [
      serviceError("AccessDenied", 403, "Access Denied"),
      "access_denied",
      /^access denied by S3 for PutObject s3:\/\/lab-archive\/fusion\/a\.qptiff: .*'lab-archive'/,
    ],
    [serviceError("Forbidden", 403), "access_denied", /^access denied/],
    [
      serviceError("NoSuchBucket", 404, "The specified bucket does not exist"),
      "no_such_bucket",
      /^S3 bucket 'lab-archive' does not exist at http:\/\/127\.0\.0\.1:9: check \[s3\] bucket/,
    ],
    [
      serviceError("BadDigest", 400, "The SHA256 you specified did not match"),
      "checksum_rejected",
      /^S3 rejected the SHA-256 checksum of PutObject s3:\/\/lab-archive\/fusion\/a\.qptiff/,
    ],
    [
      serviceError("InvalidRequest", 400, "Checksum Type mismatch occurred"),
      "checksum_rejected",
      /rejected the SHA-256 checksum/,
    ],
    [
      serviceError("PermanentRedirect", 301),
      "region",
      /not in region us-west-2 .* set \[s3\] region/,
    ],
    [new Error("Region is missing"), "region", /^no AWS region: set \[s3\] region/],
    [
      serviceError("InvalidArgument", 400, "bad thing"),
      "service",
      /^S3 PutObject s3:\/\/lab-archive\/fusion\/a\.qptiff failed: InvalidArgument, HTTP 400, bad thing$/,
    ],
  ];
  for (const [error, kind, message] of cases) {
    const converted = toS3StorageError(error, CONTEXT);
    assert.ok(converted instanceof OperationFailedError, "exit code 1 when uncaught");
    assert.equal(converted.kind, kind, String(error));
    assert.match(converted.message, message);
    assert.ok(!converted.message.includes("\n"), "one line");
    assert.equal(converted.cause, error);
  }
});

Deno.test("the message says how often a request was tried", () => {
  const unreachable = toS3StorageError(systemError("ECONNRESET"), { ...CONTEXT, attempts: 5 });
  assert.match(unreachable.message, /\(ECONNRESET after 5 attempts\)/);
  const busy = toS3StorageError(serviceError("SlowDown", 503), { ...CONTEXT, attempts: 5 });
  assert.match(busy.message, /failed after 5 attempts: SlowDown, HTTP 503/);
});

Deno.test("the node client's connect and idle timeouts read as an endpoint that does not answer", () => {
  const connect = Object.assign(
    new Error(
      "@smithy/node-http-handler - the request socket did not establish a connection with the " +
        "server within the configured timeout of 10000 ms.",
    ),
    { name: "TimeoutError" },
  );
  const idle = Object.assign(
    new Error(
      "@smithy/node-http-handler - the request socket timed out after 20000 ms of " +
        "inactivity (configured by client requestHandler).",
    ),
    { name: "TimeoutError" },
  );
  for (const error of [connect, idle]) {
    assert.ok(isTransientS3Error(error));
    const failure = toS3StorageError(error, { ...CONTEXT, attempts: 5 });
    assert.equal(failure.kind, "unreachable");
    assert.equal(
      failure.message,
      "cannot reach S3 at http://127.0.0.1:9 (ETIMEDOUT after 5 attempts): check the network/endpoint",
    );
  }
});

Deno.test("conditional writes: 412 is recognised, wrapped or not; a 409 conflict is retried", () => {
  const refused = serviceError("PreconditionFailed", 412, "At least one of the pre-conditions");
  assert.ok(isPreconditionFailed(refused));
  assert.ok(isPreconditionFailed(toS3StorageError(refused, CONTEXT)));
  assert.ok(!isTransientS3Error(refused));
  assert.ok(!isPreconditionFailed(serviceError("NoSuchKey", 404)));
  assert.ok(isTransientS3Error(serviceError("ConditionalRequestConflict", 409)));
});
