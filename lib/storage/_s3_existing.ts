/**
 * An object already at a key an upload writes (S3 refused the create, or a
 * look before sending found it), and what the upload does with it:
 *
 * - the same bytes in the form this upload makes them (size, `sha256`
 *   metadata and S3's checksum), or with a full-object checksum equal to the
 *   file's SHA-256: kept, nothing sent;
 * - the same file uploaded in parts of other sizes (`part_size_mb` or
 *   `multipart_threshold_mb` changed since): its own part layout is read
 *   from S3 (GetObjectAttributes), the file is cut the same way and hashed,
 *   and kept when each part and the composite checksum S3 computed match;
 * - anything else: the upload's judge decides from the attempt tag the
 *   object carries — replaced (If-Match on the ETag judged) only when the
 *   judge proves it is the backup's own unfinished work, else refused with
 *   an {@link S3StorageError} of kind `exists` naming it and saying why.
 *
 * @module
 */
import { sha256OfRange } from "./_file_range.ts";
import { compositeSha256, hexToBase64, toBase64 } from "./_parts.ts";
import { type ObjectInfo, objectParts } from "./_s3_read.ts";
import { S3StorageError } from "./_s3_errors.ts";
import type { S3Session, UploadResult, WriteRules } from "./_s3_session.ts";

/** What an object must hold. */
export interface ExpectedObject {
  readonly size: number;
  /** The full-file SHA-256, lowercase hex (metadata `sha256`). */
  readonly sha256Hex: string;
  /** S3's ChecksumSHA256: full-object base64, or the composite `...-N`. */
  readonly checksumSha256: string;
}

