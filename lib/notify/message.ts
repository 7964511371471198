/**
 * Alert emails as a person reads them: a short subject with the event, the
 * host and the study (or sample and cycle) it is about, and a plain-text
 * body with the details, where to look next, and why the reader got it.
 * Pure: no clock, no host lookup, no I/O.
 *
 * @module
 */
import { EVENT_DESCRIPTIONS, type NotifyEvent } from "./events.ts";

/** What a caller has to say; every field but `title` is optional. */
export interface Alert {
  /** One line: what happened, e.g. "2 of 5 studies failed". */
  readonly title: string;
  /** Details, one per line: which study, which step, the error. */
  readonly lines?: readonly string[];
  /** The study concerned, named in the subject. */
  readonly study?: string;
  /** The instrument's sample at the time (monitor), named in the subject. */
  readonly sample?: string;
  /** The instrument's cycle at the time (monitor), named in the subject. */
  readonly cycle?: string | number;
  /** Verbatim text, e.g. the error block of Fusion.log, quoted in the body. */
  readonly excerpt?: string;
}

/** Where and when, filled in by the notifier. */
export interface MessageContext {
  readonly host: string;
  readonly time: Date;
  readonly configFile?: string | undefined;
  readonly logFile?: string | undefined;
  /** The recipients file the addresses came from, named in the footer. */
  readonly recipientsFile?: string | undefined;
}

/** A composed email. */
export interface ComposedMessage {
  readonly subject: string;
  readonly text: string;
}

/** Longest subject; mail clients show about this much. */
export const SUBJECT_MAX = 140;

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3).trimEnd()}...`;
}

/** The subject: `[fusion-toolkit] <event> on <host> (<study|sample, cycle>): <title>`. */
export function composeSubject(event: NotifyEvent, alert: Alert, host: string): string {
  const about: string[] = [];
  if (alert.study !== undefined) about.push(oneLine(alert.study));
  if (alert.sample !== undefined) about.push(`sample ${oneLine(alert.sample)}`);
  if (alert.cycle !== undefined) about.push(`cycle ${oneLine(String(alert.cycle))}`);
  const where = about.length === 0 ? "" : ` (${about.join(", ")})`;
  return clip(
    `[fusion-toolkit] ${event} on ${oneLine(host)}${where}: ${oneLine(alert.title)}`,
    SUBJECT_MAX,
  );
}

function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** The subject and plain-text body of one alert. */
export function composeMessage(
  event: NotifyEvent,
  alert: Alert,
  context: MessageContext,
): ComposedMessage {
  const body: string[] = [
    `fusion-toolkit alert: ${event}`,
    `(${EVENT_DESCRIPTIONS[event]})`,
    "",
    alert.title.trim(),
  ];
  const details = (alert.lines ?? []).map((line) => line.trimEnd()).filter((line) => line !== "");
  if (details.length > 0) body.push("", ...details.map((line) => `  ${line}`));
  if (alert.excerpt !== undefined && alert.excerpt.trim() !== "") {
    body.push(
      "",
      "Log excerpt:",
      ...alert.excerpt.trimEnd().split(/\r?\n/).map((line) => `  | ${line}`),
    );
  }
  const facts: [string, string | number | undefined][] = [
    ["Study", alert.study],
    ["Sample", alert.sample],
    ["Cycle", alert.cycle],
    ["Host", context.host],
    ["Time", formatTime(context.time)],
    ["Log file", context.logFile],
    ["Config", context.configFile],
  ];
  body.push("");
  for (const [label, value] of facts) {
    if (value !== undefined) body.push(`${`${label}:`.padEnd(10)} ${value}`);
  }
  if (context.recipientsFile !== undefined) {
    body.push(
      "",
      `You receive this because your address is listed in ${context.recipientsFile}.`,
      `Edit that file to change who receives ${event} alerts.`,
    );
  }
  return { subject: composeSubject(event, alert, context.host), text: `${body.join("\n")}\n` };
}
