/**
 * What the page and the email share: escaping, the instruments' colours and
 * the charts' month labels. Pure.
 *
 * @module
 */
import { shortMonthName } from "./calendar.ts";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` safe inside HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** Okabe and Ito's colours, told apart by colour-blind readers too; reused past eight. */
const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#999933",
  "#332288",
];

/** The colour of the `index`th instrument. */
export function instrumentColor(index: number): string {
  return PALETTE[index % PALETTE.length] as string;
}

/** Colours of the share's chart and the alerts. */
export const COLORS = {
  share: "#0072B2",
  capacity: "#1b1f24",
  threshold: "#D55E00",
  free: "#d9e6f2",
  alert: "#b3261e",
  alertBackground: "#fdecea",
  ok: "#1e6b3a",
  muted: "#5f6b7a",
  rule: "#d8dde3",
} as const;

/** `Dec`, or `Jan 26` for a January and the chart's first month, so the year is never lost. */
export function chartLabel(month: string, first: boolean): string {
  const name = shortMonthName(month);
  return first || month.endsWith("-01") ? `${name} ${month.slice(2, 4)}` : name;
}