/** What an upload wants at its key. */
export interface WantedObject extends ExpectedObject {
  readonly key: string;
  /** The file holding the bytes, when they are a file's: it can be cut in another layout's parts. */
  readonly path: string | undefined;
  /** How this upload sends it: in parts (how many), or in one PUT. */
  readonly multipart: boolean;
  readonly parts: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * What to do about the object found: it is kept (the upload's result), or
 * replaced (`note`: why it could not be kept, and the judge's note).
 */
export type Settlement =
  | { readonly kind: "found"; readonly result: UploadResult }
  | { readonly kind: "replace"; readonly etag: string; readonly note: string };

/** How `head` differs from `expected`, one phrase each. */
export function differences(head: ObjectInfo, expected: ExpectedObject): string[] {
  const problems: string[] = [];
  if (head.size !== expected.size) {
    problems.push(`size is ${head.size} bytes, expected ${expected.size}`);
  }
  if (head.checksumSha256 === undefined) {
    problems.push("S3 holds no SHA-256 checksum for it");
  } else if (head.checksumSha256 !== expected.checksumSha256) {
    problems.push(`ChecksumSHA256 is ${head.checksumSha256}, expected ${expected.checksumSha256}`);
  }
  if (head.sha256Hex !== expected.sha256Hex) {
    problems.push(
      `metadata sha256 is ${head.sha256Hex ?? "missing"}, expected ${expected.sha256Hex}`,
    );
  }
  return problems;
}

/**
 * Whether `head` holds `wanted`'s bytes as this upload would make them, or
 * in one PUT whose full-object checksum is the file's SHA-256.
 */
export function holdsSame(head: ObjectInfo, wanted: ExpectedObject): boolean {
  const stored = head.checksumSha256;
  return stored !== undefined && head.size === wanted.size &&
    head.sha256Hex === wanted.sha256Hex &&
    (stored === wanted.checksumSha256 || stored === hexToBase64(wanted.sha256Hex));
}

/**
 * Decides about the object `head` found at `wanted.key` (undefined: it was
 * there a moment ago and is gone).
 *
 * @throws {S3StorageError} kind `exists` when it is neither kept nor replaced.
 */
export async function settleExisting(
  session: S3Session,
  wanted: WantedObject,
  head: ObjectInfo | undefined,
  rules: WriteRules,
): Promise<Settlement> {
  const uri = `s3://${session.bucket}/${wanted.key}`;
  if (head === undefined) {
    throw new S3StorageError(
      "exists",
      `${uri} refused the write because an object was there, and that object is gone now ` +
        "(another writer at work?): run the backup again",
    );
  }
  if (holdsSame(head, wanted)) return { kind: "found", result: found(wanted, head, undefined) };
  let layoutProblem: string | undefined;
  if (sameFileClaimed(head, wanted) && wanted.path !== undefined) {
    const own = await confirmOwnParts(session, wanted, wanted.path, head);
    if (own.ok) return { kind: "found", result: found(wanted, head, own.sizes) };
    layoutProblem = `it has this file's size and sha256 metadata in ${own.parts} parts of ` +
      `another size, which could not be proven to hold its bytes: ${own.why}`;
  }
  const verdict = rules.judge?.(head.attempt);
  if (verdict?.replace === true && head.etag !== undefined) {
    const what = layoutProblem === undefined ? "it held other content" : layoutProblem;
    return { kind: "replace", etag: head.etag, note: `${what}; ${verdict.note}` };
  }
  const reasons = [
    ...differences(head, wanted),
    ...(layoutProblem === undefined ? [] : [layoutProblem]),
  ];
  const why = verdict === undefined
    ? "a backup never replaces an object in S3"
    : verdict.replace
    ? "S3 named no ETag for it, so it cannot be replaced safely: a backup never replaces it"
    : verdict.reason;
  throw new S3StorageError(
    "exists",
    `${uri} already holds another object (${reasons.join("; ")}): ${why}`,
  );
}

/** The upload's result for an object that was already there. */
function found(
  wanted: WantedObject,
  head: ObjectInfo,
  ownParts: readonly number[] | undefined,
): UploadResult {
  const stored = head.checksumSha256 ?? wanted.checksumSha256;
  const inOwnForm = stored === wanted.checksumSha256;
  return {
    key: wanted.key,
    size: wanted.size,
    checksumSha256: stored,
    multipart: inOwnForm ? wanted.multipart : ownParts !== undefined,
    parts: inOwnForm ? wanted.parts : ownParts?.length ?? 1,
    proof: "found",
    ...(ownParts === undefined ? {} : { foundParts: ownParts }),
  };
}

/** The object says it is this file (size and `sha256` metadata) in a multipart layout of its own. */
function sameFileClaimed(head: ObjectInfo, wanted: ExpectedObject): boolean {
  return head.size === wanted.size && head.sha256Hex === wanted.sha256Hex &&
    head.checksumSha256 !== undefined && /-\d+$/.test(head.checksumSha256) &&
    head.checksumSha256 !== wanted.checksumSha256;
}

type OwnParts =
  | { readonly ok: true; readonly sizes: readonly number[] }
  | { readonly ok: false; readonly parts: number; readonly why: string };

/**
 * Proves a multipart object holds the file's bytes in its own part layout:
 * S3 lists each part's size and checksum; the file, cut the same way, must
 * give the same digest for each part, and their composite must be the
 * ChecksumSHA256 S3 computed for the object.
 */
async function confirmOwnParts(
  session: S3Session,
  wanted: WantedObject,
  path: string,
  head: ObjectInfo,
): Promise<OwnParts> {
  const count = Number(/-(\d+)$/.exec(head.checksumSha256 ?? "")?.[1] ?? "0");
  const fail = (why: string): OwnParts => ({ ok: false, parts: count, why });
  let parts;
  try {
    parts = await objectParts(session, wanted.key, wanted.signal);
  } catch (error) {
    if (!(error instanceof S3StorageError)) throw error;
    return fail(`S3 did not list its parts (${error.message})`);
  }
  if (parts === undefined || parts.length !== count) return fail("S3 did not list its parts");
  if (parts.reduce((total, part) => total + part.size, 0) !== wanted.size) {
    return fail("its parts S3 lists do not add up to its size");
  }
  const digests: Uint8Array[] = [];
  let start = 0;
  for (const [index, part] of parts.entries()) {
    const digest = await sha256OfRange(path, start, part.size, wanted.signal);
    if (part.checksumSha256 !== undefined && part.checksumSha256 !== toBase64(digest)) {
      return fail(`part ${index + 1} (${part.size} bytes from byte ${start}) holds other bytes`);
    }
    digests.push(digest);
    start += part.size;
  }
  const composite = compositeSha256(digests);
  if (composite !== head.checksumSha256) {
    return fail(`the file cut in its parts gives the composite ${composite}`);
  }
  return { ok: true, sizes: parts.map((part) => part.size) };
}
