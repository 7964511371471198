/**
 * What the backup needs from the permanent archive (S3). The S3 store of
 * lib/storage implements it; the pipeline depends only on this.
 *
 * @module
 */

/** What an upload stored. */
export interface ArchivedObject {
  readonly key: string;
  readonly size: number;
  /** Base64 SHA-256: full-object for a single PUT, composite `...-N` for multipart. */
  readonly checksumSha256: string;
}

/** Verdict of a HeadObject check. */
export type ObjectCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The archive operations of a backup. */
export interface Archive {
  /** `s3://bucket/key`. */
  uri(key: string): string;
  /** The object key of `parts` under the configured prefix. */
  key(...parts: string[]): string;
  /** The part size a file of `size` bytes is uploaded with, or undefined for a single PUT. */
  partSizeFor(size: number): number | undefined;
  /**
   * The ChecksumSHA256 S3 keeps for such a file: the full-object digest in
   * base64, or the composite of its part digests (`...-N`) when uploaded in parts.
   */
  expectedChecksum(
    size: number,
    sha256Hex: string,
    partDigests: readonly Uint8Array[] | undefined,
  ): string;
  uploadFile(input: {
    readonly key: string;
    readonly path: string;
    readonly size: number;
    readonly sha256Hex: string;
    readonly partDigests?: readonly Uint8Array[] | undefined;
    readonly onProgress?: ((bytesDone: number) => void) | undefined;
    readonly signal?: AbortSignal | undefined;
  }): Promise<ArchivedObject>;
  /** Uploads small bytes; `storageClass` overrides the configured one. */
  putBytes(
    key: string,
    bytes: Uint8Array,
    contentType?: string,
    storageClass?: string,
  ): Promise<ArchivedObject>;
  verifyObject(
    key: string,
    expected: {
      readonly size: number;
      readonly sha256Hex: string;
      readonly checksumSha256: string;
    },
  ): Promise<ObjectCheck>;
}
