/**
 * The instrument log monitor: follows Fusion.log, finds ERROR/FATAL blocks
 * with the sample and cycle they happened in, and hands each new one to a
 * deliver function (`monitor tail` emails it as `fusion_error`).
 *
 * ```ts
 * const tail = await LogTail.open({
 *   logPath, patterns, pollSeconds: 2, sentKeepDays: 30, rotationGraceSeconds: 60,
 *   stateFile: monitorStatePath(config.dir), logger,
 *   deliver: emailFusionErrors(notifier, logPath, patterns.lineStart),
 * });
 * await tail.run(abortSignal); // until aborted; state saved, log file closed
 * ```
 *
 * @module
 */
export { blockAlert, blockTitle, describeContext, emailFusionErrors } from "./alert.ts";
export { DEDUP_KEY_CHARS, dedupKey, pruneSent, type SentTimes, sentWithin } from "./dedup.ts";
export { detectEncoding, lastLineEnd, type LogEncoding } from "./encoding.ts";
export {
  type FileIdentity,
  findRenamedFile,
  holdsPosition,
  identityOf,
  sameIdentity,
} from "./identity.ts";
export {
  BlockParser,
  EMPTY_PARSER_STATE,
  type ErrorBlock,
  MAX_BLOCK_LINES,
  MAX_LINE_CHARS,
  type MonitorPatterns,
  type ParserState,
} from "./parser.ts";
export {
  type MonitorState,
  monitorStatePath,
  readMonitorState,
  type StateReading,
  writeMonitorState,
} from "./state.ts";
export {
  HEAD_BYTES,
  LogTail,
  type LogTailOptions,
  MAX_LINE_BYTES,
  PARSE_BYTES,
  READ_BYTES,
  type TailStats,
} from "./tail.ts";
