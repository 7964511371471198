/**
 * How many S3 requests of a kind to keep in flight, without the AWS SDK.
 *
 * @module
 */

/** HeadObject requests at once, at least: they carry no body, so more fit than uploads. */
const MIN_HEAD_REQUESTS = 8;

/** HeadObject requests to keep in flight when `[s3] concurrency` is `configured`. */
export function headRequestsAtOnce(configured: number): number {
  return Math.max(configured, MIN_HEAD_REQUESTS);
}
