// The page's worker: it loads the WebAssembly module once and runs every call to the
// library, so that reading a large roster never blocks the tab. It keeps the last roster's
// bytes, so that a changed mapping or header row is checked again without sending them anew,
// and the corrected roster the last suggested fixes made of them, and every data row of the
// last analysis, so that the page asks for the page of rows it shows.
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

/** Keeps the rows of a successful analysis (freeing the last ones) and sends their count. */
function keepRows(result) {
  if (result.type !== "success" || !result.rows) return result;
  rows?.free();
  rows = result.rows;
  const { rows: _, ...rest } = result;
  return { ...rest, rowCount: rows.length };
}

const calls = {
  // args: {bytes, fileName}: the roster the next calls read.
  load({ bytes, fileName }) {
    roster = { bytes: new Uint8Array(bytes), fileName };
    corrected = null;
    rows?.free();
    rows = null;
    return null;
  },
  // args: {bytes?, fileName, group, options, corrected?}; without bytes, the last roster is
  // read again (its corrected version with `corrected`).
  analyze({ bytes, fileName, group, options, corrected: useCorrected }, reply) {
    if (bytes) calls.load({ bytes, fileName });
    if (!roster) throw Object.assign(new Error("no roster has been chosen"), { code: "invalid_argument" });
    const file = useCorrected && corrected ? corrected : roster;
    let last = 0;
    return keepRows(conferral.analyze(file.bytes, file.fileName, group, {
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
  rows({ start, count }) {
    if (!rows) throw Object.assign(new Error("no roster has been analysed"), { code: "invalid_argument" });
    return { rows: rows.slice(start, count), total: rows.length };
  },
  // args: {group, codes, options}: the roster as chosen with these suggested fixes applied,
  // kept as the corrected roster; the reply's bytes are a copy for the page to download.
  fix({ group, codes, options }) {
    if (!roster) throw Object.assign(new Error("no roster has been chosen"), { code: "invalid_argument" });
    const result = conferral.applyFixes(roster.bytes, roster.fileName, group, codes, options);
    if (result.type === "success") corrected = { bytes: result.bytes.slice(), fileName: result.fileName };
    return result;
  },
  template: ({ group, format }) => conferral.template(group, format),
  errorReport: ({ report, format }) => conferral.errorReport(report, format),
  recordsCsv: ({ group, report }) => conferral.recordsCsv(group, report),
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
