// The page's worker: it loads the WebAssembly module once and runs every call to the
// library, so that reading a large roster never blocks the tab. It keeps the last roster's
// bytes, so that a changed mapping or header row is checked again without sending them anew,
// and the corrected roster the last suggested fixes and the person's edits made of them,
// and every data row of the last analysis, so that the page asks for the page of rows it
// shows.
//
// The corrected roster is a file of its own (its header in row 1, rows a fix removed left
// out), so its rows are numbered anew: the worker knows which row of the roster as chosen
// each one is (`source`), which is how edits name their cells, and which cells the fixes
// and edits changed, to mark them.
//
// The page stops an analysis by ending this worker and starting another (a running call
// cannot read a message), so a new worker is given the roster again with `load`.
//
// Requests: {id, call, args}; replies: {id, progress} while analysing, then {id, result} or
// {id, error: {name, code, message}} when the call threw (misuse).
import init, * as conferral from "../pkg/web/conferral.js";

const ready = init({ module_or_path: new URL("../pkg/web/conferral_bg.wasm", import.meta.url) });
let roster = null; // the file as chosen
let corrected = null; // the file as `fix` last corrected it
let rows = null; // every data row of the last analysis shown, in WebAssembly memory
let records = null; // the valid rows' values of the last analysis shown, in WebAssembly memory
let report = null; // the last report shown (without its records), whose findings stay here
// Of the corrected roster, when it is the one shown: for each of its data rows (its rows 2,
// 3, …), the row of the roster as chosen; and its cells that a fix or an edit changed, by
// cell name, each {by, before, after, source} (`by` a fix's code or "edit").
let corrections = null; // {sourceRows, changes: Map} of the corrected roster
let shownCorrected = false; // whether the report shown is of the corrected roster

// A report of a million rows is some hundreds of megabytes of objects: copied to the page, it
// would hold the page's thread for seconds. The page gets the report without its findings and
// records, with the counts it shows, and asks for the findings and rows it draws.

/** Keeps a successful analysis (the rows' and records' last holders freed) and gives what
 * the page shows. */
function keep(result) {
  if (result.type !== "success") return result;
  if (result.rows) {
    rows?.free();
    rows = result.rows;
  }
  records?.free();
  records = result.records ?? null;
  report = result.report;
  const { findings, ...shown } = report;
  const kinds = new Map(); // by code, in the order the report first gives each
  const columns = new Set();
  for (const f of findings) {
    const kind = kinds.get(f.code) ?? { code: f.code, severity: f.severity, count: 0 };
    kind.count++;
    kinds.set(f.code, kind);
    if (f.column) columns.add(f.column);
  }
  return {
    type: "success",
    report: shown,
    rowCount: rows?.length ?? 0,
    findingCount: findings.length,
    kinds: [...kinds.values()],
    findingColumns: [...columns],
    firstRecordRow: records?.get(0)?.row ?? null,
    rowFindings: findingsOfRows(shown.preview ?? []),
    rowChanges: changesOfRows(shown.preview ?? []),
    preview: withSources(shown.preview ?? []),
  };
}

/** The findings located in the given rows (to mark their cells). */
function findingsOfRows(list) {
  const wanted = new Set(list.map((r) => r.row));
  return report.findings.filter((f) => f.row && wanted.has(f.row));
}

/** The row of the roster as chosen that the shown roster's row `row` is. */
function sourceOf(row) {
  if (!shownCorrected || !corrections) return row;
  return corrections.sourceRows[row - 2] ?? null;
}

/** The rows, each with the row of the roster as chosen it is (`source`), which edits name. */
function withSources(list) {
  return list.map((r) => ({ ...r, source: sourceOf(r.row) }));
}

/** The changed cells in the given rows: [{cell, by, before, after}]. */
function changesOfRows(list) {
  if (!shownCorrected || !corrections) return [];
  const found = [];
  for (const r of list) {
    for (const [cell, change] of corrections.changes.get(r.row) ?? []) found.push({ cell, ...change });
  }
  return found;
}

/** The first index of `value` in the ascending `array`, or -1. */
function search(array, value) {
  let [low, high] = [0, array.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (array[middle] < value) low = middle + 1;
    else high = middle;
  }
  return array[low] === value ? low : -1;
}

/** The cells the fixes and edits changed, by the corrected roster's rows (numbered as it
 * is: its first data row is row 2), each row's {cell name: change}; a cell changed by a fix
 * and then an edit keeps the text from before both. */
function changesByRow(changes, sourceRows) {
  const byRow = new Map();
  for (const c of changes) {
    if (!c.cell) continue; // a row removed: nothing left to mark
    const index = search(sourceRows, c.row);
    if (index < 0) continue;
    const row = index + 2;
    const cells = byRow.get(row) ?? new Map();
    const name = `${c.column}${row}`;
    const earlier = cells.get(name);
    cells.set(name, { by: earlier && earlier.by !== c.by ? `${earlier.by}, ${c.by}` : c.by, before: earlier?.before ?? c.before, after: c.after, source: c.cell });
    byRow.set(row, cells);
  }
  return byRow;
}

