/**
 * Manifest records for tests of the code that reads the ledger (cleanup,
 * restore): a complete backup unless `fields` say otherwise.
 *
 * @module
 */
import type { ManifestRecord } from "../../lib/manifest/mod.ts";

/** The record of `<instrument>/<study>` `name`, complete, with `fields` overriding. */
export function manifestRecord(name: string, fields: Partial<ManifestRecord> = {}): ManifestRecord {
  const [instrument = "", study = ""] = name.split("/");
  return {
    backup_name: name,
    run_name: study,
    instrument,
    source_path: `D:\\FusionData\\${study}`,
    truenas_path: `\\\\truenas\\fusion-backup\\${instrument}\\${study}`,
    s3_uri: `s3://lab/fusion/${name}/`,
    file_count: 3,
    total_bytes: 300,
    status: "complete",
    started_at: "2025-01-01T02:00:00Z",
    truenas_verified_at: "2025-01-01T02:10:00Z",
    s3_verified_at: "2025-01-01T02:20:00Z",
    completed_at: "2025-01-01T02:21:00Z",
    source_deleted_at: "2025-01-01T02:22:00Z",
    error: null,
    ...fields,
  };
}
