// The page's worker: it loads the WebAssembly module once and runs every call to the
// library, so that reading a large roster never blocks the tab. It keeps the last roster's
// bytes, so that a changed mapping or header row is checked again without sending them anew.
//
// Requests: {id, call, args}; replies: {id, progress} while analysing, then {id, result} or
// {id, error: {name, code, message}} when the call threw (misuse).
import init, * as conferral from "../pkg/web/conferral.js";

const ready = init({ module_or_path: new URL("../pkg/web/conferral_bg.wasm", import.meta.url) });
let roster = null;

const calls = {
  // args: {bytes?, fileName, group, options}; without bytes, the last roster is read again.
  analyze({ bytes, fileName, group, options }, reply) {
    if (bytes) roster = { bytes: new Uint8Array(bytes), fileName };
    if (!roster) throw Object.assign(new Error("no roster has been chosen"), { code: "invalid_argument" });
    let last = 0;
    return conferral.analyze(roster.bytes, roster.fileName, group, {
      ...options,
      progress: (p) => {
        // A message per report is cheap, but the bar needs no more than a few a second.
        const now = performance.now();
        if (now - last > 50 || p.stage === "finishing") {
          last = now;
          reply({ progress: p });
        }
      },
    });
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
