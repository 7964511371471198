/**
 * The alert events of the seed's notify subsystem, as `install init` writes
 * one recipients file per event. lib/notify owns the events at run time; this
 * list names the files the installer creates and must match it.
 *
 * @module
 */

/** Every alert event, with what fires it, in the seed's order. */
export const NOTIFY_EVENTS = [
  { name: "backup_failure", firesOn: "`backup run` ends with a non-zero exit code" },
  { name: "cleanup_failure", firesOn: "`cleanup run` ends with a non-zero exit code" },
  { name: "fusion_error", firesOn: "`monitor tail` finds an ERROR block in Fusion.log" },
  { name: "monitor_crash", firesOn: "`monitor tail` itself crashes" },
  {
    name: "toolkit_error",
    firesOn: "fusion-toolkit logs a WARNING or ERROR (the tool-health channel)",
  },
] as const;

/** The name of an alert event, e.g. "fusion_error". */
export type NotifyEventName = typeof NOTIFY_EVENTS[number]["name"];
