// Built by `deno task web` from web/page.ts and lib/standard/names.ts. Do not edit: edit the sources and rebuild.
(() => {
  // lib/standard/names.ts
  var FIELD_PATTERN = /^[A-Za-z0-9-]+$/;
  var MAX_EXPERIMENT_NAME_LENGTH = 60;
  var STUDY_FIELD_LABELS = [
    "date",
    "user",
    "project",
    "customname"
  ];
  var EXAMPLE_STUDY_NAME = "20250301_alice_lung_panel1";
  function isCalendarDate(text) {
    const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
    if (match === null) return false;
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    if (year < 1 || month < 1 || month > 12 || day < 1) return false;
    return day <= daysInMonth(year, month);
  }
  function daysInMonth(year, month) {
    if (month === 2) return isLeapYear(year) ? 29 : 28;
    return [
      4,
      6,
      9,
      11
    ].includes(month) ? 30 : 31;
  }
  function isLeapYear(year) {
    return year % 4 === 0 && year % 100 !== 0 || year % 400 === 0;
  }
  function charsetReason(label, value) {
    if (value === "") return `${label} is empty (two '_' in a row, or a leading or trailing '_')`;
    const bad = [
      ...new Set(value.replace(/[A-Za-z0-9-]/g, ""))
    ].map(showChar).join(", ");
    return `${label} '${value}' contains ${bad}; use only letters, digits and '-'`;
  }
  function showChar(char) {
    if (char === " ") return "a space";
    if (char === "_") return "'_'";
    const code = char.codePointAt(0) ?? 0;
    return code < 32 || code === 127 ? `U+${code.toString(16).padStart(4, "0")}` : `'${char}'`;
  }
  function checkDateField(value) {
    const label = "date";
    if (!/^\d{8}$/.test(value)) {
      return {
        label,
        value,
        ok: false,
        rule: "R1",
        reason: `'${value}' is not YYYYMMDD`
      };
    }
    if (!isCalendarDate(value)) {
      return {
        label,
        value,
        ok: false,
        rule: "R1",
        reason: `${value} is not a real calendar date`
      };
    }
    return {
      label,
      value,
      ok: true,
      rule: "R1",
      reason: "a real calendar date"
    };
  }
  function checkCharsetField(label, value) {
    if (FIELD_PATTERN.test(value)) {
      return {
        label,
        value,
        ok: true,
        rule: "R3",
        reason: "letters, digits and '-' only"
      };
    }
    return {
      label,
      value,
      ok: false,
      rule: "R3",
      reason: charsetReason(label, value)
    };
  }
  function checkStudyName(name) {
    const parts = name.split("_");
    const fields = [];
    const violations = [];
    if (parts.length !== STUDY_FIELD_LABELS.length) {
      violations.push({
        rule: "R1",
        message: `study name '${name}' has ${parts.length} field${parts.length === 1 ? "" : "s"}; it needs exactly 4: YYYYMMDD_user_project_customname`
      });
    }
    parts.forEach((value, index) => {
      const label = STUDY_FIELD_LABELS[index];
      if (label === void 0) {
        fields.push({
          label: "extra",
          value,
          ok: false,
          rule: "R1",
          reason: "a study name has only 4 fields; remove this one or join it with '-'"
        });
        return;
      }
      const check = label === "date" ? checkDateField(value) : checkCharsetField(label, value);
      fields.push(check);
      if (!check.ok) violations.push({
        rule: check.rule,
        message: `study name: ${check.reason}`
      });
    });
    for (const label of STUDY_FIELD_LABELS.slice(parts.length)) {
      fields.push({
        label,
        value: "",
        ok: false,
        rule: "R1",
        reason: `the ${label} field is missing`
      });
    }
    return {
      ok: violations.length === 0,
      fields,
      violations
    };
  }
  function checkExperimentName(study, experiment) {
    const fields = [];
    const violations = [];
    if (experiment !== study) {
      const prefix = `${study}_`;
      if (!experiment.startsWith(prefix)) {
        violations.push({
          rule: "R2",
          message: `experiment '${experiment}' must be named '${study}' or '${study}_<suffix>'`
        });
      } else {
        const suffix = experiment.slice(prefix.length);
        const ok = FIELD_PATTERN.test(suffix);
        const reason = ok ? "letters, digits and '-' only" : charsetReason("suffix", suffix);
        fields.push({
          label: "suffix",
          value: suffix,
          ok,
          rule: "R2",
          reason
        });
        if (!ok) violations.push({
          rule: "R2",
          message: `experiment name: ${reason}`
        });
      }
    }
    if (experiment.length > MAX_EXPERIMENT_NAME_LENGTH) {
      violations.push({
        rule: "R3",
        message: `experiment name is ${experiment.length} characters; the limit is ${MAX_EXPERIMENT_NAME_LENGTH} (Windows path length)`
      });
    }
    return {
      ok: violations.length === 0,
      fields,
      violations
    };
  }
  function checkNameLength(name) {
    const length = name.length;
    const limit = MAX_EXPERIMENT_NAME_LENGTH;
    const ok = length <= limit;
    const reason = ok ? `${length} of at most ${limit} characters` : `${length} characters; the limit is ${limit} (Windows path length)`;
    return {
      label: "length",
      value: String(length),
      ok,
      rule: "R3",
      reason
    };
  }

  // web/view.ts
  var EXAMPLE_EXPERIMENT_NAME = `${EXAMPLE_STUDY_NAME}_B-2`;
  function judged(what, name, rows) {
    const failing = rows.filter((row) => !row.ok);
    if (failing.length === 0) {
      return {
        status: "pass",
        summary: `PASS: '${name}' is a valid ${what}.`,
        rows,
        copyText: name
      };
    }
    const which = failing.map((row) => `${row.label} ${row.rule}`).join(", ");
    return {
      status: "fail",
      summary: `FAIL: ${failing.length} of ${rows.length} checks fail (${which}).`,
      rows,
      copyText: null
    };
  }
  function studyView(study) {
    if (study === "") {
      return {
        status: "empty",
        summary: `Type a study name, e.g. ${EXAMPLE_STUDY_NAME}.`,
        rows: [],
        copyText: null
      };
    }
    return judged("study name", study, [
      ...checkStudyName(study).fields,
      checkNameLength(study)
    ]);
  }
  function experimentView(study, experiment) {
    if (experiment === "") {
      return {
        status: "empty",
        summary: `Optional: an experiment folder name, e.g. ${EXAMPLE_EXPERIMENT_NAME}.`,
        rows: [],
        copyText: null
      };
    }
    if (study === "") {
      return {
        status: "empty",
        summary: "Type the study name first: an experiment folder is named after its study.",
        rows: [],
        copyText: null
      };
    }
    const check = checkExperimentName(study, experiment);
    const named = experiment === study || experiment.startsWith(`${study}_`);
    const nameRows = named ? [
      ...checkStudyName(study).fields,
      ...check.fields
    ] : check.violations.filter((v) => v.rule === "R2").map((v) => ({
      label: "name",
      value: experiment,
      ok: false,
      rule: v.rule,
      reason: v.message
    }));
    return judged("experiment folder name", experiment, [
      ...nameRows,
      checkNameLength(experiment)
    ]);
  }

  // web/page.ts
  function element(id, type) {
    const found = document.getElementById(id);
    if (!(found instanceof type)) throw new Error(`validator page: #${id} is missing`);
    return found;
  }
  var Section = class {
    input;
    #summary;
    #rows;
    #copy;
    #copyNote;
    #copyText = null;
    constructor(prefix) {
      this.input = element(prefix, HTMLInputElement);
      this.#summary = element(`${prefix}-summary`, HTMLElement);
      this.#rows = element(`${prefix}-rows`, HTMLElement);
      this.#copy = element(`${prefix}-copy`, HTMLButtonElement);
      this.#copyNote = element(`${prefix}-copy-note`, HTMLElement);
      this.#copy.addEventListener("click", () => this.#copyName());
    }
    render(view) {
      setText(this.#summary, view.summary);
      this.#summary.className = `summary ${view.status}`;
      this.#rows.replaceChildren(...view.rows.map(renderRow));
      this.input.setAttribute("aria-invalid", String(view.status === "fail"));
      this.#copyText = view.copyText;
      this.#copy.disabled = view.copyText === null;
      setText(this.#copyNote, view.copyText === null ? "Copy is available once every check passes." : "");
    }
    async #copyName() {
      const text = this.#copyText;
      if (text === null) return;
      const outcome = await copyToClipboard(text, this.input);
      if (outcome === "copied") {
        this.#copy.focus();
        setText(this.#copyNote, `Copied ${text} to the clipboard.`);
      } else {
        setText(this.#copyNote, "This browser blocked the clipboard: the name is selected in the box above, press Ctrl+C (Cmd+C on a Mac) to copy it.");
      }
    }
  };
  function renderRow(row) {
    const item = document.createElement("li");
    item.className = `row ${row.ok ? "pass" : "fail"}`;
    item.dataset.field = row.label;
    const verdict = span("verdict", "");
    const icon = span("icon", row.ok ? "\u2713" : "\u2717");
    icon.setAttribute("aria-hidden", "true");
    verdict.append(icon, row.ok ? " PASS" : " FAIL");
    const value = document.createElement("code");
    value.className = "value";
    value.textContent = row.value === "" ? "(empty)" : row.value;
    item.append(verdict, span("field", row.label), value, span("rule", row.rule), span("reason", row.reason));
    return item;
  }
  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }
  function span(className, text) {
    const node = document.createElement("span");
    node.className = className;
    node.textContent = text;
    return node;
  }
  async function copyToClipboard(text, source) {
    try {
      if (navigator.clipboard !== void 0) {
        await navigator.clipboard.writeText(text);
        return "copied";
      }
    } catch {
    }
    source.focus();
    source.select();
    try {
      if (document.execCommand("copy")) return "copied";
    } catch {
    }
    return "selected";
  }
  function start() {
    const study = new Section("study");
    const experiment = new Section("experiment");
    element("study-example", HTMLElement).textContent = EXAMPLE_STUDY_NAME;
    element("experiment-example", HTMLElement).textContent = EXAMPLE_EXPERIMENT_NAME;
    const update = () => {
      study.render(studyView(study.input.value));
      experiment.render(experimentView(study.input.value, experiment.input.value));
    };
    study.input.addEventListener("input", update);
    experiment.input.addEventListener("input", update);
    element("use-example", HTMLButtonElement).addEventListener("click", () => {
      study.input.value = EXAMPLE_STUDY_NAME;
      update();
      study.input.focus();
    });
    update();
    document.body.classList.add("ready");
  }
  start();
})();
