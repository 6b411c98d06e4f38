// The roster page: it shows what the library finds in a roster, lets the user reassign or
// skip columns, apply suggested fixes and correct cells in the grid, and re-checks at once.
// Every call to the library runs in the worker; this file only renders. Text from the roster
// is always set with textContent, never parsed as HTML.
import { SAMPLE_GROUP } from "./sample-group.js";

const $ = (id) => document.getElementById(id);
const FINDINGS_PAGE = 200;
const PREVIEW_ROWS = 50;

// --- The worker, as promises -------------------------------------------------------------

const pending = new Map();
let nextId = 1;
let worker;

function startWorker() {
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    if (data.progress) {
      call.onProgress?.(data.progress);
      return;
    }
    pending.delete(data.id);
    if (data.error) call.reject(Object.assign(new Error(data.error.message), data.error));
    else call.resolve(data.result);
  };
}

// A call into WebAssembly runs to its end: the worker is stopped, every call waiting on it
// fails as cancelled, and a new worker takes its place (without the roster until `load`).
function restartWorker() {
  worker.terminate();
  for (const call of pending.values()) call.reject(Object.assign(new Error("cancelled"), { code: "cancelled" }));
  pending.clear();
  startWorker();
}

function run(name, args, { onProgress, transfer = [] } = {}) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, call: name, args }, transfer);
  });
}

startWorker();

// --- State ------------------------------------------------------------------------------

const state = {
  group: null, // the group as the library read it
  attributes: [], // what a column can fill
  fileName: null,
  file: null, // the roster as chosen, to give a new worker
  hasRoster: false,
  rosterInWorker: false, // whether the worker holds the roster (a new one does not)
  rowCount: 0, // the data rows of the report shown, which the worker holds
  gridStart: 0, // the 0-based index of the grid's first row
  gridRows: [], // the rows the grid shows
  rowFindings: [], // the findings located in those rows
  rowChanges: [], // the cells of those rows a fix or an edit changed: {cell, by, before, after, source}
  gridCell: null, // the grid's cell that is its tab stop (the last one focused), by name
  edits: [], // cells written anew, in order: {row, column, text, before, header}, row and column of the roster as chosen
  leftOut: [], // rows edited that a fix applied removed
  // Of the report shown, whose findings and records the worker keeps:
  findingCount: 0,
  kinds: [], // {code, severity, count} per code
  findingColumns: [], // the letters of the columns with findings
  findingsPage: { findings: [], matching: 0 }, // the findings table's, as filtered
  firstRecordRow: null,
  checked: null, // how the results shown were read: {overrides, headerRow, sheet, applied, edits, corrected, fixes}
  report: null,
  overrides: new Map(), // column letter -> attribute key, or null to skip
  headerRow: null,
  sheet: null,
  findingsShown: FINDINGS_PAGE,
  fixes: [], // the fixes suggested for the roster as chosen
  applied: new Set(), // the codes of the fixes applied
  corrected: null, // the corrected roster as a file {bytes, fileName, mimeType}
  generation: 0, // the latest analysis; older replies are dropped
};

function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("status-error", isError);
}

function failureText(result) {
  return result.errors.map((e) => `${e.message}${e.help ? ` (${e.help})` : ""}`).join("; ");
}