function kept() {
  if (!report) throw Object.assign(new Error("no roster has been analysed"), { code: "invalid_argument" });
  return report;
}

const calls = {
  // args: {bytes, fileName}: the roster the next calls read.
  load({ bytes, fileName }) {
    roster = { bytes: new Uint8Array(bytes), fileName };
    corrected = null;
    corrections = null;
    shownCorrected = false;
    rows?.free();
    rows = null;
    records?.free();
    records = null;
    report = null;
    return null;
  },
  // args: {bytes?, fileName, group, options, corrected?}; without bytes, the last roster is
  // read again (its corrected version with `corrected`).
  analyze({ bytes, fileName, group, options, corrected: useCorrected }, reply) {
    if (bytes) calls.load({ bytes, fileName });
    if (!roster) throw Object.assign(new Error("no roster has been chosen"), { code: "invalid_argument" });
    const file = useCorrected && corrected ? corrected : roster;
    shownCorrected = file === corrected;
    let last = 0;
    return keep(conferral.analyze(file.bytes, file.fileName, group, {
      ...options,
      progress: (p) => {
        // A message per report is cheap, but the bar needs no more than a few a second.
        const now = performance.now();
        if (now - last > 50 || p.stage === "finishing") {
          last = now;
          reply({ progress: p });
        }
      },
    }));
  },
  // args: {start, count}: the data rows of the last analysis from `start` (0-based).
  // (with the findings located in them).
  rows({ start, count }) {
    kept();
    const page = rows.slice(start, count);
    return { rows: withSources(page), total: rows.length, findings: findingsOfRows(page), changes: changesOfRows(page) };
  },
  // args: {row}: the 0-based index among the data rows of the last analysis of its row `row`
  // (null when it is not a data row), for the page to open the page of rows that holds it.
  locate({ row }) {
    kept();
    return { index: rows?.indexOf(row) ?? null };
  },
  // args: {severity, column, code, count}: the first `count` findings of the last report
  // with that severity, column and code (each when given), and how many there are.
  findings({ severity, column, code, count }) {
    const matching = kept().findings.filter((f) =>
      (!severity || f.severity === severity) && (!column || f.column === column) && (!code || f.code === code));
    return { findings: matching.slice(0, count), matching: matching.length };
  },
  // args: {row}: the valid row's record in the last report, or the errors found in the row.
  row({ row }) {
    const { findings } = kept();
    const index = records?.indexOf(row);
    const record = index === undefined ? null : records.get(index);
    return { record, errors: record ? [] : findings.filter((f) => f.row === row && f.severity === "error") };
  },
  // args: {group, codes, edits, options}: the roster as chosen with these suggested fixes
  // applied and these cells edited after them, kept as the corrected roster; the reply's bytes
  // are a copy for the page to download, with the fixes the report suggests, how many cells
  // changed, and the rows edited that a fix removed (`leftOut`).
  fix({ group, codes, edits = [], options }) {
    if (!roster) throw Object.assign(new Error("no roster has been chosen"), { code: "invalid_argument" });
    const result = conferral.applyFixes(roster.bytes, roster.fileName, group, codes, { ...options, edits });
    if (result.type !== "success") return result;
    corrected = { bytes: result.bytes.slice(), fileName: result.fileName };
    corrections = { sourceRows: result.sourceRows, changes: changesByRow(result.changes, result.sourceRows) };
    // Of the report, the page shows the fixes (its findings come with the next analysis).
    const { report, changes, sourceRows, ...file } = result;
    return { ...file, fixes: report.fixes ?? [], changed: changes.filter((c) => c.cell).length };
  },
  template: ({ group, format }) => conferral.template(group, format),
  // Of the last report.
  errorReport: ({ format }) => conferral.errorReport(kept(), format),
  recordsCsv: ({ group }) => conferral.recordsCsv(group, kept(), records ?? undefined),
  renderEmail: ({ group, values, options }) => conferral.renderEmail(group, values, options),
  validateGroup: ({ group }) => conferral.validateGroup(group),
};

self.onmessage = async ({ data: { id, call, args } }) => {
  const reply = (message, transfer = []) => self.postMessage({ id, ...message }, transfer);
  try {
    await ready;
    const run = calls[call];
    if (!run) throw Object.assign(new Error(`unknown call ${call}`), { code: "invalid_argument" });
    const result = run(args, reply);
    // Files travel back without a copy.
    reply({ result }, result && result.bytes ? [result.bytes.buffer] : []);
  } catch (e) {
    reply({ error: { name: e.name, code: e.code ?? "internal", message: String(e.message ?? e) } });
  }
};
