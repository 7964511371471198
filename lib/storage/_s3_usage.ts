/**
 * What the bucket holds, per storage class: one listing (ListObjectsV2, every
 * page) summed into objects and bytes. The monthly report's cost estimate
 * reads it; a lifecycle rule that moved objects to another class shows here.
 *
 * @module
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { ReadSession } from "./_s3_read.ts";

/** Objects and bytes of one storage class. */
export interface ClassUsage {
  readonly objects: number;
  readonly bytes: number;
}

/**
 * Objects and bytes under `prefix` per storage class (S3 names no class for
 * STANDARD in some listings: those count as STANDARD).
 *
 * @throws {S3StorageError}
 */
export async function storageUsage(
  session: ReadSession,
  prefix: string,
  pageSize: number,
): Promise<Map<string, ClassUsage>> {
  const usage = new Map<string, ClassUsage>();
  let token: string | undefined;
  do {
    const page = await session.send(
      "ListObjectsV2",
      prefix,
      (requestOptions) =>
        session.client.send(
          new ListObjectsV2Command({
            Bucket: session.bucket,
            Prefix: prefix,
            MaxKeys: pageSize,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          requestOptions,
        ),
    );
    for (const object of page.Contents ?? []) {
      const storageClass = object.StorageClass ?? "STANDARD";
      const sum = usage.get(storageClass) ?? { objects: 0, bytes: 0 };
      usage.set(storageClass, { objects: sum.objects + 1, bytes: sum.bytes + (object.Size ?? 0) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return usage;
}