function download({ bytes, fileName, mimeType }) {
  const url = URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function cell(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text ?? "";
  if (className) element.className = className;
  return element;
}

// --- 1. The group -----------------------------------------------------------------------

async function applyGroup() {
  const status = $("group-status");
  let parsed;
  try {
    parsed = JSON.parse($("group-json").value);
  } catch (e) {
    say(status, `The group is not valid JSON: ${e.message}`, true);
    return;
  }
  const result = await run("validateGroup", { group: parsed });
  if (result.type === "failure") {
    say(status, `This group cannot be used: ${failureText(result)}`, true);
    return;
  }
  state.group = result.group;
  state.attributes = result.attributes;
  const custom = result.attributes.filter((a) => !a.standard).length;
  say(status, `Ready: “${result.group.name}”, ${custom} custom attribute${custom === 1 ? "" : "s"}.`);
  state.overrides.clear();
  state.applied.clear();
  state.edits = []; // another group may read another header row, and so other rows
  if (state.hasRoster) await analyze();
}

async function downloadTemplate(format) {
  if (!state.group) return;
  const result = await run("template", { group: state.group, format });
  if (result.type === "failure") say($("group-status"), failureText(result), true);
  else download(result);
}

function loadGroupFile(file) {
  file.text().then((text) => {
    $("group-json").value = text;
    $("group-choice").value = "custom";
    return applyGroup();
  });
}

// --- 2. The roster ----------------------------------------------------------------------

// A drop of several files checks the first and says so, rather than dropping the rest unseen.
// (The live region is always there, empty or not, so that a screen reader follows it.)
function chooseRosters(files) {
  const extra = $("roster-extra");
  const [file, ...others] = files;
  extra.textContent = others.length
    ? `${files.length} files were dropped; only the first, ${file.name}, is checked. ` +
      `Not checked: ${others.map((f) => f.name).join(", ")}. Drop one roster at a time.`
    : "";
  if (file) chooseRoster(file);
}

async function chooseRoster(file) {
  if (!state.group) {
    say($("roster-status"), "Choose a valid group first.", true);
    return;
  }
  state.fileName = file.name;
  state.file = file;
  state.overrides.clear();
  state.applied.clear();
  state.edits = [];
  state.corrected = null;
  state.headerRow = null;
  state.sheet = null;
  // A new file: the email shown and the row chosen belonged to the last one.
  $("email-row").value = "";
  $("email").hidden = true;
  say($("email-status"), "");
  const bytes = await file.arrayBuffer();
  state.hasRoster = true;
  state.checked = null;
  await analyze(bytes);
}

function showProgress(p) {
  const bar = $("progress");
  const fraction = p.totalBytes > 0 && p.bytes > 0 ? p.bytes / p.totalBytes : null;
  if (fraction === null) bar.removeAttribute("value");
  else bar.value = Math.min(fraction, 1);
  const percent = fraction === null ? "" : `, ${Math.floor(Math.min(fraction, 1) * 100)}% read`;
  $("progress-text").textContent = `${p.stage}${p.rows ? `, ${p.rows.toLocaleString()} rows` : ""}${percent}`;
}

/** Stops the check under way; the results shown before it (if any) stay, as they were read. */
function cancelAnalysis() {
  state.generation++;
  restartWorker();
  state.rosterInWorker = false;
  $("progress-row").hidden = true;
  if (state.checked) {
    state.overrides = new Map(state.checked.overrides);
    state.headerRow = state.checked.headerRow;
    state.sheet = state.checked.sheet;
    state.applied = new Set(state.checked.applied);
    state.edits = [...state.checked.edits];
    state.corrected = state.checked.corrected;
    state.fixes = state.checked.fixes;
    // The rows shown stay; other pages are read again by the next check.
    render();
  } else {
    // The first check of a file: there is nothing of it to show.
    state.hasRoster = false;
    state.file = null;
    state.report = null;
    $("results").hidden = true;
  }
  say($("roster-status"), "Check cancelled.");
  $("drop").focus();
}

/** How the roster is read: the mapping, header row and sheet chosen on the page. */
function readingOptions() {
  const options = {};
  if (state.overrides.size > 0) {
    options.mapping = { columns: [...state.overrides].map(([column, attribute]) => ({ column, attribute })) };
  }
  if (state.headerRow) options.headerRow = state.headerRow;
  if (state.sheet) options.sheet = state.sheet;
  return options;
}

/** The edits as the library takes them. */
function editsGiven() {
  return state.edits.map(({ row, column, text }) => ({ row, column, text }));
}

/** Applies the chosen fixes, then the edits, in the worker; false when they could not be
 * (said why: the fixes and edits are dropped, and the roster as chosen is shown). */
async function correct(reading) {
  const result = await run("fix", { group: state.group, codes: [...state.applied], edits: editsGiven(), options: reading });
  if (result.type === "failure") {
    state.applied.clear();
    state.edits = [];
    state.corrected = null;
    say($("fixes-status"), `The fixes and edits could not be applied: ${failureText(result)}`, true);
    return false;
  }
  state.fixes = result.fixes;
  state.leftOut = result.leftOut;
  state.corrected = { bytes: result.bytes, fileName: result.fileName, mimeType: result.mimeType };
  return true;
}

/** What was done to the roster shown: `enum_case applied and 2 cells edited`, or "". */
function corrections() {
  const parts = [];
  if (state.applied.size > 0) parts.push(`${[...state.applied].join(", ")} applied`);
  const cells = new Set(state.edits.map((e) => `${e.column}${e.row}`)).size;
  if (cells > 0) parts.push(`${cells} cell${cells === 1 ? "" : "s"} edited`);
  return parts.join(" and ");
}

/** Checks the roster (the bytes of a new file, or the one the worker holds, corrected by
 * the fixes and edits chosen). `keep`: {start, focus}: the grid goes back to the page of rows
 * from `start`, and focus to the cell `focus` ({source, column}) when it was in the grid. */
async function analyze(bytes, keep = {}) {
  const generation = ++state.generation;
  const reading = readingOptions();
  let options = { records: "handle", preview: PREVIEW_ROWS, rows: true, ...reading };
  $("progress-row").hidden = false;
  $("progress").value = 0;
  $("progress-text").textContent = "";
  say($("roster-status"), `Checking ${state.fileName}…`);
  const args = { fileName: state.fileName, group: state.group, options };
  if (bytes) {
    args.bytes = bytes;
    state.rosterInWorker = true;
  }
  let result;
  try {
    if (!bytes && !state.rosterInWorker) {
      const copy = await state.file.arrayBuffer();
      await run("load", { bytes: copy, fileName: state.fileName }, { transfer: [copy] });
      state.rosterInWorker = true;
      if (generation !== state.generation) return;
    }
    if (!bytes && (state.applied.size > 0 || state.edits.length > 0) && (await correct(reading))) {
      if (generation !== state.generation) return;
      // The corrected roster is one CSV sheet with its header in row 1 and the columns where
      // they were, so only the mapping still applies.
      args.options = options = { records: "handle", preview: PREVIEW_ROWS, rows: true, mapping: reading.mapping };
      args.corrected = true;
    } else {
      state.corrected = null;
      state.leftOut = [];
    }
    result = await run("analyze", args, { onProgress: showProgress, transfer: bytes ? [bytes] : [] });
  } catch (e) {
    if (generation !== state.generation) return; // cancelled, or a newer check took over
    say($("roster-status"), `The roster could not be checked: ${e.message}`, true);
    $("progress-row").hidden = true;
    return;
  }
  if (generation !== state.generation) return;
  $("progress-row").hidden = true;
  // The tests wait on this count to know that an analysis has been shown.
  const shown = () => (document.body.dataset.analyses = String(Number(document.body.dataset.analyses ?? 0) + 1));
  if (result.type === "failure") {
    state.report = null;
    $("results").hidden = true;
    say($("roster-status"), `${state.fileName} cannot be read: ${failureText(result)}`, true);
    shown();
    return;
  }
  state.report = result.report;
  state.rowCount = result.rowCount;
  state.gridStart = 0;
  state.gridRows = result.preview;
  state.rowFindings = result.rowFindings;
  state.rowChanges = result.rowChanges;
  state.findingCount = result.findingCount;
  state.kinds = result.kinds;
  state.findingColumns = result.findingColumns;
  state.firstRecordRow = result.firstRecordRow;
  if (!state.corrected) state.fixes = result.report.fixes ?? [];
  state.checked = {
    overrides: new Map(state.overrides), headerRow: state.headerRow, sheet: state.sheet,
    applied: new Set(state.applied), edits: [...state.edits], corrected: state.corrected, fixes: state.fixes,
  };
  state.findingsShown = FINDINGS_PAGE;
  const s = result.report.summary;
  const fixed = state.corrected && corrections() ? ` with ${corrections()}` : "";
  say(
    $("roster-status"),
    `${state.fileName}${fixed}: ${s.rows.toLocaleString()} rows, ${s.valid.toLocaleString()} valid, ` +
      `${s.errors.toLocaleString()} errors and ${s.warnings.toLocaleString()} warnings.`,
  );
  // Focus in the grid (or lost with the cell it was on) goes back to the cell asked for.
  const focusInGrid = $("grid").contains(document.activeElement) || document.activeElement === document.body;
  render();
  await refreshFindings();
  if (keep.start > 0) await showRows(keep.start);
  if (generation !== state.generation) return;
  if (keep.focus && focusInGrid) gridCellOf(keep.focus.source, keep.focus.column)?.focus();
  shown();
}

// --- 3–7. The results -------------------------------------------------------------------

function render() {
  $("results").hidden = false;
  renderSource();
  renderColumns();
  renderSummary();
  renderColumnFilter();
  renderGrid();
  renderGroups();
  renderFindings();
  renderFixes();
  renderEdits();
  renderNextStep();
  if (state.firstRecordRow && !$("email-row").value) $("email-row").value = state.firstRecordRow;
}

function renderSource() {
  const source = state.report.source;
  const facts = [
    ["Format", source.format.toUpperCase()],
    ["Encoding", source.encoding ? `${source.encoding}${source.bom ? " with a byte order mark" : ""}` : null],
    ["Delimiter", source.delimiter ? { "\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe" }[source.delimiter] ?? source.delimiter : null],
    ["Sheet", source.sheet ?? null],
    ["Header row", `${source.header_row}${source.header_row_detected ? " (detected)" : " (as chosen)"}`],
    ["Rows skipped", source.skipped_rows?.length ? source.skipped_rows.join(", ") : null],
  ];
  const list = $("source");
  list.replaceChildren();
  for (const [name, value] of facts) {
    if (value === null) continue;
    const dt = cell("dt", name);
    const dd = cell("dd", value);
    dd.dataset.fact = name.toLowerCase().replace(/ /g, "-");
    list.append(dt, dd);
  }
  const sheets = (source.sheets ?? []).filter((s) => s.worksheet);
  const select = $("sheet");
  select.hidden = $("sheet-label").hidden = sheets.length < 2;
  select.replaceChildren(...sheets.map((s) => new Option(`${s.name}${s.visible ? "" : " (hidden)"}`, s.name, false, s.name === source.sheet)));
  $("header-row").value = source.header_row;
}

function samplesOf(index) {
  const values = [];
  for (const row of state.report.preview ?? []) {
    const value = (row.cells[index] ?? "").trim();
    if (value && !values.includes(value)) values.push(value);
    if (values.length === 3) break;
  }
  return values.join(" · ");
}

/** Each cell of a stacked table (narrow screens) shows its column's name from `data-label`. */
function labelCells(table, tr) {
  const names = [...table.tHead.rows[0].cells].map((th) => th.textContent);
  [...tr.cells].forEach((td, i) => (td.dataset.label = names[i] ?? ""));
  return tr;
}

// A column's attribute is applied when the choice is made: at once for a pick with the
// mouse or touch, but with the arrow keys (which change a closed select one step at a time)
// only on Enter or when focus leaves it, so that each step is not a new check.
function commitAttribute(select) {
  if (!select.isConnected) return; // a new file replaced the table
  const letter = select.closest("tr").dataset.column;
  const chosen = select.value === "" ? null : select.value;
  const current = state.report.columns.find((c) => c.letter === letter)?.attribute ?? null;
  delete select.dataset.pending;
  if (chosen === current) return;
  state.overrides.set(letter, chosen);
  analyze();
}

function attributeSelect(column) {
  const select = document.createElement("select");
  select.setAttribute("aria-label", `Attribute of column ${column.letter} (${column.header || "no header"})`);
  select.setAttribute("aria-describedby", "columns-help");
  select.append(new Option("— skip this column —", ""));
  for (const a of state.attributes) select.append(new Option(`${a.label}${a.required ? " *" : ""}`, a.key));
  let byKey = false;
  select.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && select.dataset.pending) {
      e.preventDefault();
      commitAttribute(select);
    } else if (e.key === "Escape" && select.dataset.pending) {
      // Back to what the last check used, with nothing to apply.
      const letter = select.closest("tr").dataset.column;
      select.value = state.report.columns.find((c) => c.letter === letter)?.attribute ?? "";
      delete select.dataset.pending;
      byKey = false;
    } else if (e.key === " " || e.altKey) {
      byKey = false; // opens the list, where a choice is made once
    } else if (e.key.length === 1 || e.key.startsWith("Arrow") || ["Home", "End", "PageUp", "PageDown"].includes(e.key)) {
      byKey = true;
    }
  });
  select.addEventListener("pointerdown", () => (byKey = false));
  select.addEventListener("change", () => {
    if (byKey) select.dataset.pending = "true";
    else commitAttribute(select);
  });
  select.addEventListener("blur", () => {
    byKey = false;
    if (select.dataset.pending) commitAttribute(select);
  });
  return select;
}

