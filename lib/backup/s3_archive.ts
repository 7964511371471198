/**
 * The backup's {@linkcode Archive} on the S3 store of lib/storage: keys under
 * the configured prefix, and the part size each file is uploaded with.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { Buffer } from "node:buffer";
import {
  choosePartSize,
  compositeSha256,
  createS3Store,
  s3Key,
  type S3Store,
} from "../storage/s3.ts";
import type { Archive } from "./archive.ts";

const MIB = 1024 * 1024;

/** An archive plus the store behind it, which the caller closes. */
export interface S3Archive extends Archive {
  readonly store: S3Store;
}

/** The archive for `[s3]` of `config`; `store` defaults to a new store from the same settings. */
export function s3Archive(config: Config, store: S3Store = createS3Store(config.s3)): S3Archive {
  const threshold = config.s3.multipartThresholdMb * MIB;
  const partBytes = config.s3.partSizeMb * MIB;
  const partSizeFor = (size: number) =>
    size > threshold ? choosePartSize(size, partBytes) : undefined;
  return {
    store,
    uri: (key) => store.uri(key),
    key: (...parts) => s3Key(config.s3.prefix, ...parts),
    partSizeFor,
    expectedChecksum(size, sha256Hex, partDigests) {
      if (partSizeFor(size) === undefined) return Buffer.from(sha256Hex, "hex").toString("base64");
      if (partDigests === undefined) throw new Error("a multipart checksum needs the part digests");
      return compositeSha256(partDigests);
    },
    uploadFile: ({ partDigests, onProgress, signal, ...input }) =>
      store.uploadFile({
        ...input,
        ...(partDigests === undefined ? {} : { partDigests }),
        ...(onProgress === undefined ? {} : { onProgress }),
        ...(signal === undefined ? {} : { signal }),
      }),
    putBytes: (key, bytes, contentType, storageClass) =>
      store.putBytes(key, bytes, contentType, storageClass),
    verifyObject: (key, expected) => store.verifyObject(key, expected),
  };
}
