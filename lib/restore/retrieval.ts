/**
 * Archived data: objects of an archive storage class must be retrieved by S3
 * before they can be read. A restore that finds any asks S3 for those not
 * already on their way (RestoreObject), writes nothing, and says how long it
 * typically takes; the same restore run later completes.
 *
 * @module
 */
import { forEachLimited } from "../concurrency/mod.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ObjectInfo, RestoreTier, S3Store } from "../storage/s3.ts";
import type { OutcomeBase, WaitingOutcome } from "./outcome.ts";
import { typicalWait } from "./plan.ts";
import type { FileProblem } from "./reader.ts";

/** HeadObject and RestoreObject requests at once, at least. */
const REQUEST_CONCURRENCY = 8;

/** How to ask for a retrieval (the restore's options). */
export interface RetrievalRequest {
  /** The S3 store, opened on first use. */
  readonly store: () => S3Store;
  readonly tier: RestoreTier;
  readonly days: number;
  readonly config: { readonly s3: Pick<Config["s3"], "concurrency"> };
  readonly logger: Logger;
}

/** Asks S3 to retrieve every archived object not already on its way; writes nothing. */
export async function requestRetrieval(
  request: RetrievalRequest,
  base: Omit<OutcomeBase, "problems">,
  archived: readonly ObjectInfo[],
  problems: readonly FileProblem[],
): Promise<WaitingOutcome> {
  const { tier, days } = request;
  const store = request.store();
  let started = 0;
  let inProgress = 0;
  const concurrency = Math.max(request.config.s3.concurrency, REQUEST_CONCURRENCY);
  await forEachLimited(archived, concurrency, async (object) => {
    if (object.restore?.ongoing === true) {
      inProgress++;
      return;
    }
    const answer = await store.requestRestore(object.key, { days, tier });
    if (answer === "started") started++;
    else inProgress++;
  });
  const classes = new Map<string, number>();
  for (const object of archived) {
    classes.set(object.storageClass, (classes.get(object.storageClass) ?? 0) + 1);
  }
  const slowest = classes.has("DEEP_ARCHIVE") ? "DEEP_ARCHIVE" : [...classes.keys()][0] ?? "";
  request.logger.info(
    `restore ${base.backup}: ${archived.length} objects are archived; retrieval requested for ` +
      `${started} now (tier ${tier}, ${days} days), ${inProgress} already in progress`,
  );
  return {
    ...base,
    kind: "waiting",
    problems,
    archived: classes,
    started,
    inProgress,
    tier,
    days,
    typicalWait: typicalWait(slowest, tier),
  };
}
