/**
 * The S3 store for a command, loaded on demand: the AWS SDK is large and
 * reads the environment as it loads, which commands that never talk to S3
 * (validate, manifest show, --help) have no need for.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { S3Store, S3StoreOptions } from "./s3.ts";

/**
 * Loads the S3 module and runs `body` with `store()`, which makes the store
 * on its first call (a restore from the share never does); the store is
 * closed when `body` ends, however it ends.
 */
export async function withS3Store<T>(
  settings: Config["s3"],
  options: S3StoreOptions,
  body: (store: () => S3Store) => Promise<T>,
): Promise<T> {
  const { createS3Store } = await import("./s3.ts");
  let store: S3Store | undefined;
  try {
    return await body(() => store ??= createS3Store(settings, options));
  } finally {
    store?.close();
  }
}
