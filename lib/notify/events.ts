/**
 * The email events (docs/cli.md, "notify"): the five alerts and the monthly
 * report, each with the recipient list file it reads and a one-line
 * description for emails and the CLI.
 *
 * @module
 */

/** Every event, in the order the docs list them. */
export const NOTIFY_EVENTS = [
  "backup_failure",
  "cleanup_failure",
  "fusion_error",
  "monitor_crash",
  "toolkit_error",
  "monthly_report",
] as const;

/** One alert event. */
export type NotifyEvent = typeof NOTIFY_EVENTS[number];

/** When each event fires. */
export const EVENT_DESCRIPTIONS: Readonly<Record<NotifyEvent, string>> = {
  backup_failure: "backup run ended with a non-zero exit code",
  cleanup_failure: "cleanup run ended with a non-zero exit code",
  fusion_error: "monitor tail found an ERROR block in the instrument's Fusion.log",
  monitor_crash: "monitor tail itself crashed",
  toolkit_error:
    "any fusion-toolkit WARNING or ERROR log line (deduplicated, one email per message per cooldown)",
  monthly_report:
    "report --send made the monthly report of every instrument on the share (its absence is itself the alarm)",
};

/** True when `name` is one of {@linkcode NOTIFY_EVENTS}. */
export function isNotifyEvent(name: string): name is NotifyEvent {
  return (NOTIFY_EVENTS as readonly string[]).includes(name);
}
