/**
 * Text for people, shared by every command's output and the status screen:
 * sizes, rates, durations, tables, short digests, month names; and how far apart two names
 * are, for "did you mean" lists. Pure.
 *
 * @module
 */
export { editDistance } from "./edit_distance.ts";
export {
  type Align,
  formatBytes,
  formatDuration,
  formatRate,
  MONTH_NAMES,
  renderTable,
  shortDigest,
} from "./format.ts";
