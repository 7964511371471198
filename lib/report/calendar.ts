/**
 * Months as the lab lives them. The report counts a run in the month of the
 * PC's own clock: a backup at 02:00 on the 1st in UTC+8 is 18:00 UTC on the
 * last day of the month before, and must not look like a missed month. A
 * calendar is only the offset from UTC at a moment; the CLI passes the PC's
 * time zone, tests pass fixed ones. Pure.
 *
 * @module
 */
import { MONTH_NAMES } from "../text/mod.ts";

/** The offset from UTC of a time zone. */
export interface Calendar {
  /** Minutes east of UTC at `time` (ms since the epoch): 480 in UTC+8, -300 in New York's winter. */
  offsetMinutes(time: number): number;
}

/** The time zone of this PC. */
export const localCalendar: Calendar = {
  offsetMinutes: (time) => -new Date(time).getTimezoneOffset(),
};

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** True for `YYYY-MM` with a month from 01 to 12. */
export function isMonth(text: string): boolean {
  return MONTH_PATTERN.test(text);
}

function parts(month: string): [number, number] {
  const match = MONTH_PATTERN.exec(month);
  if (match === null) throw new RangeError(`not a month (YYYY-MM): ${month}`);
  return [Number(match[1]), Number(match[2])];
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** `month` moved by `count` months (negative: back). */
export function addMonths(month: string, count: number): string {
  const [year, number] = parts(month);
  const index = year * 12 + (number - 1) + count;
  return `${pad(Math.floor(index / 12), 4)}-${pad((index % 12) + 1)}`;
}

/** Months from `from` to `to` (0 when equal, negative when `to` is earlier). */
export function monthsBetween(from: string, to: string): number {
  const [fromYear, fromMonth] = parts(from);
  const [toYear, toMonth] = parts(to);
  return (toYear - fromYear) * 12 + (toMonth - fromMonth);
}

/** The wall-clock fields of `time` in `calendar`, read from a shifted UTC date. */
function wallClock(calendar: Calendar, time: number): Date {
  return new Date(time + calendar.offsetMinutes(time) * 60_000);
}

/** `YYYY-MM` of `time` (ms) in `calendar`. */
export function monthOf(calendar: Calendar, time: number): string {
  const wall = wallClock(calendar, time);
  return `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}`;
}

/** The first instant (ms) of `month` in `calendar`: its 1st at 00:00 on the wall clock. */
export function monthStart(calendar: Calendar, month: string): number {
  const [year, number] = parts(month);
  const wall = Date.UTC(year, number - 1, 1);
  // The offset at the instant itself: asked twice, since the guess may lie across a DST change.
  const guess = wall - calendar.offsetMinutes(wall) * 60_000;
  return wall - calendar.offsetMinutes(guess) * 60_000;
}

/** `YYYY-MM-DD HH:MM` of `time` in `calendar`. */
export function formatTime(calendar: Calendar, time: number): string {
  const wall = wallClock(calendar, time);
  return `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-` +
    `${pad(wall.getUTCDate())} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
}

/** `YYYY-MM-DD` of `time` in `calendar`. */
export function formatDate(calendar: Calendar, time: number): string {
  return formatTime(calendar, time).slice(0, 10);
}

/** `UTC+08:00`, `UTC-05:00` or `UTC`: the zone of `calendar` at `time`. */
export function zoneName(calendar: Calendar, time: number): string {
  const offset = calendar.offsetMinutes(time);
  if (offset === 0) return "UTC";
  const sign = offset > 0 ? "+" : "-";
  const minutes = Math.abs(offset);
  return `UTC${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** `November 2026`. */
export function monthName(month: string): string {
  const [year, number] = parts(month);
  return `${MONTH_NAMES[number - 1]} ${year}`;
}

/** `Nov`: the short name charts label their bars with. */
export function shortMonthName(month: string): string {
  return (MONTH_NAMES[parts(month)[1] - 1] ?? "").slice(0, 3);
}

/** The month before the one holding `time`: the report's default. */
export function lastFullMonth(calendar: Calendar, time: number): string {
  return addMonths(monthOf(calendar, time), -1);
}