// The rows are built once per set of columns and updated in place after a re-check, so that
// the select a person just used keeps focus (and a screen reader its place).
function renderColumns() {
  const table = $("columns");
  const body = table.tBodies[0];
  const letters = state.report.columns.map((c) => c.letter).join(",");
  if (body.dataset.letters !== letters || body.dataset.attributes !== state.attributes.map((a) => a.key).join(",")) {
    body.dataset.letters = letters;
    body.dataset.attributes = state.attributes.map((a) => a.key).join(",");
    body.replaceChildren(...state.report.columns.map((column) => {
      const tr = document.createElement("tr");
      tr.dataset.column = column.letter;
      const attributeCell = document.createElement("td");
      attributeCell.append(attributeSelect(column));
      tr.append(cell("td", column.letter, "code"), cell("td", column.header), cell("td", "", "samples"),
        attributeCell, cell("td", ""), cell("td", ""));
      return labelCells(table, tr);
    }));
  }
  state.report.columns.forEach((column, i) => {
    const tr = body.rows[i];
    tr.classList.toggle("unassigned", !column.attribute);
    const select = tr.querySelector("select");
    if (!select.dataset.pending) select.value = column.attribute ?? "";
    tr.cells[2].textContent = samplesOf(column.index);
    tr.cells[4].textContent = column.uncertain ? `${column.tier}: ${column.uncertain}` : column.tier;
    tr.cells[5].textContent = `${Math.round(column.score * 100)}%`;
  });
}

