/**
 * One `monitor tail` catch-up pass over a log, alone in its process so
 * that its peak memory can be measured: `deno task bench monitor-catchup`
 * runs it. Prints one JSON line: seconds, peak RSS in MiB, and what the
 * tail found.
 *
 * Usage: `deno run --allow-read --allow-write scripts/monitor_catchup.ts LOG STATE_FILE`
 *
 * @module
 */
import { MONITOR_DEFAULT_PATTERNS } from "../lib/config/schema.ts";
import { Logger } from "../lib/log/mod.ts";
import { EMPTY_PARSER_STATE, LogTail, writeMonitorState } from "../lib/monitor/mod.ts";
import { peakRssMiB } from "./bench/_rss.ts";

async function main(): Promise<void> {
  const [log, stateFile] = Deno.args;
  if (log === undefined || stateFile === undefined) throw new Error("usage: LOG STATE_FILE");
  // A saved state at offset 0 that is not a first start: every block is new and delivered.
  await writeMonitorState(stateFile, {
    logPath: log,
    offset: 0,
    head: new Uint8Array(0),
    historyEnd: 0,
    parser: EMPTY_PARSER_STATE,
    sent: new Map(),
  }, new Date());
  let delivered = 0;
  const tail = await LogTail.open({
    logPath: log,
    patterns: {
      lineStart: new RegExp(MONITOR_DEFAULT_PATTERNS.line_start),
      error: new RegExp(MONITOR_DEFAULT_PATTERNS.error),
      sample: new RegExp(MONITOR_DEFAULT_PATTERNS.sample),
      cycle: new RegExp(MONITOR_DEFAULT_PATTERNS.cycle),
    },
    pollSeconds: 2,
    sentKeepDays: 30,
    rotationGraceSeconds: 60,
    stateFile,
    logger: new Logger(),
    deliver: () => {
      delivered++;
      return Promise.resolve(true);
    },
  });
  const start = performance.now();
  await tail.poll();
  const seconds = (performance.now() - start) / 1000;
  await tail.poll(); // the file stayed the same: a last block still pending is handled now
  console.log(JSON.stringify({ seconds, peakRssMiB: peakRssMiB(), delivered, ...tail.stats }));
}

if (import.meta.main) await main();
