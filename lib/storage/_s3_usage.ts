/**
 * What the bucket holds, per storage class: one listing (ListObjectsV2, every
 * page) summed into objects and bytes. The monthly report's cost estimate
 * reads it; a lifecycle rule that moved objects to another class shows here.
 *
 * @module
 */
import { forEachObject } from "./_s3_read.ts";
import type { S3Session } from "./_s3_session.ts";

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
  session: S3Session,
  prefix: string,
  pageSize: number,
): Promise<Map<string, ClassUsage>> {
  const usage = new Map<string, ClassUsage>();
  await forEachObject(session, prefix, pageSize, (_key, size, storageClass) => {
    const sum = usage.get(storageClass) ?? { objects: 0, bytes: 0 };
    usage.set(storageClass, { objects: sum.objects + 1, bytes: sum.bytes + size });
  });
  return usage;
}