/** Every column back to the match the library makes itself, checked again. */
function resetMapping() {
  if (state.overrides.size === 0) {
    say($("roster-status"), "Every column already has the automatic match.");
    return;
  }
  state.overrides.clear();
  for (const select of $("columns").querySelectorAll("select")) delete select.dataset.pending;
  analyze();
}

function renderSummary() {
  const s = state.report.summary;
  const items = [
    ["rows", `${s.rows.toLocaleString()} rows`],
    ["valid", `${s.valid.toLocaleString()} valid`],
    ["invalid", `${s.invalid.toLocaleString()} with errors`],
    ["errors", `${s.errors.toLocaleString()} errors`],
    ["warnings", `${s.warnings.toLocaleString()} warnings`],
  ];
  $("summary").replaceChildren(...items.map(([name, text]) => {
    const li = cell("li", text, name);
    li.dataset.count = name;
    return li;
  }));
}

function renderColumnFilter() {
  const select = $("filter-column");
  const chosen = select.value;
  const letters = state.findingColumns;
  select.replaceChildren(new Option("All", ""), ...letters.map((l) => {
    const header = state.report.columns.find((c) => c.letter === l)?.header;
    return new Option(header ? `${l}: ${header}` : l, l);
  }));
  select.value = letters.includes(chosen) ? chosen : "";
}

function countText({ count, severity }) {
  return `${count.toLocaleString()} ${severity}${count === 1 ? "" : "s"}`;
}

// One button per kind of problem: it narrows the findings table to that kind, whose cells
// lead on to the grid.
function renderGroups() {
  const types = state.kinds;
  $("groups").replaceChildren(...types.map((type) => {
    const button = cell("button", `${type.code}: ${countText(type)}`, `severity-${type.severity}`);
    button.type = "button";
    button.dataset.code = type.code;
    button.addEventListener("click", async () => {
      $("filter-code").value = type.code;
      state.findingsShown = FINDINGS_PAGE;
      await refreshFindings();
      $("filter-status").textContent = `Showing ${$("findings-count").textContent}.`;
      $("findings-box").focus();
    });
    const li = document.createElement("li");
    li.append(button);
    return li;
  }));
  $("groups").hidden = $("groups-title").hidden = types.length === 0;
  const select = $("filter-code");
  const chosen = select.value;
  select.replaceChildren(new Option("All", ""), ...types.map((t) => new Option(`${t.code} (${t.count.toLocaleString()})`, t.code)));
  select.value = types.some((t) => t.code === chosen) ? chosen : "";
}

/** Asks the worker for the findings the filters choose, and shows them. */
async function refreshFindings() {
  if (!(await ensureKept())) return;
  const generation = state.generation;
  let page;
  try {
    page = await run("findings", {
      severity: $("filter-severity").value,
      column: $("filter-column").value,
      code: $("filter-code").value,
      count: state.findingsShown,
    });
  } catch {
    return; // cancelled: the findings shown stay
  }
  if (generation !== state.generation) return;
  state.findingsPage = page;
  renderFindings();
}

/** Moves focus to a cell of the grid (which shows its message below), first opening the
 * page of rows that holds it when another page is shown. */
async function jumpToCell(name, row) {
  const find = () => $("grid").querySelector(`td[data-cell="${name}"]`);
  if (!find()) {
    if (!(await ensureKept())) return;
    const generation = state.generation;
    let located;
    try {
      located = await run("locate", { row });
    } catch {
      return; // cancelled: the rows shown stay
    }
    if (generation !== state.generation) return;
    if (located.index === null) {
      $("grid-status").textContent = `Row ${row} is not one of the data rows.`;
      return;
    }
    await showRows(Math.floor(located.index / PREVIEW_ROWS) * PREVIEW_ROWS);
  }
  find()?.focus();
}

function renderFindings() {
  const { findings: shown, matching } = state.findingsPage;
  // Cells of data rows lead to the grid (a header cell's finding is about the columns).
  const headerRow = state.report.source.header_row;
  const body = $("findings").tBodies[0];
  body.replaceChildren(...shown.map((f) => {
    const tr = document.createElement("tr");
    tr.dataset.code = f.code;
    tr.dataset.severity = f.severity;
    const place = cell("td", f.cell ?? (f.row ? `row ${f.row}` : f.column ?? "file"), "code");
    if (f.cell && f.row > headerRow) {
      const jump = cell("button", f.cell, "link");
      jump.type = "button";
      jump.setAttribute("aria-label", `${f.cell}: show in the rows`);
      jump.addEventListener("click", () => jumpToCell(f.cell, f.row));
      place.replaceChildren(jump);
    }
    tr.append(
      place,
      cell("td", f.severity, `severity-${f.severity}`),
      cell("td", f.code, "code"),
      cell("td", f.message),
      cell("td", f.help),
    );
    return labelCells($("findings"), tr);
  }));
  const total = state.findingCount;
  $("findings-count").textContent =
    matching === total ? `${total.toLocaleString()} findings` : `${matching.toLocaleString()} of ${total.toLocaleString()} findings`;
  $("findings-more").hidden = matching <= shown.length;
}

