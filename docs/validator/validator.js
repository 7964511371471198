// Built by `deno task web` from web/page.ts and lib/standard/names.ts and rules.ts. Do not edit: edit the sources and rebuild.
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
  function checkFprName(fileName) {
    const stem = fileName.replace(/\.fpr$/i, "");
    const bad = stem.split("_").filter((field) => !FIELD_PATTERN.test(field));
    if (bad.length === 0) return [];
    const reasons = bad.map((field) => field === "" ? "an empty field" : `'${field}'`).join(", ");
    return [
      {
        rule: "R7",
        message: `.fpr name has ${reasons}; fields may use only letters, digits and '-'`
      }
    ];
  }

  // lib/standard/rules.ts
  var STUDY_LOCK_FILE = ".fusion-toolkit.lock";
  var SCAN_DIR = /^Scan\d+$/;
  var RULE_ORDER = [
    "R1",
    "R2",
    "R3",
    "R4",
    "R5",
    "R6",
    "R7",
    "R8"
  ];
  function hasExtension(name, extension) {
    return name.toLowerCase().endsWith(extension) && name.length > extension.length;
  }
  function baseName(path) {
    return path.slice(path.lastIndexOf("/") + 1);
  }
  function parentOf(path) {
    const slash = path.lastIndexOf("/");
    return slash < 0 ? "" : path.slice(0, slash);
  }
  function childrenByParent(entries) {
    const children = /* @__PURE__ */ new Map();
    for (const entry of entries) {
      const parent = parentOf(entry.path);
      const list = children.get(parent);
      if (list === void 0) children.set(parent, [
        entry
      ]);
      else list.push(entry);
    }
    return children;
  }
  function isExperimentCandidate(study, name) {
    return name === study || name.startsWith(`${study}_`);
  }
  function hasCompleteScan(children, experiment) {
    const scans = (children.get(experiment) ?? []).filter((entry) => entry.kind === "dir" && SCAN_DIR.test(baseName(entry.path)));
    return scans.some((scan) => {
      const inside = children.get(scan.path) ?? [];
      const hasImage = inside.some((entry) => entry.kind === "file" && hasExtension(baseName(entry.path), ".qptiff"));
      const hasTemp = inside.some((entry) => entry.kind === "dir" && baseName(entry.path) === ".temp");
      return hasImage && hasTemp;
    });
  }
  function topLevelOf(study, entries) {
    const top = {
      directories: /* @__PURE__ */ new Set(),
      experiments: [],
      otherDirectories: [],
      xpdFiles: [],
      fprFiles: [],
      otherFiles: [],
      special: []
    };
    for (const { path: name, kind } of entries) {
      if (kind === "dir") {
        top.directories.add(name);
        (isExperimentCandidate(study, name) ? top.experiments : top.otherDirectories).push(name);
      } else if (kind === "file" && name !== STUDY_LOCK_FILE) {
        (hasExtension(name, ".xpd") ? top.xpdFiles : hasExtension(name, ".fpr") ? top.fprFiles : top.otherFiles).push(name);
      } else if (kind === "other") {
        top.special.push(name);
      }
    }
    return top;
  }
  function studyNameRule(study) {
    return checkStudyName(study).violations.map(({ rule, message }) => ({
      rule,
      path: ".",
      message
    }));
  }
  function entryNameRules(study, top) {
    return [
      ...top.experiments.flatMap((name) => checkExperimentName(study, name).violations.map(({ rule, message }) => ({
        rule,
        path: name,
        message
      }))),
      ...top.fprFiles.flatMap((name) => checkFprName(name).map(({ rule, message }) => ({
        rule,
        path: name,
        message
      })))
    ];
  }
  function requiredPartsRule(study, top) {
    const violations = [];
    if (top.xpdFiles.length + top.fprFiles.length === 0) {
      violations.push({
        rule: "R4",
        path: ".",
        message: "no metadata: a study needs at least one .xpd or .fpr file"
      });
    }
    if (top.experiments.length === 0) {
      violations.push({
        rule: "R4",
        path: ".",
        message: `no experiment directory: a study needs a '${study}' or '${study}_<suffix>' one`
      });
    }
    return violations;
  }
  function unexpectedEntriesRule(study, top, entries) {
    const r5 = (path, message) => ({
      rule: "R5",
      path,
      message
    });
    return [
      ...top.otherDirectories.map((name) => r5(name, `unexpected directory; experiment directories are named '${study}' or '${study}_<suffix>'`)),
      ...top.otherFiles.map((name) => r5(name, "unexpected file; only .xpd and .fpr files belong at study level")),
      ...top.special.map((name) => r5(name, "unexpected special file; only .xpd, .fpr and experiment directories")),
      ...entries.flatMap((entry) => entry.kind === "symlink" ? [
        r5(entry.path, "symbolic link; links are not allowed in a study and are never followed")
      ] : entry.kind === "other" && entry.path.includes("/") ? [
        r5(entry.path, "special file (a FIFO, socket or device); only files and folders can be backed up")
      ] : [])
    ];
  }
  function pairingRule(top) {
    const xpdNames = new Set(top.xpdFiles.map((xpd) => xpd.slice(0, -".xpd".length)));
    return [
      ...top.xpdFiles.flatMap((xpd) => {
        const sibling = xpd.slice(0, -".xpd".length);
        return top.directories.has(sibling) ? [] : [
          {
            rule: "R6",
            path: xpd,
            message: `no sibling experiment directory named '${sibling}'`
          }
        ];
      }),
      ...top.experiments.flatMap((experiment) => xpdNames.has(experiment) ? [] : [
        {
          rule: "R6",
          path: experiment,
          message: `no '${experiment}.xpd' beside it: every experiment directory has its own .xpd (an .fpr does not replace it)`
        }
      ])
    ];
  }
  function completeScanRule(children, experiments) {
    return experiments.flatMap((experiment) => hasCompleteScan(children, experiment) ? [] : [
      {
        rule: "R8",
        path: experiment,
        message: "no Scan<N> directory holding both a .qptiff file and a .temp directory"
      }
    ]);
  }
  function evaluateStudy(study, entries) {
    const children = childrenByParent(entries);
    const top = topLevelOf(study, children.get("") ?? []);
    const violations = [
      ...studyNameRule(study),
      ...entryNameRules(study, top),
      ...requiredPartsRule(study, top),
      ...unexpectedEntriesRule(study, top, entries),
      ...pairingRule(top),
      ...completeScanRule(children, top.experiments)
    ];
    return violations.sort((a, b) => RULE_ORDER.indexOf(a.rule) - RULE_ORDER.indexOf(b.rule) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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
  function listingOfFiles(paths) {
    const study = paths[0]?.split("/")[0] ?? "";
    const entries = [];
    const folders = /* @__PURE__ */ new Set();
    for (const path of paths) {
      const parts = path.split("/").slice(1);
      for (let depth = 1; depth < parts.length; depth++) {
        const folder = parts.slice(0, depth).join("/");
        if (!folders.has(folder)) {
          folders.add(folder);
          entries.push({
            path: folder,
            kind: "dir"
          });
        }
      }
      entries.push({
        path: parts.join("/"),
        kind: "file"
      });
    }
    return {
      study,
      entries
    };
  }
  function folderView(paths) {
    if (paths.length === 0) {
      return {
        status: "empty",
        summary: "Optional: choose a study folder to check what is inside it.",
        violations: []
      };
    }
    const { study, entries } = listingOfFiles(paths);
    const violations = evaluateStudy(study, entries);
    const files = `${paths.length} file${paths.length === 1 ? "" : "s"}`;
    if (violations.length === 0) {
      return {
        status: "pass",
        summary: `PASS: the study folder '${study}' follows R1\u2013R8 (${files} checked).`,
        violations
      };
    }
    const rules = [
      ...new Set(violations.map((violation) => violation.rule))
    ].join(", ");
    const count = `${violations.length} violation${violations.length === 1 ? "" : "s"}`;
    return {
      status: "fail",
      summary: `FAIL: the study folder '${study}' has ${count} (${rules}; ${files} checked).`,
      violations
    };
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
  var FolderSection = class {
    input;
    #summary;
    #rows;
    constructor() {
      this.input = element("folder", HTMLInputElement);
      this.#summary = element("folder-summary", HTMLElement);
      this.#rows = element("folder-rows", HTMLElement);
      this.input.addEventListener("change", () => this.render(folderView(this.#paths())));
    }
    /** The chosen folder's files as `<folder>/<path>`; only their names are read. */
    #paths() {
      return [
        ...this.input.files ?? []
      ].map((file) => file.webkitRelativePath);
    }
    render(view) {
      setText(this.#summary, view.summary);
      this.#summary.className = `summary ${view.status}`;
      this.#rows.replaceChildren(...view.violations.map((violation) => {
        const item = document.createElement("li");
        item.className = "violation";
        item.dataset.rule = violation.rule;
        const path = document.createElement("code");
        path.className = "path";
        path.textContent = violation.path;
        item.append(span("rule", violation.rule), path, span("message", violation.message));
        return item;
      }));
    }
  };
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
    new FolderSection().render(folderView([]));
    document.body.classList.add("ready");
  }
  start();
})();
