// The page side of the WebAssembly benchmark: the npm package's `web` build, called on the
// page's main thread as an application would call it (or as its worker does).
import init, { analyze, version } from "../../bindings-wasm/pkg/web/conferral.js";

// Instantiated once; compiling the module is not part of what is measured.
const ready = init({
  module_or_path: new URL("../../bindings-wasm/pkg/web/conferral_bg.wasm", import.meta.url),
});

async function fetchBytes(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// Rosters fetched so far, by URL: the runner calls once per round, and only the first call
// for a roster fetches it and warms up.
const rosters = new Map();

// Runs `runs` timed calls of analyze on `roster` for `group` (URLs from the page), after one
// untimed warm-up the first time a roster is seen in that mode. Only the call is timed: it
// copies the bytes into the module's memory, parses the group, analyses, and returns the
// report as a JS object (serde_json text through JSON.parse), which is what a page gets to
// work with. `records`: `true` (the default), the records in the report as JS objects, or
// `"handle"`, the records kept in WebAssembly memory as a `Records` the page reads from (the
// handle is freed after the timed call, outside the timing, as a page frees it later).
async function bench({ roster, group, runs, records = true }) {
  await ready;
  let input = rosters.get(roster);
  if (!input) {
    input = {
      bytes: await fetchBytes(roster),
      groupText: new TextDecoder().decode(await fetchBytes(group)),
      fileName: roster.split("/").pop(),
      warm: new Set(),
    };
    rosters.set(roster, input);
  }
  const once = () => {
    const start = performance.now();
    const result = analyze(input.bytes, input.fileName, input.groupText, { records });
    const ms = performance.now() - start;
    if (result.type !== "success") throw new Error(JSON.stringify(result.errors));
    const count = result.records ? result.records.length : result.report.records.length;
    result.records?.free();
    return { ms, report: result.report, count };
  };
  let report = null;
  let count = 0;
  if (!input.warm.has(records)) {
    // The warm-up lets V8 tier the hot functions up from its baseline compiler (Liftoff) to
    // the optimising one (TurboFan), and grows the module's memory to its working size.
    report = once().report;
    input.warm.add(records);
  }
  const ms = [];
  for (let i = 0; i < runs; i++) {
    report = null; // the last report is garbage before the next call, as in a page
    const run = once();
    ms.push(run.ms);
    report = run.report;
    count = run.count;
  }
  // For information, not part of the figure: how long JSON.parse of a report of this size
  // takes here (the JavaScript half of the call's hand-over).
  const text = JSON.stringify(report);
  const parseMs = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    JSON.parse(text);
    parseMs.push(performance.now() - start);
  }
  return { ms, parseMs, jsonBytes: text.length, ...report.summary, records: count };
}

window.bench = bench;
window.benchReady = ready.then(() => ({ version: version() }));