function renderGrid() {
  const report = state.report;
  const byCell = new Map();
  const rowsWithErrors = new Set();
  for (const f of state.rowFindings) {
    if (f.cell) byCell.set(f.cell, [...(byCell.get(f.cell) ?? []), f]);
    if (f.row && f.severity === "error") rowsWithErrors.add(f.row);
  }
  const changed = new Map(state.rowChanges.map((c) => [c.cell, c]));
  const head = document.createElement("tr");
  head.append(cell("th", "Row", "rownum"));
  for (const c of report.columns) {
    const th = cell("th", `${c.letter}: ${c.header || "(no header)"}`);
    th.scope = "col";
    head.append(th);
  }
  $("grid").tHead.replaceChildren(head);
  const body = $("grid").tBodies[0];
  const notes = [];
  body.replaceChildren(...state.gridRows.map((row) => {
    const tr = document.createElement("tr");
    tr.dataset.row = row.row;
    tr.dataset.source = row.source ?? "";
    if (rowsWithErrors.has(row.row)) tr.className = "row-error";
    const number = cell("th", row.row, "rownum");
    number.scope = "row";
    tr.append(number);
    const width = Math.max(report.columns.length, row.cells.length);
    for (let i = 0; i < width; i++) {
      const letter = report.columns[i]?.letter ?? columnLetter(i);
      const td = cell("td", row.cells[i] ?? "");
      const name = `${letter}${row.row}`;
      const found = byCell.get(name);
      td.dataset.cell = name;
      td.dataset.column = letter;
      td.tabIndex = -1; // one cell is the grid's tab stop; the arrow keys move between them
      // The cell's name is its value (from its content); its description, said once after
      // it, is the severity and the messages, then what changed it, from hidden elements.
      const described = [];
      if (found) {
        const severity = found.some((f) => f.severity === "error") ? "error" : "warning";
        td.className = `cell-${severity}`;
        const note = cell("span", cellNote(found));
        note.id = `note-${name}`;
        notes.push(note);
        described.push(note.id);
        td.dataset.severity = severity;
      }
      const change = changed.get(name);
      if (change) {
        td.classList.add("cell-changed");
        const note = cell("span", changeNote(change));
        note.id = `change-${name}`;
        notes.push(note);
        described.push(note.id);
        td.dataset.changed = change.by;
      }
      if (described.length) td.setAttribute("aria-describedby", described.join(" "));
      tr.append(td);
    }
    return tr;
  }));
  $("cell-notes").replaceChildren(...notes);
  showCellDetail(null);
  const cells = [...body.querySelectorAll("td")];
  const stop = cells.find((td) => td.dataset.cell === state.gridCell) ?? cells.find((td) => td.dataset.severity) ?? cells[0];
  if (stop) stop.tabIndex = 0;
  renderPager();
}

/** The grid's cell of the roster as chosen's row `source` and column `column`, if shown. */
function gridCellOf(source, column) {
  return $("grid").querySelector(`tr[data-source="${source}"] td[data-column="${column}"]`);
}

/** Makes `td` the grid's tab stop (the cell Tab comes back to). */
function makeTabStop(td) {
  for (const other of $("grid").querySelectorAll('td[tabindex="0"]')) if (other !== td) other.tabIndex = -1;
  td.tabIndex = 0;
  state.gridCell = td.dataset.cell;
}

/** What changed a cell, for a screen reader and the detail below the grid. */
function changeNote({ by, before }) {
  const what = by === "edit" ? "Edited by you" : `Changed by ${by.replace("edit", "your edit")}`;
  return `${what}; it was “${before ?? ""}”.`;
}

// --- Editing a cell in place -------------------------------------------------------------

/** Opens the next (`step` 1) or previous (-1) page of rows and focuses the cell of the same
 * column in its first row; on the last or first page, the cell in its last or first row. */
async function turnGridPage(td, step) {
  const column = td.dataset.column;
  const start = state.gridStart + step * PREVIEW_ROWS;
  if (start >= 0 && start < state.rowCount) await showRows(start);
  else {
    const rows = $("grid").tBodies[0].rows;
    (step > 0 ? rows[rows.length - 1] : rows[0])?.querySelector(`td[data-column="${column}"]`)?.focus();
    return;
  }
  $("grid").tBodies[0].rows[0]?.querySelector(`td[data-column="${column}"]`)?.focus();
}

/** The arrow keys, Home and End move between cells, Page Down and Page Up between pages of
 * rows; Enter or F2 edits a cell; Ctrl+Z undoes the last edit. */
function gridKeydown(e) {
  const td = e.target.closest?.("td");
  if (!td || e.target !== td) return; // a key in the editor is the editor's
  const tr = td.parentElement;
  const inRow = [...tr.querySelectorAll("td")];
  const at = inRow.indexOf(td);
  let next = null;
  if (e.key === "ArrowRight") next = inRow[at + 1];
  else if (e.key === "ArrowLeft") next = inRow[at - 1];
  else if (e.key === "ArrowDown") next = tr.nextElementSibling?.querySelectorAll("td")[at];
  else if (e.key === "ArrowUp") next = tr.previousElementSibling?.querySelectorAll("td")[at];
  else if (e.key === "Home") next = e.ctrlKey ? $("grid").querySelector("tbody td") : inRow[0];
  else if (e.key === "End") next = e.ctrlKey ? [...$("grid").querySelectorAll("tbody tr:last-child td")].at(-1) : inRow.at(-1);
  else if (e.key === "PageDown" || e.key === "PageUp") {
    e.preventDefault();
    turnGridPage(td, e.key === "PageDown" ? 1 : -1);
    return;
  } else if (e.key === "Enter" || e.key === "F2") {
    e.preventDefault();
    startEdit(td);
    return;
  } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z" && state.edits.length > 0) {
    e.preventDefault();
    undoEdit(state.edits.length - 1, { toCell: true });
    return;
  } else return;
  e.preventDefault(); // the box would scroll instead
  if (next) next.focus();
}

