/**
 * Text for people, shared by every command's output and the status screen:
 * sizes, rates, durations, tables, short digests. Pure.
 *
 * @module
 */
export {
  type Align,
  formatBytes,
  formatDuration,
  formatRate,
  renderTable,
  shortDigest,
} from "./format.ts";
