/**
 * The naming standard's name rules (R1, R2, R3, R7), as pure functions.
 *
 * This file uses no Deno or Node APIs on purpose: the browser validator page
 * bundles it, so the page and the CLI run the very same rules.
 *
 * @module
 */

/** The rules of the naming standard. */
export type RuleId = "R1" | "R2" | "R3" | "R4" | "R5" | "R6" | "R7" | "R8";

/** One broken rule in a name. */
export interface NameViolation {
  readonly rule: RuleId;
  readonly message: string;
}

/** The verdict on one `_`-separated field of a name, for per-field display. */
export interface FieldCheck {
  /**
   * What the field is: `date`, `user`, `project`, `customname`, `suffix` or
   * `extra`; `length` for {@linkcode checkNameLength}'s verdict on a whole name.
   */
  readonly label: string;
  readonly value: string;
  readonly ok: boolean;
  /** The rule this field is judged by. */
  readonly rule: RuleId;
  /** One line: why it fails, or what it is when it passes. */
  readonly reason: string;
}

/** The verdict on a whole name. */
export interface NameCheck {
  readonly ok: boolean;
  readonly fields: readonly FieldCheck[];
  readonly violations: readonly NameViolation[];
}

/** R3's character set for one field. */
export const FIELD_PATTERN = /^[A-Za-z0-9-]+$/;

/** R3: the longest experiment directory name (a Windows MAX_PATH guard). */
export const MAX_EXPERIMENT_NAME_LENGTH = 60;

/** The four fields of a study name, in order. */
export const STUDY_FIELD_LABELS = ["date", "user", "project", "customname"] as const;

/** A study name that passes every name rule, for examples and help text. */
export const EXAMPLE_STUDY_NAME = "20250301_alice_lung_panel1";

/** True when `text` is `YYYYMMDD` naming a day that exists in the Gregorian calendar. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Why `value`, named `label`, breaks the field character set. */
function charsetReason(label: string, value: string): string {
  if (value === "") return `${label} is empty (two '_' in a row, or a leading or trailing '_')`;
  const bad = [...new Set(value.replace(/[A-Za-z0-9-]/g, ""))].map(showChar).join(", ");
  return `${label} '${value}' contains ${bad}; use only letters, digits and '-'`;
}

function showChar(char: string): string {
  if (char === " ") return "a space";
  if (char === "_") return "'_'";
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `U+${code.toString(16).padStart(4, "0")}` : `'${char}'`;
}

function checkDateField(value: string): FieldCheck {
  const label = "date";
  if (!/^\d{8}$/.test(value)) {
    return { label, value, ok: false, rule: "R1", reason: `'${value}' is not YYYYMMDD` };
  }
  if (!isCalendarDate(value)) {
    return { label, value, ok: false, rule: "R1", reason: `${value} is not a real calendar date` };
  }
  return { label, value, ok: true, rule: "R1", reason: "a real calendar date" };
}

function checkCharsetField(label: string, value: string): FieldCheck {
  if (FIELD_PATTERN.test(value)) {
    return { label, value, ok: true, rule: "R3", reason: "letters, digits and '-' only" };
  }
  return { label, value, ok: false, rule: "R3", reason: charsetReason(label, value) };
}

/**
 * R1 and R3 for a study directory name: exactly four `_`-separated fields,
 * `YYYYMMDD_user_project_customname`, the first a real date, each field
 * `[A-Za-z0-9-]+`. Every broken field is reported, not only the first.
 */
export function checkStudyName(name: string): NameCheck {
  const parts = name.split("_");
  const fields: FieldCheck[] = [];
  const violations: NameViolation[] = [];
  if (parts.length !== STUDY_FIELD_LABELS.length) {
    violations.push({
      rule: "R1",
      message: `study name '${name}' has ${parts.length} field${parts.length === 1 ? "" : "s"}; ` +
        "it needs exactly 4: YYYYMMDD_user_project_customname",
    });
  }
  parts.forEach((value, index) => {
    const label = STUDY_FIELD_LABELS[index];
    if (label === undefined) {
      fields.push({
        label: "extra",
        value,
        ok: false,
        rule: "R1",
        reason: "a study name has only 4 fields; remove this one or join it with '-'",
      });
      return;
    }
    const check = label === "date" ? checkDateField(value) : checkCharsetField(label, value);
    fields.push(check);
    if (!check.ok) violations.push({ rule: check.rule, message: `study name: ${check.reason}` });
  });
  for (const label of STUDY_FIELD_LABELS.slice(parts.length)) {
    fields.push({
      label,
      value: "",
      ok: false,
      rule: "R1",
      reason: `the ${label} field is missing`,
    });
  }
  return { ok: violations.length === 0, fields, violations };
}

/**
 * R2 and R3 for an experiment directory inside study `study`: named `<study>`
 * or `<study>_<suffix>` with suffix `[A-Za-z0-9-]+`, and at most 60
 * characters. The study's own fields are judged by {@linkcode checkStudyName}.
 */
export function checkExperimentName(study: string, experiment: string): NameCheck {
  const fields: FieldCheck[] = [];
  const violations: NameViolation[] = [];
  if (experiment !== study) {
    const prefix = `${study}_`;
    if (!experiment.startsWith(prefix)) {
      violations.push({
        rule: "R2",
        message: `experiment '${experiment}' must be named '${study}' or '${study}_<suffix>'`,
      });
    } else {
      const suffix = experiment.slice(prefix.length);
      const ok = FIELD_PATTERN.test(suffix);
      const reason = ok ? "letters, digits and '-' only" : charsetReason("suffix", suffix);
      fields.push({ label: "suffix", value: suffix, ok, rule: "R2", reason });
      if (!ok) violations.push({ rule: "R2", message: `experiment name: ${reason}` });
    }
  }
  if (experiment.length > MAX_EXPERIMENT_NAME_LENGTH) {
    violations.push({
      rule: "R3",
      message: `experiment name is ${experiment.length} characters; ` +
        `the limit is ${MAX_EXPERIMENT_NAME_LENGTH} (Windows path length)`,
    });
  }
  return { ok: violations.length === 0, fields, violations };
}

/**
 * R3's length limit on one directory name, as a verdict for display: at most
 * {@linkcode MAX_EXPERIMENT_NAME_LENGTH} characters. `value` is the length.
 * {@linkcode checkExperimentName} applies the same limit; this also serves a
 * study name, the shortest name any of its experiment directories can have.
 */
export function checkNameLength(name: string): FieldCheck {
  const length = name.length;
  const limit = MAX_EXPERIMENT_NAME_LENGTH;
  const ok = length <= limit;
  const reason = ok
    ? `${length} of at most ${limit} characters`
    : `${length} characters; the limit is ${limit} (Windows path length)`;
  return { label: "length", value: String(length), ok, rule: "R3", reason };
}

/**
 * R7 for an `.fpr` file: its name without the extension is `_`-separated
 * fields, each `[A-Za-z0-9-]+`. It need not match any experiment.
 */
export function checkFprName(fileName: string): NameViolation[] {
  const stem = fileName.replace(/\.fpr$/i, "");
  const bad = stem.split("_").filter((field) => !FIELD_PATTERN.test(field));
  if (bad.length === 0) return [];
  const reasons = bad.map((field) => field === "" ? "an empty field" : `'${field}'`).join(", ");
  return [{
    rule: "R7",
    message: `.fpr name has ${reasons}; fields may use only letters, digits and '-'`,
  }];
}