/** Puts an editor in the cell, with its text chosen. */
function startEdit(td) {
  if (td.dataset.editing || !td.parentElement.dataset.source) return;
  const text = td.textContent;
  const header = state.report.columns.find((c) => c.letter === td.dataset.column)?.header;
  const input = document.createElement("input");
  input.type = "text";
  input.value = text;
  input.setAttribute("aria-label", `Edit ${td.dataset.cell}${header ? `, ${header}` : ""}`);
  input.setAttribute("aria-describedby", "edit-help");
  input.spellcheck = false;
  td.dataset.editing = text;
  td.replaceChildren(input);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      finishEdit(td, input, true);
    } else if (e.key === "Escape") {
      e.preventDefault();
      finishEdit(td, input, false);
    }
  });
  // Leaving the editor keeps what was typed, as a spreadsheet does.
  input.addEventListener("blur", () => finishEdit(td, input, true));
  input.focus();
  input.select();
}

/** Ends an edit: committed, the cell takes the text and the roster is checked again;
 * cancelled (or unchanged), the cell is as it was. Focus goes back to the cell. */
function finishEdit(td, input, commit) {
  if (td.dataset.editing === undefined) return; // ended already (the blur of its removal)
  const before = td.dataset.editing;
  delete td.dataset.editing;
  const text = input.value;
  const leaving = !td.contains(document.activeElement); // a blur: focus went on elsewhere
  td.textContent = commit ? text : before;
  if (!leaving) td.focus();
  if (!commit || text === before) {
    $("grid-status").textContent = commit ? "" : `Edit of ${td.dataset.cell} cancelled.`;
    return;
  }
  const header = state.report.columns.find((c) => c.letter === td.dataset.column)?.header ?? "";
  const source = Number(td.parentElement.dataset.source);
  state.edits.push({ row: source, column: td.dataset.column, text, before, header });
  $("grid-status").textContent = `${td.dataset.cell} is now “${text}”. Checking the roster again…`;
  analyze(undefined, { start: state.gridStart, focus: { source, column: td.dataset.column } });
}

/** Takes back an edit (the cell has the text it had before it) and checks the roster again.
 * `toCell`: focus goes to the cell; otherwise it stays in the list of edits. */
async function undoEdit(index, { toCell = false } = {}) {
  const [edit] = state.edits.splice(index, 1);
  if (!edit) return;
  const generation = state.generation;
  await analyze(undefined, { start: state.gridStart, focus: { source: edit.row, column: edit.column } });
  if (state.generation !== generation + 1) return;
  $("grid-status").textContent = `The edit of ${edit.column}${edit.row} was undone.`;
  const buttons = $("edits").querySelectorAll("button");
  if (toCell || buttons.length === 0) gridCellOf(edit.row, edit.column)?.focus();
  else buttons[Math.min(index, buttons.length - 1)].focus();
}

/** The edits made, newest last, each with a button that takes it back. */
function renderEdits() {
  const box = $("edits-box");
  box.hidden = state.edits.length === 0;
  $("edits").replaceChildren(...state.edits.map((edit, index) => {
    const li = document.createElement("li");
    const name = `${edit.column}${edit.row}`;
    li.dataset.cell = name;
    li.append(cell("span", `${name}${edit.header ? ` (${edit.header})` : ""}: “${edit.before}” → “${edit.text}” `));
    const undo = cell("button", "Undo");
    undo.type = "button";
    undo.setAttribute("aria-label", `Undo the edit of ${name}`);
    undo.addEventListener("click", () => undoEdit(index));
    li.append(undo);
    return li;
  }));
  $("edits-undo-last").hidden = state.edits.length === 0;
  const left = state.leftOut.filter((row) => state.edits.some((e) => e.row === row));
  $("edits-left-out").textContent = left.length && state.applied.has("drop_duplicate_rows")
    ? `Edits of row${left.length === 1 ? "" : "s"} ${left.join(", ")} are not in the corrected roster: drop_duplicate_rows removed ${left.length === 1 ? "it" : "them"}.`
    : "";
}

// --- The last step ------------------------------------------------------------------------

function renderNextStep() {
  const s = state.report.summary;
  const corrected = state.corrected && corrections() ? ` The cleaned roster has ${corrections()}.` : "";
  $("next-summary").textContent = s.invalid === 0
    ? `All ${s.rows.toLocaleString()} rows are valid: the roster is ready to issue.${corrected}`
    : `${s.valid.toLocaleString()} of ${s.rows.toLocaleString()} rows are ready; ${s.invalid.toLocaleString()} ` +
      `still ha${s.invalid === 1 ? "s" : "ve"} errors and would be refused when issued. Correct them in the rows above ` +
      `(choose a cell and press Enter), or download the roster as it is.${corrected}`;
}

/** The roster with the fixes and edits chosen, as a CSV file: the corrected roster, or the
 * roster as chosen written out when nothing was changed. */
async function downloadCleaned() {
  if (state.corrected) {
    download(state.corrected);
    say($("next-status"), `Downloaded ${state.corrected.fileName}.`);
    return;
  }
  if (!state.report || !(await ensureKept())) return;
  const result = await run("fix", { group: state.group, codes: [], edits: [], options: readingOptions() });
  if (result.type === "failure") say($("next-status"), failureText(result), true);
  else {
    download(result);
    say($("next-status"), `Downloaded ${result.fileName}.`);
  }
}

function renderPager() {
  const { gridStart: start, gridRows: rows, rowCount: total } = state;
  $("grid-range").textContent = rows.length
    ? `Rows ${(start + 1).toLocaleString()}–${(start + rows.length).toLocaleString()} of ${total.toLocaleString()}`
    : "No data rows";
  // aria-disabled rather than disabled: a button pressed to the last page keeps focus.
  $("grid-previous").setAttribute("aria-disabled", String(start === 0));
  $("grid-next").setAttribute("aria-disabled", String(start + rows.length >= total));
}

/** Whether the worker holds the report shown: a cancelled check took it with its worker, and
 * then the roster is checked again first (false when that did not show a report). */
async function ensureKept() {
  if (state.rosterInWorker) return true;
  const generation = state.generation;
  await analyze();
  return state.generation === generation + 1 && state.report !== null;
}

