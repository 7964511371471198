/**
 * Turns what the AWS SDK throws into one-line messages that say what is
 * wrong and what to do, and decides which failures are worth a retry.
 *
 * @module
 */
import { OperationFailedError } from "../errors.ts";

/** What went wrong with an S3 request, for callers that react differently. */
export type S3FailureKind =
  | "unreachable"
  | "credentials"
  | "region"
  | "access_denied"
  | "no_such_bucket"
  | "checksum_rejected"
  | "exists"
  | "service";

/** An S3 request that failed for good (after any retries); the message is for the user. */
export class S3StorageError extends OperationFailedError {
  /** The kind of failure. */
  readonly kind: S3FailureKind;

  constructor(kind: S3FailureKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

/** Where a failed request was going, for the message. */
export interface FailureContext {
  /** The S3 action, e.g. "PutObject". */
  readonly operation: string;
  /** `s3://bucket/key`, or `s3://bucket/` for bucket-level requests. */
  readonly target: string;
  readonly bucket: string;
  /** The endpoint URL the client talks to. */
  readonly endpoint: string;
  /** The region the client signs for, when known. */
  readonly region?: string | undefined;
  /** Attempts made, when more than one. */
  readonly attempts?: number | undefined;
}

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * Deno's fetch (the download client, see _s3_download.ts) reports a failed
 * connection as a TypeError whose message, or its cause's, says what happened.
 */
const FETCH_FAILURES: ReadonlyArray<readonly [RegExp, string]> = [
  [/connection refused/i, "ECONNREFUSED"],
  [/dns error|failed to lookup address/i, "ENOTFOUND"],
  [/timed out/i, "ETIMEDOUT"],
  [
    /error sending request|error reading a body|connection closed before message completed|connection reset/i,
    "ECONNRESET",
  ],
];

const TRANSIENT_CODES = new Set([
  "InternalError",
  "ServiceUnavailable",
  "SlowDown",
  "RequestTimeout",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "TimeoutError",
  // Another write of the same key was in progress (conditional writes): S3 says to retry.
  "ConditionalRequestConflict",
]);

const CREDENTIAL_CODES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "InvalidClientTokenId",
]);

const CHECKSUM_CODES = new Set(["BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"]);

function shape(error: unknown): ErrorShape {
  return typeof error === "object" && error !== null ? error as ErrorShape : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The S3 error code (the SDK puts it in `name`), e.g. "NoSuchBucket". */
export function s3ErrorCode(error: unknown): string {
  return text(shape(error).name);
}

/** The HTTP status of a service error, if the request got an answer. */
export function httpStatus(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** The system error code of a failed connection (ECONNREFUSED, ...), searched along `cause`. */
export function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    const { code, message, cause, name } = shape(current);
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    // The node client's connect and idle timeouts, and the download watchdog's.
    if (name === "TimeoutError" && shape(current).$metadata === undefined) return "ETIMEDOUT";
    if (/socket hang up/i.test(text(message))) return "ECONNRESET";
    const fetchFailure = FETCH_FAILURES.find(([pattern]) => pattern.test(text(message)));
    if (fetchFailure !== undefined) return fetchFailure[1];
    current = cause;
  }
  return undefined;
}

/**
 * Whether a conditional write was refused because the condition does not
 * hold (HTTP 412: an object is already at the key, or not the one named),
 * as the SDK throws it or as `send` wraps it.
 */
export function isPreconditionFailed(error: unknown): boolean {
  for (const candidate of [error, shape(error).cause]) {
    if (s3ErrorCode(candidate) === "PreconditionFailed" || httpStatus(candidate) === 412) {
      return true;
    }
  }
  return false;
}

/** Whether the request may succeed if sent again: 5xx, throttling, timeouts, dropped connections. */
export function isTransientS3Error(error: unknown): boolean {
  if (error instanceof S3StorageError) return false;
  if (networkCode(error) !== undefined) return true;
  if (TRANSIENT_CODES.has(s3ErrorCode(error))) return true;
  const status = httpStatus(error);
  return status !== undefined && (status >= 500 || status === 429);
}

function isCredentialsMissing(error: unknown): boolean {
  return s3ErrorCode(error) === "CredentialsProviderError" ||
    /could not load credentials/i.test(text(shape(error).message));
}

function isChecksumRejected(code: string, message: string): boolean {
  return CHECKSUM_CODES.has(code) || (code === "InvalidRequest" && /checksum/i.test(message));
}

/**
 * The user's message for a failed request.
 *
 * @returns `error` itself when it is already an {@link S3StorageError}.
 */
export function toS3StorageError(error: unknown, context: FailureContext): S3StorageError {
  if (error instanceof S3StorageError) return error;
  const options = { cause: error };
  const code = s3ErrorCode(error);
  const message = text(shape(error).message);
  const status = httpStatus(error);
  const where = `${context.operation} ${context.target}`;

  const network = networkCode(error);
  if (network !== undefined && status === undefined) {
    const tries = (context.attempts ?? 1) > 1 ? ` after ${context.attempts} attempts` : "";
    return new S3StorageError(
      "unreachable",
      `cannot reach S3 at ${context.endpoint} (${network}${tries}): check the network/endpoint`,
      options,
    );
  }
  if (isCredentialsMissing(error)) {
    return new S3StorageError(
      "credentials",
      "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE " +
        "with a profile in ~/.aws/credentials (or SSO, or an instance role)",
      options,
    );
  }
  if (/region is missing/i.test(message)) {
    return new S3StorageError(
      "region",
      "no AWS region: set [s3] region in config.toml (or AWS_REGION)",
      options,
    );
  }
  if (CREDENTIAL_CODES.has(code)) {
    return new S3StorageError(
      "credentials",
      `S3 rejected the AWS credentials (${code}) for ${where}: check the access key, secret ` +
        "and session token in the AWS credentials chain",
      options,
    );
  }
  if (code === "AccessDenied" || code === "AllAccessDisabled" || status === 403) {
    return new S3StorageError(
      "access_denied",
      `access denied by S3 for ${where}: the credentials need s3:PutObject, s3:GetObject, ` +
        `s3:GetObjectAttributes, s3:RestoreObject, s3:ListBucket, ` +
        `s3:ListBucketMultipartUploads, s3:ListMultipartUploadParts and s3:GetBucketVersioning ` +
        `on bucket '${context.bucket}'`,
      options,
    );
  }
  if (code === "NoSuchBucket") {
    return new S3StorageError(
      "no_such_bucket",
      `S3 bucket '${context.bucket}' does not exist at ${context.endpoint}: ` +
        "check [s3] bucket, region and endpoint in config.toml",
      options,
    );
  }
  if (code === "PermanentRedirect" || code === "AuthorizationHeaderMalformed") {
    return new S3StorageError(
      "region",
      `S3 bucket '${context.bucket}' is not in region ${context.region ?? "(unset)"} (${code}): ` +
        "set [s3] region in config.toml to the bucket's region",
      options,
    );
  }
  if (isChecksumRejected(code, message)) {
    return new S3StorageError(
      "checksum_rejected",
      `S3 rejected the SHA-256 checksum of ${where} (${code}): the bytes sent do not match ` +
        "the hash recorded for them; the file may have changed or been corrupted",
      options,
    );
  }
  const tries = (context.attempts ?? 1) > 1 ? ` after ${context.attempts} attempts` : "";
  const detail = [code, status === undefined ? "" : `HTTP ${status}`, message]
    .filter((part) => part !== "").join(", ");
  return new S3StorageError("service", `S3 ${where} failed${tries}: ${detail}`, options);
}
