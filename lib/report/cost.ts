/**
 * The S3 storage cost estimate: bytes per storage class times the price per
 * GB-month from `[report]`, as AWS bills storage. Requests, retrievals and
 * transfers are left out: a backup archive is written once and rarely read.
 * Pure.
 *
 * @module
 */

/** AWS's billing gigabyte: 2^30 bytes. */
export const GIB = 2 ** 30;

/** Objects and bytes of one storage class. */
export interface Usage {
  readonly objects: number;
  readonly bytes: number;
}

/**
 * The classes AWS bills 40 KiB more per object for: 32 KiB of index at the
 * class's own price and 8 KiB of name and metadata at STANDARD's.
 */
export const OVERHEAD_CLASSES: readonly string[] = ["GLACIER", "DEEP_ARCHIVE"];
const OVERHEAD_CLASS_BYTES = 32 * 1024;
const OVERHEAD_STANDARD_BYTES = 8 * 1024;

/**
 * US dollars a month for `usage` in `storageClass` at `prices` (dollars per
 * GB-month by class), or undefined when the class has no price.
 */
export function monthlyCost(
  storageClass: string,
  usage: Usage,
  prices: Readonly<Record<string, number>>,
): number | undefined {
  const price = prices[storageClass];
  if (price === undefined) return undefined;
  let cost = (usage.bytes / GIB) * price;
  if (OVERHEAD_CLASSES.includes(storageClass)) {
    const standard = prices.STANDARD ?? 0;
    cost += (usage.objects * (OVERHEAD_CLASS_BYTES * price + OVERHEAD_STANDARD_BYTES * standard)) /
      GIB;
  }
  return cost;
}