/** Shows the page of rows from the 0-based `start`, asked of the worker, which holds them. */
async function showRows(start) {
  if (start < 0 || start >= state.rowCount || start === state.gridStart) return;
  if (!(await ensureKept())) return;
  const current = state.generation;
  let page;
  try {
    page = await run("rows", { start, count: PREVIEW_ROWS });
  } catch (e) {
    if (current === state.generation) say($("roster-status"), `The rows could not be read: ${e.message}`, true);
    return;
  }
  if (current !== state.generation) return;
  state.gridStart = start;
  state.gridRows = page.rows;
  state.rowFindings = page.findings;
  state.rowChanges = page.changes;
  renderGrid();
  renderFindings(); // its cells lead to the rows now shown
  $("grid-status").textContent = `Showing ${$("grid-range").textContent.toLowerCase()}.`;
}

/** What is wrong with a cell, each message after its severity, errors first. */
function cellNote(findings) {
  const label = { error: "Error", warning: "Warning" };
  return [...findings]
    .sort((a, b) => (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1))
    .map((f) => `${label[f.severity] ?? f.severity}: ${f.message}`)
    .join("; ");
}

/** The message of the cell focused, tapped or pointed at, in plain sight below the grid. */
function showCellDetail(td) {
  const detail = $("cell-detail");
  for (const old of $("grid").querySelectorAll("td.current")) old.classList.remove("current");
  const change = state.rowChanges.find((c) => c.cell === td?.dataset.cell);
  if (!td?.dataset.severity && !change) {
    detail.className = "cell-detail";
    if (td) detail.replaceChildren(cell("span", `${td.dataset.cell}: press Enter or F2 to edit it. `), editButton(td));
    else detail.textContent = "Choose a marked cell to read what is wrong with it.";
    return;
  }
  detail.className = `cell-detail ${td.dataset.severity ?? "changed"}`;
  const parts = [];
  if (td.dataset.severity) {
    td.classList.add("current");
    const findings = state.rowFindings.filter((f) => f.cell === td.dataset.cell);
    const help = [...new Set(findings.map((f) => f.help).filter(Boolean))];
    parts.push(cell("strong", `${td.dataset.cell}, ${cellNote(findings)}`), ...help.map((h) => cell("span", `How to fix it: ${h}`, "help")));
  } else {
    parts.push(cell("strong", td.dataset.cell));
  }
  if (change) parts.push(cell("span", changeNote(change), "help"));
  detail.replaceChildren(...parts, editButton(td));
}

/** A button that edits the cell: the way in on a touch screen, where a tap is a click. */
function editButton(td) {
  const button = cell("button", `Edit ${td.dataset.cell}`, "edit-cell");
  button.type = "button";
  button.addEventListener("click", () => td.isConnected && startEdit(td));
  return button;
}

// --- Suggested fixes ---------------------------------------------------------------------

/** The suggested fixes by code (a code may fix several columns): what `applyFixes` takes. */
function fixesByCode() {
  const byCode = new Map();
  for (const fix of state.fixes) byCode.set(fix.code, [...(byCode.get(fix.code) ?? []), fix]);
  return [...byCode];
}

function changesTable(fixes) {
  const table = document.createElement("table");
  const caption = cell("caption", "Changes", "visually-hidden");
  const head = document.createElement("tr");
  for (const name of ["Cell", "Before", "After"]) {
    const th = cell("th", name);
    th.scope = "col";
    head.append(th);
  }
  table.append(caption, document.createElement("thead"), document.createElement("tbody"));
  table.tHead.append(head);
  for (const fix of fixes) {
    for (const change of fix.changes) {
      const tr = document.createElement("tr");
      if (change.cell) tr.append(cell("td", change.cell, "code"), cell("td", change.before), cell("td", change.after));
      else tr.append(cell("td", `row ${change.row}`, "code"), cell("td", `a repeat of row ${change.duplicate_of}`), cell("td", "removed"));
      table.tBodies[0].append(tr);
    }
  }
  return table;
}

function renderFixes() {
  const groups = fixesByCode();
  const open = new Set([...$("fixes").querySelectorAll("li:has(details[open])")].map((li) => li.dataset.code));
  $("fixes-section").hidden = groups.length === 0 && state.applied.size === 0;
  $("fixes").replaceChildren(...groups.map(([code, fixes]) => {
    const applied = state.applied.has(code);
    const count = fixes.reduce((n, f) => n + f.count, 0);
    const li = document.createElement("li");
    li.dataset.code = code;
    const title = cell("h3", `${code}: ${count.toLocaleString()} change${count === 1 ? "" : "s"}${applied ? " (applied)" : ""}`);
    title.id = `fix-title-${code}`;
    const details = document.createElement("details");
    details.open = open.has(code);
    details.append(cell("summary", `Preview the changes of ${code}`), changesTable(fixes));
    const shown = fixes.reduce((n, f) => n + f.changes.length, 0);
    if (shown < count) details.append(cell("p", `The first ${shown.toLocaleString()} of ${count.toLocaleString()} are listed.`, "muted"));
    const button = cell("button", applied ? `Undo ${code}` : `Apply ${code}`);
    button.type = "button";
    button.dataset.code = code;
    button.addEventListener("click", () => toggleFix(code));
    li.append(title, ...fixes.map((f) => cell("p", f.message)), details, button);
    return li;
  }));
  $("fixes-status").textContent = corrections()
    ? `The columns, findings and rows show the roster with ${corrections()}.`
    : "The columns, findings and rows show the roster as chosen.";
  $("fixes-status").classList.remove("status-error");
  $("download-fixed").hidden = !state.corrected;
}

async function toggleFix(code) {
  if (state.applied.has(code)) state.applied.delete(code);
  else state.applied.add(code);
  await analyze();
  // The list was drawn again: focus goes back to the same fix's button.
  $("fixes").querySelector(`button[data-code="${code}"]`)?.focus();
}

