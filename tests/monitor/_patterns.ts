/**
 * The default `[monitor]` patterns as the config loader builds them, and the
 * fixture logs of tests/fixtures/monitor.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { MONITOR_DEFAULT_PATTERNS } from "../../lib/config/schema.ts";
import type { MonitorPatterns } from "../../lib/monitor/mod.ts";

/** The default patterns. */
export const DEFAULT_PATTERNS: MonitorPatterns = {
  lineStart: new RegExp(MONITOR_DEFAULT_PATTERNS.line_start),
  error: new RegExp(MONITOR_DEFAULT_PATTERNS.error),
  sample: new RegExp(MONITOR_DEFAULT_PATTERNS.sample),
  cycle: new RegExp(MONITOR_DEFAULT_PATTERNS.cycle),
};

/** The path of a fixture log. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/monitor/${name}`, import.meta.url));
}
