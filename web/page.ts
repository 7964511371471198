/**
 * The validator page's script: reads the two inputs on every keystroke and
 * renders {@linkcode studyView} and {@linkcode experimentView} into the page,
 * and the chosen study folder's file names into {@linkcode folderView}.
 * `deno task web` bundles it, with the name rules, into
 * `docs/validator/validator.js`.
 *
 * @module
 */
import { EXAMPLE_STUDY_NAME, type FieldCheck } from "../lib/standard/names.ts";
import {
  EXAMPLE_EXPERIMENT_NAME,
  experimentView,
  type FolderView,
  folderView,
  type SectionView,
  studyView,
} from "./view.ts";

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`validator page: #${id} is missing`);
  return found;
}

/** The elements of one section: `<prefix>`, `<prefix>-summary`, `-rows`, `-copy`, `-copy-note`. */
class Section {
  readonly input: HTMLInputElement;
  readonly #summary: HTMLElement;
  readonly #rows: HTMLElement;
  readonly #copy: HTMLButtonElement;
  readonly #copyNote: HTMLElement;
  #copyText: string | null = null;

  constructor(prefix: string) {
    this.input = element(prefix, HTMLInputElement);
    this.#summary = element(`${prefix}-summary`, HTMLElement);
    this.#rows = element(`${prefix}-rows`, HTMLElement);
    this.#copy = element(`${prefix}-copy`, HTMLButtonElement);
    this.#copyNote = element(`${prefix}-copy-note`, HTMLElement);
    this.#copy.addEventListener("click", () => this.#copyName());
  }

  render(view: SectionView): void {
    setText(this.#summary, view.summary);
    this.#summary.className = `summary ${view.status}`;
    this.#rows.replaceChildren(...view.rows.map(renderRow));
    this.input.setAttribute("aria-invalid", String(view.status === "fail"));
    this.#copyText = view.copyText;
    this.#copy.disabled = view.copyText === null;
    setText(
      this.#copyNote,
      view.copyText === null ? "Copy is available once every check passes." : "",
    );
  }

  async #copyName(): Promise<void> {
    const text = this.#copyText;
    if (text === null) return;
    const outcome = await copyToClipboard(text, this.input);
    if (outcome === "copied") {
      this.#copy.focus();
      setText(this.#copyNote, `Copied ${text} to the clipboard.`);
    } else {
      setText(
        this.#copyNote,
        "This browser blocked the clipboard: the name is selected in the box above, " +
          "press Ctrl+C (Cmd+C on a Mac) to copy it.",
      );
    }
  }
}

function renderRow(row: FieldCheck): HTMLLIElement {
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
  item.append(
    verdict,
    span("field", row.label),
    value,
    span("rule", row.rule),
    span("reason", row.reason),
  );
  return item;
}

/** The study-folder section: a folder picker, its verdict and one row per violation. */
class FolderSection {
  readonly input: HTMLInputElement;
  readonly #summary: HTMLElement;
  readonly #rows: HTMLElement;

  constructor() {
    this.input = element("folder", HTMLInputElement);
    this.#summary = element("folder-summary", HTMLElement);
    this.#rows = element("folder-rows", HTMLElement);
    this.input.addEventListener("change", () => this.render(folderView(this.#paths())));
  }

  /** The chosen folder's files as `<folder>/<path>`; only their names are read. */
  #paths(): string[] {
    return [...this.input.files ?? []].map((file) => file.webkitRelativePath);
  }

  render(view: FolderView): void {
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
}

/** Sets `node`'s text only when it changes, so a live region announces only news. */
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function span(className: string, text: string): HTMLSpanElement {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

/**
 * Copies `text` with the Clipboard API; where it is missing or refused (some
 * browsers on file:// pages), selects `source` (which holds `text`) and tries
 * the older copy command. `selected` means the user has to press Ctrl+C.
 */
async function copyToClipboard(
  text: string,
  source: HTMLInputElement,
): Promise<"copied" | "selected"> {
  try {
    if (navigator.clipboard !== undefined) {
      await navigator.clipboard.writeText(text);
      return "copied";
    }
  } catch {
    // Refused (no permission, or the page is not a secure context): fall back below.
  }
  source.focus();
  source.select();
  try {
    // Deprecated, but the only way left where the Clipboard API is unavailable.
    if (document.execCommand("copy")) return "copied";
  } catch {
    // Some browsers throw instead of returning false.
  }
  return "selected";
}

function start(): void {
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