// Only for cells past the header, which the report's columns do not name.
function columnLetter(index) {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

async function previewEmail() {
  const status = $("email-status");
  const row = Number($("email-row").value);
  if (!state.report || !(await ensureKept())) return;
  const { record, errors: problems } = await run("row", { row });
  if (!record) {
    $("email").hidden = true;
    say(status, problems.length
      ? `Row ${row} has errors, so no email would be sent: ${problems.map((f) => f.message).join("; ")}`
      : `There is no data row ${row}.`, true);
    return;
  }
  const result = await run("renderEmail", { group: state.group, values: record.values });
  if (result.type === "failure") {
    $("email").hidden = true;
    say(status, failureText(result), true);
    return;
  }
  const email = result.email;
  say(status, `The email for row ${row}.`);
  $("email-to").textContent = `${email.to_name} <${email.to_email}>`;
  $("email-subject").textContent = email.subject;
  $("email-html").srcdoc = email.html;
  $("email-text").textContent = email.text;
  $("email").hidden = false;
}

async function downloadFile(call, args) {
  if (!state.report || !(await ensureKept())) return;
  const result = await run(call, args);
  if (result.type === "failure") say($("roster-status"), failureText(result), true);
  else download(result);
}

// --- Wiring -----------------------------------------------------------------------------

function wire() {
  $("group-json").value = JSON.stringify(SAMPLE_GROUP, null, 2);
  $("group-choice").addEventListener("change", (e) => {
    if (e.target.value === "sample") {
      $("group-json").value = JSON.stringify(SAMPLE_GROUP, null, 2);
      applyGroup();
    } else {
      $("group-json").focus();
    }
  });
  $("group-apply").addEventListener("click", applyGroup);
  $("group-load").addEventListener("click", () => $("group-file").click());
  $("group-file").addEventListener("change", (e) => {
    if (e.target.files[0]) loadGroupFile(e.target.files[0]);
    e.target.value = "";
  });
  $("template-xlsx").addEventListener("click", () => downloadTemplate("xlsx"));
  $("template-csv").addEventListener("click", () => downloadTemplate("csv"));

  const drop = $("drop");
  const input = $("roster-file");
  drop.addEventListener("click", () => input.click());
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      input.click();
    }
  });
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    e.stopPropagation();
    drop.classList.remove("over");
    chooseRosters([...e.dataTransfer.files]);
  });
  // A file dropped beside the drop zone would otherwise be opened by the browser in place
  // of the page, and the work on it lost.
  document.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (!drop.contains(e.target)) e.dataTransfer.dropEffect = "none"; // the pointer says so
  });
  document.addEventListener("drop", (e) => e.preventDefault());
  input.addEventListener("change", () => {
    chooseRosters([...input.files]);
    input.value = "";
  });

  $("cancel").addEventListener("click", cancelAnalysis);
  $("mapping-reset").addEventListener("click", resetMapping);
  $("grid-previous").addEventListener("click", () => showRows(Math.max(0, state.gridStart - PREVIEW_ROWS)));
  $("grid-next").addEventListener("click", () => showRows(state.gridStart + PREVIEW_ROWS));
  $("sheet").addEventListener("change", (e) => {
    state.sheet = e.target.value;
    state.headerRow = null;
    state.overrides.clear();
    state.applied.clear();
    state.edits = []; // their rows were the rows read before
    analyze();
  });
  const applyHeaderRow = () => {
    const n = Number($("header-row").value);
    if (!Number.isInteger(n) || n < 1) {
      say($("roster-status"), "The header row is a row number, 1 or more.", true);
      return;
    }
    state.headerRow = n;
    state.overrides.clear();
    state.applied.clear();
    state.edits = []; // their rows were the rows read before
    analyze();
  };
  $("header-apply").addEventListener("click", applyHeaderRow);
  $("header-row").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      applyHeaderRow();
    }
  });
  // A filter's result is announced; an analysis's is announced by the roster's status alone.
  const refilter = async () => {
    state.findingsShown = FINDINGS_PAGE;
    await refreshFindings();
    $("filter-status").textContent = `Showing ${$("findings-count").textContent}.`;
  };
  $("filter-severity").addEventListener("change", refilter);
  $("filter-code").addEventListener("change", refilter);
  $("filter-column").addEventListener("change", refilter);
  $("findings-more").addEventListener("click", () => {
    state.findingsShown += FINDINGS_PAGE;
    refreshFindings();
  });
  $("download-errors").addEventListener("click", () => downloadFile("errorReport", { format: "csv" }));
  $("download-errors-xlsx").addEventListener("click", () => downloadFile("errorReport", { format: "xlsx" }));
  $("download-records").addEventListener("click", () => downloadFile("recordsCsv", { group: state.group }));
  $("email-show").addEventListener("click", previewEmail);
  $("download-fixed").addEventListener("click", () => state.corrected && download(state.corrected));
  $("download-cleaned").addEventListener("click", downloadCleaned);
  $("edits-undo-last").addEventListener("click", () => undoEdit(state.edits.length - 1));
  const grid = $("grid");
  const marked = "td[data-severity], td[data-changed]";
  grid.addEventListener("focusin", (e) => {
    const td = e.target.closest("td");
    if (!td || e.target !== td) return;
    makeTabStop(td);
    showCellDetail(td);
  });
  grid.addEventListener("click", (e) => e.target.closest(marked) && showCellDetail(e.target.closest("td")));
  grid.addEventListener("mouseover", (e) => e.target.closest(marked) && showCellDetail(e.target.closest("td")));
  grid.addEventListener("keydown", gridKeydown);
  grid.addEventListener("dblclick", (e) => {
    const td = e.target.closest("tbody td");
    if (td && e.target === td) startEdit(td);
  });
  // The email may be a fragment without a language; the frame runs no script, but the page
  // may read it (allow-same-origin) to name the language the page is in.
  $("email-html").addEventListener("load", (e) => {
    const root = e.target.contentDocument?.documentElement;
    if (root && !root.lang) root.lang = document.documentElement.lang;
    if (root && !e.target.contentDocument.title) e.target.contentDocument.title = `Email preview: ${$("email-subject").textContent}`;
  });
  $("email-row").addEventListener("keydown", (e) => e.key === "Enter" && previewEmail());

  // The tests wait for this before they act.
  applyGroup().then(() => document.body.setAttribute("data-ready", "true"));
}

wire();
