// WebAssembly in headless Chromium against the native build: `analyze` with records on a
// 100k-row CSV and a 100k-row XLSX, both sides in the same run, best of --runs after one
// warm-up each, plus the gzipped size of the .wasm. A benchmark run by hand, never a test.
//
// The browser is timed in two modes: `records: true`, the records in the report as JS
// objects (the figure this benchmark has always given), and `records: "handle"`, the records
// kept in WebAssembly memory as a `Records` handle the page reads from (the report without
// them crosses as JSON).
//
// The sides are interleaved: each of the --runs rounds times one call of every side on every
// file, so that a busy spell of this shared machine falls on all of them rather than on
// whichever side happened to be running.
//
// Usage (from anywhere; paths are from the repository root), after `make wasm-build`,
// `cargo build --release -p conferral-benches` and `target/release/write_rosters`:
//
//   node benches/wasm/run.mjs [--runs 5] [--data target/bench-data] [--report FILE]
//                             [--chromium /usr/bin/chromium]
//
// Exits 1 when the two sides disagree on a summary count (a benchmark of different work
// would mean nothing); the targets are reported, not enforced.
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
// playwright-core is the npm package's dev dependency; there is no package.json here.
const { chromium } = createRequire(join(root, "bindings-wasm", "package.json"))("playwright-core");

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    data: { type: "string", default: "target/bench-data" },
    group: { type: "string", default: "benches/peers/group.json" },
    native: { type: "string", default: "target/release/analyze_timing" },
    chromium: { type: "string", default: process.env.CHROMIUM ?? "/usr/bin/chromium" },
    report: { type: "string" },
  },
});
// Problems with the set-up end the run with a message, not a stack trace.
function fail(message) {
  console.error(message);
  process.exit(2);
}
const runs = Number.parseInt(args.runs, 10);
if (!(runs >= 1)) fail(`--runs must be a positive integer, not ${args.runs}`);
const fromRoot = (p) => resolve(root, p);
const cases = ["roster_100k.csv", "roster_100k.xlsx"];
const wasmPath = fromRoot("bindings-wasm/pkg/web/conferral_bg.wasm");
// Targets: WASM within 2x of native on one thread; the module at most 1.5 MB gzipped
// (decimal megabytes, the stricter reading).
const MAX_RATIO = 2;
// Issue 19: the browser with records as a handle within 1.5x of native (medians).
const HANDLE_RATIO = 1.5;
const MAX_GZIP_BYTES = 1_500_000;

for (const p of [wasmPath, fromRoot(args.native), fromRoot(args.group), ...cases.map((c) => fromRoot(join(args.data, c)))]) {
  if (!existsSync(p)) fail(`missing ${relative(root, p)}: see the usage at the top of benches/wasm/run.mjs`);
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  // instantiateStreaming refuses a module served as anything else.
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".ts": "text/plain; charset=utf-8",
};

// A static server of the repository root on loopback, on a port the kernel picks.
function serve() {
  const server = createServer((req, res) => {
    let file;
    try {
      file = resolve(root, `.${decodeURIComponent(new URL(req.url, "http://localhost").pathname)}`);
    } catch {
      res.writeHead(400).end();
      return;
    }
    // Nothing outside the repository, whatever the URL says.
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    let size;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw new Error("not a file");
      size = stat.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "Content-Type": MIME[extname(file)] ?? "application/octet-stream",
      "Content-Length": size,
      "Cache-Control": "no-store",
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok(server));
  });
}

// One timed native run in a fresh process, after its own warm-up; the timing is in-process
// (benches/src/bin/analyze_timing.rs), so process start-up and reading the file are outside.
function native(file, threads) {
  const out = execFileSync(fromRoot(args.native), [file, fromRoot(args.group), "1", String(threads)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out);
}

const best = (ms) => Math.min(...ms);
const median = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (ms) => ms.toFixed(1);
const COUNTS = ["rows", "valid", "invalid", "errors"];
const counts = (r) => COUNTS.map((k) => `${k} ${r[k]}`).join(", ");
const urlOf = (p) => `/${relative(root, p).split(sep).join("/")}`;

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: args.chromium,
  // Headless as root on a closed network: no sandbox, and nothing that phones home (its
  // retries would compete for the two cores and can stall start-up).
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const results = cases.map((name) => ({ name, file: fromRoot(join(args.data, name)), one: [], all: [], wasm: [], handle: [], json: [], parse: [], handleParse: [], agree: true }));
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && console.error(`page console: ${m.text()}`));
  await page.goto(`${base}/benches/wasm/bench.html`);
  const info = await page.evaluate(() => window.benchReady);
  console.log(`${new Date().toISOString()}: Chromium ${browser.version()}, node ${process.version}, conferral ${info.version}, ${runs} interleaved rounds, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);

  for (let round = 0; round < runs; round++) {
    for (const r of results) {
      const one = native(r.file, 1);
      const all = native(r.file, 0);
      const wasm = await page.evaluate((a) => window.bench(a), { roster: urlOf(r.file), group: urlOf(fromRoot(args.group)), runs: 1 });
      const handle = await page.evaluate((a) => window.bench(a), { roster: urlOf(r.file), group: urlOf(fromRoot(args.group)), runs: 1, records: "handle" });
      // Every side must have done the same work: same rows, same verdicts, same records.
      const agree = COUNTS.every((k) => one[k] === wasm[k] && all[k] === wasm[k] && handle[k] === wasm[k]) && handle.records === wasm.records;
      if (!agree || round === 0) console.log(`${r.name}: native ${counts(one)}; wasm ${counts(wasm)}; wasm with a handle ${counts(handle)}; ${agree ? "agree" : "DISAGREE"}`);
      r.agree &&= agree;
      r.invalid = wasm.invalid;
      r.one.push(...one.ms);
      r.all.push(...all.ms);
      r.wasm.push(...wasm.ms);
      r.handle.push(...handle.ms);
      r.parse.push(...wasm.parseMs);
      r.handleParse.push(...handle.parseMs);
      r.handleJsonBytes = handle.jsonBytes;
      r.json.push(...one.json_ms);
      r.jsonBytes = one.json_bytes;
    }
  }
} finally {
  await browser.close();
  server.close();
}
// A load average near or over the cores' count means something else ran at the same time.
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);

for (const r of results) {
  console.log(`${r.name} (${(statSync(r.file).size / 2 ** 20).toFixed(1)} MiB), ms by round:`);
  console.log(`  native 1 thread: ${r.one.map(fmt).join(", ")} (median ${fmt(median(r.one))})`);
  console.log(`  native all threads: ${r.all.map(fmt).join(", ")} (median ${fmt(median(r.all))})`);
  console.log(`  chromium wasm: ${r.wasm.map(fmt).join(", ")} (median ${fmt(median(r.wasm))}; median ratio ${(median(r.wasm) / median(r.one)).toFixed(2)}x)`);
  console.log(`  chromium wasm, records as a handle: ${r.handle.map(fmt).join(", ")} (median ${fmt(median(r.handle))}; median ratio ${(median(r.handle) / median(r.one)).toFixed(2)}x)`);
  // Where the time goes, for information: the native side's serde_json share, and what
  // JSON.parse of the same report costs in the page (both inside the figures).
  console.log(`  of which: serde_json ${fmt(best(r.json))} ms native for ${(r.jsonBytes / 2 ** 20).toFixed(1)} MiB of JSON; JSON.parse of it ${fmt(best(r.parse))} ms in Chromium (bests)`);
  console.log(`  with a handle, the report without its records: ${(r.handleJsonBytes / 2 ** 20).toFixed(1)} MiB of JSON, JSON.parse of it ${fmt(best(r.handleParse))} ms in Chromium (best)`);
}

const wasmBytes = readFileSync(wasmPath);
const gzipped = gzipSync(wasmBytes, { level: 9 }).length;
const lines = [
  "| case | native 1 thread best ms | native all threads best ms | chromium wasm best ms | wasm / native 1 thread | invalid rows (both sides) | within 2x |",
  "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ...results.map((r) => {
    const ratio = best(r.wasm) / best(r.one);
    return `| ${r.name} | ${fmt(best(r.one))} | ${fmt(best(r.all))} | ${fmt(best(r.wasm))} | ${ratio.toFixed(2)}x | ${r.agree ? r.invalid : "disagree"} | ${ratio <= MAX_RATIO ? "yes" : "no"} |`;
  }),
  "",
  // Both browser modes against native on one thread, medians and bests over the rounds.
  "| case | native 1 thread median ms | wasm `records: true` median ms | ratio | wasm `records: \"handle\"` median ms | ratio | best ratios (true / handle) | handle within 1.5x |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ...results.map((r) => {
    const inline = median(r.wasm) / median(r.one);
    const handle = median(r.handle) / median(r.one);
    const bests = `${(best(r.wasm) / best(r.one)).toFixed(2)}x / ${(best(r.handle) / best(r.one)).toFixed(2)}x`;
    return `| ${r.name} | ${fmt(median(r.one))} | ${fmt(median(r.wasm))} | ${inline.toFixed(2)}x | ${fmt(median(r.handle))} | ${handle.toFixed(2)}x | ${bests} | ${handle <= HANDLE_RATIO ? "yes" : "no"} |`;
  }),
  "",
  "| module | raw bytes | gzip -9 bytes | target | met |",
  "| --- | ---: | ---: | ---: | --- |",
  `| bindings-wasm/pkg/web/conferral_bg.wasm | ${wasmBytes.length} (${(wasmBytes.length / 2 ** 20).toFixed(2)} MiB) | ${gzipped} (${(gzipped / 1e6).toFixed(2)} MB) | ≤ 1.5 MB | ${gzipped <= MAX_GZIP_BYTES ? "yes" : "no"} |`,
];
console.log(`\n${lines.join("\n")}`);
if (args.report) writeFileSync(fromRoot(args.report), `${lines.join("\n")}\n`);
if (results.some((r) => !r.agree)) {
  console.error("the native and WebAssembly reports disagree on summary counts");
  process.exitCode = 1;
}
