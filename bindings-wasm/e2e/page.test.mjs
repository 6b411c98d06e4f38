// The roster page in Debian's Chromium (headless), driven by playwright-core: what it shows
// must be what the CLI finds in the same file with the same group and mapping.
// Screenshots land in target/e2e-screenshots/ for a person to look at.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { assertAccessible } from "./axe.mjs";
import { serve } from "./server.mjs";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const fixtures = here("../../tests/fixtures/rosters/");
const shots = here("../../target/e2e-screenshots/");
const cli = process.env.CONFERRAL_CLI;
const scratch = mkdtempSync(join(tmpdir(), "conferral-e2e-"));

// The flags Chromium needs on a machine without internet, started as root.
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];

let server;
let browser;

before(async () => {
  assert.ok(cli, "CONFERRAL_CLI is not set; run the tests through `make e2e`");
  mkdirSync(shots, { recursive: true });
  server = await serve(here(".."));
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The CLI's report of a roster (with records), and optionally its error report. */
function cliReport(roster, groupPath, { mapping, errorReport } = {}) {
  const args = ["analyze", roster, "--group", groupPath, "--records", "--json"];
  if (mapping) {
    const file = join(scratch, `mapping-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(mapping));
    args.push("--mapping", file);
  }
  if (errorReport) args.push("--error-report", errorReport);
  let stdout;
  try {
    stdout = execFileSync(cli, args, { maxBuffer: 1 << 28 });
  } catch (e) {
    stdout = e.stdout; // exit 1: errors were found; the report is printed all the same
  }
  return JSON.parse(stdout.toString("utf8"));
}

async function openPage({ holdResults = false } = {}) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  if (holdResults) await page.addInitScript(holdWorkerResults);
  await page.bringToFront();
  await page.goto(`${server.url}/page/`);
  await page.waitForSelector("body[data-ready=true]");
  return { page, problems };
}

/** Runs in the page before its scripts: while `window.holdResults` is true, the answers of
 * the page's worker (not its progress reports) are held back instead of delivered, so that a
 * check stays under way for as long as a test needs it, however fast the check is. */
function holdWorkerResults() {
  const Base = window.Worker;
  window.Worker = class extends Base {
    set onmessage(handler) {
      super.onmessage = (event) => {
        if (window.holdResults && !event.data?.progress) return;
        handler(event);
      };
    }
  };
}

/** Applies a group. With a roster already loaded the page re-checks it against the new
 * group: `rosterLoaded` waits for that analysis too, so it cannot land after the next upload's
 * count was taken and pass for it. */
async function useGroup(page, groupPath, { rosterLoaded = false } = {}) {
  const group = JSON.parse(readFileSync(groupPath, "utf8"));
  const apply = async () => {
    await page.fill("#group-json", JSON.stringify(group, null, 2));
    await page.click("#group-apply");
    await page.waitForFunction((name) => document.getElementById("group-status").textContent.includes(`“${name}”`), group.name);
  };
  if (rosterLoaded) await analysed(page, apply);
  else await apply();
}

/** Runs `act` and waits until the page has shown one more analysis. */
async function analysed(page, act) {
  const before = await page.evaluate(() => Number(document.body.dataset.analyses ?? 0));
  await act();
  await page.waitForFunction((n) => Number(document.body.dataset.analyses ?? 0) > n, before, { timeout: 60_000 });
}

// Opens the page on a roster of `rows` generated rows written to `name`, with the page's own
// sample group saved as `groupName` for the CLI; returns the page and the CLI's report of it.
async function openWithRows(rows, name, groupName) {
  const roster = join(scratch, name);
  const buffer = bigCsv(rows);
  writeFileSync(roster, buffer);
  const groupPath = join(scratch, groupName);
  const { page, problems } = await openPage();
  writeFileSync(groupPath, await page.inputValue("#group-json"));
  await upload(page, roster);
  return { page, problems, buffer, roster, groupPath, report: cliReport(roster, groupPath) };
}

async function upload(page, roster) {
  await analysed(page, () => page.setInputFiles("#roster-file", roster));
}

/** What the page shows: each column's chosen attribute, and the findings' cells and codes. */
async function shown(page) {
  return page.evaluate(() => ({
    columns: [...document.querySelectorAll("#columns tbody tr")].map((tr) => ({
      letter: tr.dataset.column,
      header: tr.children[1].textContent,
      attribute: tr.querySelector("select").value || null,
    })),
    findings: [...document.querySelectorAll("#findings tbody tr")].map((tr) => `${tr.children[0].textContent} ${tr.dataset.code}`),
    count: document.getElementById("findings-count").textContent,
    facts: Object.fromEntries([...document.querySelectorAll("#source dd")].map((dd) => [dd.dataset.fact, dd.textContent])),
    summary: Object.fromEntries([...document.querySelectorAll("#summary li")].map((li) => [li.dataset.count, li.textContent])),
  }));
}

/** What a screen reader says after a grid cell's value: the text its aria-describedby names. */
function cellDescription(page, cellName) {
  return page.evaluate((name) => {
    const td = document.querySelector(`#grid td[data-cell="${name}"]`);
    return td.getAttribute("aria-describedby").split(" ").map((id) => document.getElementById(id).textContent).join(" ");
  }, cellName);
}

/** Whether the page scrolls sideways. */
function scrollsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/** A drop of `files` ({name, type, text}) on the element `selector` finds; whether the page
 * refused the browser's own handling (opening the file in place of the page). */
function dropFiles(page, selector, files) {
  return page.evaluate(([selector, files]) => {
    const data = new DataTransfer();
    for (const f of files) data.items.add(new File([f.text], f.name, { type: f.type }));
    const event = new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true });
    document.querySelector(selector).dispatchEvent(event);
    return event.defaultPrevented;
  }, [selector, files]);
}

/** The WCAG contrast ratio of two computed colours, `rgb(r, g, b)`. */
function contrast(a, b) {
  const luminance = (color) => {
    const [r, g, bl] = color.match(/\d+(\.\d+)?/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function expectedFindings(report) {
  return report.findings.slice(0, 200).map((f) => `${f.cell ?? (f.row ? `row ${f.row}` : f.column ?? "file")} ${f.code}`);
}

function assertMatchesCli(view, report) {
  assert.deepEqual(
    view.columns.map((c) => [c.letter, c.header, c.attribute]),
    report.columns.map((c) => [c.letter, c.header, c.attribute]),
  );
  assert.deepEqual(view.findings, expectedFindings(report));
  assert.equal(view.summary.errors, `${report.summary.errors.toLocaleString("en-US")} errors`);
  assert.equal(view.summary.valid, `${report.summary.valid.toLocaleString("en-US")} valid`);
}

test("a CSV: what the page shows is what the CLI finds; reassigning a column re-checks at once", async () => {
  const folder = join(fixtures, "hr_export_german");
  const roster = join(folder, "roster.csv");
  const groupPath = join(folder, "group.json");
  const { page, problems } = await openPage();
  await assertAccessible(page, "the page as loaded");
  await useGroup(page, groupPath);
  await upload(page, roster);
  await assertAccessible(page, "the page after an analysis");

  const report = cliReport(roster, groupPath);
  let view = await shown(page);
  assertMatchesCli(view, report);
  assert.equal(view.facts.format, "CSV");
  assert.equal(view.facts.delimiter, "semicolon");
  assert.match(view.facts.encoding, /^UTF-8/);
  assert.equal(view.facts["header-row"], `${report.source.header_row} (detected)`);
  // Invalid cells are highlighted in the grid of the first rows, with their message.
  const firstError = report.findings.find((f) => f.severity === "error" && f.cell && f.row <= 50);
  const marked = page.locator(`#grid td[data-cell="${firstError.cell}"]`);
  assert.equal(await marked.getAttribute("class"), "cell-error");
  assert.ok((await cellDescription(page, firstError.cell)).includes(firstError.message));
  await page.screenshot({ path: join(shots, "csv-analysed.png"), fullPage: true });

  // Skip the column whose values break: its findings go, and the page agrees with the CLI
  // given the same mapping.
  const column = firstError.column;
  await analysed(page, () => page.selectOption(`#columns tr[data-column="${column}"] select`, ""));
  const skipped = cliReport(roster, groupPath, { mapping: { columns: [{ column, attribute: null }] } });
  view = await shown(page);
  assertMatchesCli(view, skipped);
  assert.ok(!view.findings.includes(`${firstError.cell} ${firstError.code}`));
  assert.notDeepEqual(view.findings, expectedFindings(report));
  await assertAccessible(page, "the page after a mapping change");

  // The error report downloaded is byte for byte the CLI's, for the same mapping.
  const downloading = page.waitForEvent("download");
  await page.click("#download-errors");
  const download = await downloading;
  assert.equal(download.suggestedFilename(), "error-report.csv");
  const saved = join(scratch, "page-errors.csv");
  await download.saveAs(saved);
  const fromCli = join(scratch, "cli-errors.csv");
  cliReport(roster, groupPath, { mapping: { columns: [{ column, attribute: null }] }, errorReport: fromCli });
  assert.deepEqual(readFileSync(saved), readFileSync(fromCli));

  // The valid rows download as a clean CSV that the CLI reads back without an error.
  const gettingRecords = page.waitForEvent("download");
  await page.click("#download-records");
  const records = await gettingRecords;
  const cleaned = join(scratch, records.suggestedFilename());
  await records.saveAs(cleaned);
  const reread = cliReport(cleaned, groupPath);
  assert.equal(reread.summary.errors, 0);
  assert.equal(reread.summary.rows, skipped.summary.valid);

  // Filters narrow the findings table.
  // (The worker, which keeps the findings, sends those the filter chooses.)
  await page.selectOption("#filter-severity", "warning");
  await page.waitForFunction(() => document.getElementById("filter-status").textContent !== "");
  const warnings = await page.$$eval("#findings tbody tr", (rows) => rows.map((r) => r.dataset.severity));
  assert.ok(warnings.length > 0 && warnings.every((s) => s === "warning"));
  // Said politely, once: the count of what the filter shows.
  assert.equal(await page.getAttribute("#filter-status", "aria-live"), "polite");
  assert.equal(await page.textContent("#filter-status"), `Showing ${warnings.length} of ${skipped.findings.length} findings.`);
  await page.screenshot({ path: join(shots, "csv-column-skipped.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("workbooks (XLSX, XLS, ODS): sheet, header row, mapping and findings as the CLI reads them", async () => {
  const cases = [
    ["two_row_header_xlsx", "roster.xlsx", "XLSX"],
    ["xls_legacy_second_sheet", "roster.xls", "XLS"],
    ["ods_second_sheet", "roster.ods", "ODS"],
  ];
  const { page, problems } = await openPage();
  for (const [i, [name, file, format]] of cases.entries()) {
    const roster = join(fixtures, name, file);
    const groupPath = join(fixtures, name, "group.json");
    await useGroup(page, groupPath, { rosterLoaded: i > 0 });
    await upload(page, roster);
    const report = cliReport(roster, groupPath);
    const view = await shown(page);
    assertMatchesCli(view, report);
    assert.equal(view.facts.format, format);
    assert.equal(view.facts.sheet, report.source.sheet);
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test("the email of any valid row is previewed; a row with errors says why it has none", async () => {
  const { page, problems } = await openPage();
  // The sample group is preloaded; the bundled sample roster fits it.
  const roster = here("../../examples/data/sample_roster.xlsx");
  await upload(page, roster);
  const record = await page.evaluate(() => document.getElementById("email-row").value);
  assert.ok(Number(record) > 0, "the first valid row is proposed");
  await page.focus("#email-row");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#email:not([hidden])");
  const to = await page.textContent("#email-to");
  const subject = await page.textContent("#email-subject");
  assert.match(to, /<[^@]+@[^>]+>$/);
  assert.equal(subject, "Your certificate for Data Science Bootcamp 2026");
  const body = page.frameLocator("#email-html").locator("body");
  assert.match(await body.textContent(), /You completed Data Science Bootcamp 2026 with \w+ after [\d.]+ hours/);
  await page.screenshot({ path: join(shots, "email-preview.png"), fullPage: true });
  assert.equal(await page.evaluate(() => document.getElementById("email-html").contentDocument.documentElement.lang), "en");
  await assertAccessible(page, "the page with an email previewed");

  const invalidRow = await page.evaluate(() => document.querySelector("#grid tr.row-error")?.dataset.row);
  assert.ok(invalidRow, "the sample roster has a row with errors among the first rows");
  await page.fill("#email-row", invalidRow);
  await page.click("#email-show");
  // The status is written when the worker answers: wait for the answer about this row.
  await page.waitForFunction(
    (row) => document.getElementById("email-status").textContent.startsWith(`Row ${row} `),
    invalidRow,
  );
  assert.match(await page.textContent("#email-status"), new RegExp(`Row ${invalidRow} has errors`));
  assert.deepEqual(problems, []);
  await page.close();
});

test("a 100k-row roster is analysed in the worker while the page keeps answering", async () => {
  const { page, problems } = await openPage();
  const lines = ["Name,Email,Course Hours,Grade"];
  for (let i = 0; i < 100_000; i++) lines.push(`Person ${i},p${i}@example.org,${i % 40},${["Pass", "Merit", "Distinction", "Great"][i % 4]}`);
  const buffer = Buffer.from(lines.join("\n") + "\n");
  const before = await page.evaluate(() => Number(document.body.dataset.analyses ?? 0));
  await page.setInputFiles("#roster-file", { name: "big.csv", mimeType: "text/csv", buffer });
  // Each evaluate needs the main thread: answered while the analysis is still running means
  // the tab was not frozen by it. (If it were, every answer would come after the end.)
  let answeredDuring = 0;
  for (;;) {
    const now = await page.evaluate((n) => ({ done: Number(document.body.dataset.analyses ?? 0) > n, bar: !document.getElementById("progress-row").hidden }), before);
    if (now.done) break;
    if (now.bar) answeredDuring++;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(answeredDuring > 0, "the page did not answer while the roster was analysed");
  const view = await shown(page);
  assert.equal(view.summary.rows, "100,000 rows");
  assert.equal(view.summary.errors, "25,000 errors");
  assert.equal(view.findings.length, 200, "the table shows a page of findings at a time");
  assert.equal(view.count, "25,000 findings");
  await page.click("#findings-more");
  await page.waitForFunction(() => document.querySelectorAll("#findings tbody tr").length === 400);
  await page.screenshot({ path: join(shots, "large-roster.png") });
  assert.deepEqual(problems, []);
  await page.close();
});

/** A CSV of `rows` people, a quarter of them with a grade the sample group does not know. */
function bigCsv(rows) {
  const lines = ["Name,Email,Course Hours,Grade"];
  for (let i = 0; i < rows; i++) lines.push(`Person ${i},p${i}@example.org,${i % 40},${["Pass", "Merit", "Distinction", "Great"][i % 4]}`);
  return Buffer.from(lines.join("\n") + "\n");
}

test("a check shows the share of the file read and can be cancelled; the page stays usable", async () => {
  // The check's answer is held back until it is cancelled: the check can be fast enough on
  // this machine to end before the click, which would leave nothing to cancel.
  const { page, problems } = await openPage({ holdResults: true });
  await page.evaluate(() => { window.holdResults = true; });
  const buffer = bigCsv(600_000);
  await page.setInputFiles("#roster-file", { name: "huge.csv", mimeType: "text/csv", buffer });
  // The bar and its text give the share of the bytes read, as the library reports it.
  await page.waitForFunction(() => /\d+% read/.test(document.getElementById("progress-text").textContent), null, { timeout: 60_000 });
  const bar = await page.evaluate(() => {
    const p = document.getElementById("progress");
    return { value: p.value, max: p.max, label: p.labels[0].textContent, determinate: p.hasAttribute("value") };
  });
  assert.ok(bar.determinate && bar.value > 0 && bar.value <= bar.max, `the bar: ${JSON.stringify(bar)}`);
  await assertAccessible(page, "the page while a check runs");
  await page.click("#cancel");
  await page.waitForFunction(() => document.getElementById("roster-status").textContent === "Check cancelled.");
  assert.equal(await page.evaluate(() => document.getElementById("roster-status").getAttribute("role")), "status");
  assert.equal(await page.isHidden("#progress-row"), true);
  assert.equal(await page.isHidden("#results"), true, "nothing of a file whose check was cancelled is shown");
  assert.equal(await page.evaluate(() => document.activeElement.id), "drop");
  assert.equal(await page.evaluate(() => document.body.dataset.analyses ?? "0"), "0");
  await assertAccessible(page, "the page after a cancelled check");
  await page.evaluate(() => { window.holdResults = false; });

  // A new worker checks the next roster as the CLI does.
  const folder = join(fixtures, "hr_export_german");
  const groupPath = join(folder, "group.json");
  await useGroup(page, groupPath);
  await upload(page, join(folder, "roster.csv"));
  const report = cliReport(join(folder, "roster.csv"), groupPath);
  assertMatchesCli(await shown(page), report);

  // A re-check cancelled keeps the results and the mapping they were read with; the next
  // re-check reads the roster again in the new worker.
  const column = report.columns.find((c) => c.attribute).letter;
  const select = `#columns tr[data-column="${column}"] select`;
  await page.evaluate(() => {
    // Holds the re-check at the start, so that the cancel lands while it runs.
    window.realPost = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function () {};
  });
  await page.selectOption(select, "");
  await page.waitForFunction(() => !document.getElementById("progress-row").hidden);
  await page.evaluate(() => (Worker.prototype.postMessage = window.realPost));
  await page.click("#cancel");
  await page.waitForFunction(() => document.getElementById("roster-status").textContent === "Check cancelled.");
  assert.equal(await page.isHidden("#results"), false);
  assertMatchesCli(await shown(page), report);
  await analysed(page, () => page.selectOption(select, ""));
  assertMatchesCli(await shown(page), cliReport(join(folder, "roster.csv"), groupPath, { mapping: { columns: [{ column, attribute: null }] } }));
  assert.deepEqual(problems, []);
  await page.close();
});

test("the mapping is reset: every column back to the automatic match, checked again", async () => {
  const folder = join(fixtures, "hr_export_german");
  const roster = join(folder, "roster.csv");
  const groupPath = join(folder, "group.json");
  const { page, problems } = await openPage();
  await useGroup(page, groupPath);
  await upload(page, roster);
  const report = cliReport(roster, groupPath);
  const [first, second] = report.columns.filter((c) => c.attribute);
  // One column skipped, another given the first one's attribute.
  await analysed(page, () => page.selectOption(`#columns tr[data-column="${first.letter}"] select`, ""));
  await analysed(page, () => page.selectOption(`#columns tr[data-column="${second.letter}"] select`, first.attribute));
  const changed = cliReport(roster, groupPath, { mapping: { columns: [
    { column: first.letter, attribute: null }, { column: second.letter, attribute: first.attribute }] } });
  assertMatchesCli(await shown(page), changed);

  await analysed(page, () => page.click("#mapping-reset"));
  assertMatchesCli(await shown(page), report);
  assert.equal(await page.evaluate(() => document.activeElement.id), "mapping-reset");
  assert.match(await page.textContent("#roster-status"), /^roster\.csv: /);
  await assertAccessible(page, "the page after the mapping was reset");
  // Nothing to reset: said so, and nothing is checked again.
  const before = await page.evaluate(() => document.body.dataset.analyses);
  await page.keyboard.press("Enter");
  assert.equal(await page.textContent("#roster-status"), "Every column already has the automatic match.");
  assert.equal(await page.evaluate(() => document.body.dataset.analyses), before);
  assert.deepEqual(problems, []);
  await page.close();
});

test("every row is paged through, 50 at a time, by keyboard, asked of the worker", async () => {
  const { page, problems, buffer, report } = await openWithRows(130, "paged.csv", "sample-group.json");
  const grid = () => page.evaluate(() => ({
    range: document.getElementById("grid-range").textContent,
    rows: [...document.querySelectorAll("#grid tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent)),
    marked: [...document.querySelectorAll("#grid td[data-severity]")].map((td) => td.dataset.cell),
    previous: document.getElementById("grid-previous").getAttribute("aria-disabled"),
    next: document.getElementById("grid-next").getAttribute("aria-disabled"),
  }));
  const lines = buffer.toString("utf8").trim().split("\n");
  // Rows `from`–`to` (sheet rows) as the file has them, after their row number.
  const expected = (from, to) => lines.slice(from - 1, to).map((line, i) => [String(from + i), ...line.split(",")]);
  const markedIn = (from, to) => [...new Set(report.findings.filter((f) => f.cell && f.row >= from && f.row <= to).map((f) => f.cell))];

  let view = await grid();
  assert.equal(view.range, "Rows 1–50 of 130");
  assert.deepEqual(view.rows, expected(2, 51));
  assert.deepEqual([view.previous, view.next], ["true", "false"]);
  await page.focus("#grid-next");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("grid-range").textContent === "Rows 51–100 of 130");
  view = await grid();
  assert.deepEqual(view.rows, expected(52, 101));
  assert.deepEqual(view.marked.sort(), markedIn(52, 101).sort());
  assert.equal(await page.textContent("#grid-status"), "Showing rows 51–100 of 130.");
  await assertAccessible(page, "the grid's second page");
  await page.keyboard.press(" ");
  await page.waitForFunction(() => document.getElementById("grid-range").textContent === "Rows 101–130 of 130");
  view = await grid();
  assert.deepEqual(view.rows, expected(102, 131));
  assert.deepEqual([view.previous, view.next], ["false", "true"]);
  // At the end, the button keeps focus and does nothing.
  assert.equal(await page.evaluate(() => document.activeElement.id), "grid-next");
  await page.keyboard.press("Enter");
  assert.equal((await grid()).range, "Rows 101–130 of 130");
  // A finding's cell on this page leads to it.
  const cellHere = markedIn(102, 131)[0];
  await page.click(`#findings button[aria-label="${cellHere}: show in the rows"]`);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.cell), cellHere);

  // A re-check goes back to the first rows; one cancelled takes the rows with its worker,
  // and the next page is read again first.
  await analysed(page, () => page.selectOption('#columns tr[data-column="D"] select', ""));
  assert.equal((await grid()).range, "Rows 1–50 of 130");
  await page.evaluate(() => {
    window.realPost = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function () {};
  });
  await page.selectOption('#columns tr[data-column="D"] select', "grade");
  await page.waitForFunction(() => !document.getElementById("progress-row").hidden);
  await page.evaluate(() => (Worker.prototype.postMessage = window.realPost));
  await page.click("#cancel");
  await page.waitForFunction(() => document.getElementById("roster-status").textContent === "Check cancelled.");
  await analysed(page, () => page.click("#grid-next"));
  await page.waitForFunction(() => document.getElementById("grid-range").textContent === "Rows 51–100 of 130");
  assert.deepEqual((await grid()).rows, expected(52, 101));
  await page.click("#grid-previous");
  await page.waitForFunction(() => document.getElementById("grid-range").textContent === "Rows 1–50 of 130");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a 200k-row roster's results reach the page without holding its thread for 100 ms", async () => {
  const { page, problems } = await openPage();
  const buffer = bigCsv(200_000);
  const before = await page.evaluate(() => Number(document.body.dataset.analyses ?? 0));
  await page.setInputFiles("#roster-file", { name: "large.csv", mimeType: "text/csv", buffer });
  // Watched from when the file is chosen: playwright builds the file on the page's thread, a
  // task of its own that is not the page's.
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => Math.round(e.duration))))
      .observe({ type: "longtask" });
  });
  await page.waitForFunction((n) => Number(document.body.dataset.analyses ?? 0) > n, before, { timeout: 120_000 });
  assert.equal(await page.isVisible("#progress-row"), false, "the result came after the observer started");
  // A task ends before its entry is reported: one more turn of the event loop.
  const longTasks = await page.evaluate(() => new Promise((r) => setTimeout(() => r(window.longTasks), 200)));
  assert.ok(longTasks.every((ms) => ms <= 100), `long tasks on the page's thread: ${longTasks.join(", ")} ms`);
  const view = await shown(page);
  assert.equal(view.summary.rows, "200,000 rows");
  assert.equal(view.count, "50,000 findings");
  assert.equal(await page.textContent("#grid-range"), "Rows 1–50 of 200,000");
  // The email of a valid row and the downloads come from what the worker keeps.
  await page.fill("#email-row", "199999");
  await page.click("#email-show");
  await page.waitForFunction(() => document.getElementById("email-status").textContent !== "");
  assert.equal(await page.textContent("#email-status"), "The email for row 199999.");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-errors")]);
  const errorReport = readFileSync(await download.path(), "utf8");
  assert.equal(errorReport.trim().split("\n").length, 50_001);
  assert.deepEqual(problems, []);
  await page.close();
});

test("keyboard and labels: every control is labelled and the roster can be chosen without a mouse", async () => {
  const { page } = await openPage();
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || (e.tagName === "BUTTON" && e.textContent.trim())))
      .map((e) => e.id || e.outerHTML.slice(0, 60)),
  );
  assert.deepEqual(unlabelled, []);
  // Tab from the top reaches the drop zone; Enter and Space open the file chooser. What is
  // checked is the click on the file input that opens it (the dialog itself is held back:
  // whether a headless browser shows one is not the page's business).
  let focused = "";
  for (let i = 0; i < 20 && focused !== "drop"; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement?.id ?? "");
  }
  assert.equal(focused, "drop");
  await page.evaluate(() => {
    window.chooserOpened = 0;
    document.getElementById("roster-file").addEventListener("click", (e) => {
      window.chooserOpened++;
      e.preventDefault();
    });
  });
  await page.keyboard.press("Enter");
  await page.keyboard.press(" ");
  assert.equal(await page.evaluate(() => window.chooserOpened), 2);
  await upload(page, join(fixtures, "french_courriel", "roster.csv"));
  assert.match(await page.textContent("#roster-status"), /^roster\.csv: /);
  await page.close();
});

test("a group with a template mistake is refused with the reason; templates download", async () => {
  const { page } = await openPage();
  await page.fill("#group-json", JSON.stringify({ name: "Broken", email: { subject: "{{ recipient.nmae }}" } }));
  await page.click("#group-apply");
  await page.waitForFunction(() => document.getElementById("group-status").classList.contains("status-error"));
  assert.match(await page.textContent("#group-status"), /recipient\.name/);
  await page.fill("#group-json", "{ not json");
  await page.click("#group-apply");
  assert.match(await page.textContent("#group-status"), /not valid JSON/);
  await page.selectOption("#group-choice", "sample");
  await page.waitForFunction(() => document.getElementById("group-status").textContent.startsWith("Ready"));
  const downloading = page.waitForEvent("download");
  await page.click("#template-xlsx");
  const download = await downloading;
  assert.equal(download.suggestedFilename(), "data-science-bootcamp-2026-template.xlsx");
  const saved = join(scratch, "template.xlsx");
  await download.saveAs(saved);
  assert.deepEqual([...readFileSync(saved).subarray(0, 2)], [0x50, 0x4b]);
  await page.close();
});

test("keyboard only: a column is reassigned without losing focus, cells and the header row are reached", async () => {
  const folder = join(fixtures, "hr_export_german");
  const roster = join(folder, "roster.csv");
  const groupPath = join(folder, "group.json");
  const { page, problems } = await openPage();
  await useGroup(page, groupPath);
  await upload(page, roster);
  const report = cliReport(roster, groupPath);

  // Tab through the whole page: every stop is visible (the hidden file inputs are not stops)
  // and shows a focus ring; the scrollable boxes are stops of their own.
  // From the top: the skip link is the first stop.
  await page.focus(".skip");
  await page.keyboard.press("Shift+Tab");
  const stops = [];
  for (let i = 0; i < 400; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const style = getComputedStyle(e);
      const box = e.getBoundingClientRect();
      const id = e.id || e.dataset.cell || `${e.tagName} ${e.closest("tr")?.dataset.column ?? ""} ${e.textContent.trim().slice(0, 30)}`;
      return { id, key: [...document.querySelectorAll("*")].indexOf(e), visible: box.width > 2 && box.height > 2,
        ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 };
    });
    if (!stop || stops.some((s) => s.key === stop.key)) break;
    stops.push(stop);
  }
  const ids = stops.map((s) => s.id);
  for (const id of ["group-load", "drop", "header-row", "findings-box", "grid-box"]) assert.ok(ids.includes(id), `${id} is a tab stop: ${ids}`);
  assert.ok(!ids.includes("group-file") && !ids.includes("roster-file"), `hidden file inputs are tab stops: ${ids}`);
  assert.deepEqual(stops.filter((s) => !s.visible || !s.ring).map((s) => s.id), [], "stops without a visible ring");

  // An error cell: a ring of its own, a description said once with its severity, and the
  // message shown in plain sight when focused.
  const firstError = report.findings.find((f) => f.severity === "error" && f.cell && f.row <= 50);
  const errorCell = page.locator(`#grid td[data-cell="${firstError.cell}"]`);
  await errorCell.focus();
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.cell), firstError.cell);
  const ring = await errorCell.evaluate((td) => getComputedStyle(td).outlineWidth);
  assert.equal(ring, "3px");
  assert.equal(await errorCell.getAttribute("title"), null);
  assert.equal(await errorCell.getAttribute("aria-label"), null);
  const description = await cellDescription(page, firstError.cell);
  assert.match(description, /^Error: /);
  assert.equal(description.split(firstError.message).length - 1, 1, "the message is said once");
  assert.ok((await page.textContent("#cell-detail")).includes(firstError.message));

  // A column's attribute by the arrow keys: no re-check per step; Enter applies it, once, and
  // focus stays on the same select, which was updated in place rather than rebuilt.
  const column = firstError.column;
  const select = page.locator(`#columns tr[data-column="${column}"] select`);
  await select.focus();
  await page.evaluate(() => (document.activeElement.dataset.marked = "yes"));
  const before = await page.evaluate(() => Number(document.body.dataset.analyses));
  const chosen = await select.inputValue();
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.evaluate(() => Number(document.body.dataset.analyses)), before, "arrow keys re-checked");
  assert.equal(await select.inputValue(), "");
  assert.notEqual(chosen, "");
  // Escape goes back to the attribute in use, and leaving then applies nothing.
  await page.keyboard.press("Escape");
  assert.equal(await select.inputValue(), chosen);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Shift+Tab");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.evaluate(() => Number(document.body.dataset.analyses)), before, "Escape then leaving re-checked");
  await page.keyboard.press("Home");
  await analysed(page, () => page.keyboard.press("Enter"));
  assert.equal(await page.evaluate(() => Number(document.body.dataset.analyses)), before + 1);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.marked), "yes", "focus left the select");
  const skipped = cliReport(roster, groupPath, { mapping: { columns: [{ column, attribute: null }] } });
  assertMatchesCli(await shown(page), skipped);
  // The result is announced politely.
  const status = page.locator("#roster-status");
  assert.equal(await status.getAttribute("aria-live"), "polite");
  assert.equal(await status.textContent(),
    `roster.csv: ${skipped.summary.rows} rows, ${skipped.summary.valid} valid, ${skipped.summary.errors} errors and ${skipped.summary.warnings} warnings.`);

  // Enter in the header-row box applies it.
  await page.focus("#header-row");
  await page.fill("#header-row", String(report.source.header_row));
  await analysed(page, () => page.keyboard.press("Enter"));
  assert.equal((await shown(page)).facts["header-row"], `${report.source.header_row} (as chosen)`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("narrow screens: nothing scrolls sideways, in either colour scheme", async () => {
  const { page, problems } = await openPage();
  await upload(page, here("../../examples/data/sample_roster.xlsx"));
  await page.click("#email-show");
  await page.waitForSelector("#email:not([hidden])");
  // (200% zoom has a test of its own, below.)
  for (const [width, height] of [[390, 844], [320, 640], [640, 450]]) {
    await page.setViewportSize({ width, height });
    for (const colorScheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme });
      assert.equal(await scrollsSideways(page), false, `${width} px, ${colorScheme}: the page scrolls sideways`);
      await page.screenshot({ path: join(shots, `narrow-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  // The mapping table is a list of cards: each value is labelled with its column's name.
  const card = await page.locator("#columns tbody td").nth(3).evaluate((td) => ({
    label: td.dataset.label, display: getComputedStyle(td).display,
    headHeight: td.closest("table").tHead.getBoundingClientRect().height,
  }));
  assert.deepEqual(card, { label: "Attribute", display: "block", headHeight: 1 });
  await page.emulateMedia({ colorScheme: null });
  await assertAccessible(page, "the page at 640 px");
  assert.deepEqual(problems, []);
  await page.close();
});

test("files: a PDF is refused with the reason, extra dropped files are named, a drop beside the zone does nothing", async () => {
  const { page, problems } = await openPage();
  await analysed(page, () => page.setInputFiles("#roster-file", {
    name: "certificate.pdf", mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
  }));
  assert.match(await page.textContent("#roster-status"), /^certificate\.pdf cannot be read: the file is a PDF document, not a roster/);
  assert.equal(await page.getAttribute("#roster-status", "class"), "status-error");

  const before = await page.evaluate(() => Number(document.body.dataset.analyses));
  const csv = "Name,Email,Course Hours\nAna,ana@example.org,12\n";
  const refusedBeside = await dropFiles(page, "header", [{ name: "beside.csv", type: "text/csv", text: csv }]);
  assert.equal(refusedBeside, true, "the browser would open a file dropped beside the zone");
  const dragBeside = await page.evaluate(() => {
    const event = new DragEvent("dragover", { dataTransfer: new DataTransfer(), bubbles: true, cancelable: true });
    document.querySelector("header").dispatchEvent(event);
    return { prevented: event.defaultPrevented, effect: event.dataTransfer.dropEffect };
  });
  assert.deepEqual(dragBeside, { prevented: true, effect: "none" });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.evaluate(() => Number(document.body.dataset.analyses)), before);

  await analysed(page, () => dropFiles(page, "#drop", [
    { name: "first.csv", type: "text/csv", text: csv },
    { name: "second.csv", type: "text/csv", text: csv },
    { name: "notes.txt", type: "text/plain", text: "x" },
  ]));
  assert.match(await page.textContent("#roster-status"), /^first\.csv: 1 rows, 1 valid/);
  assert.equal(await page.textContent("#roster-extra"),
    "3 files were dropped; only the first, first.csv, is checked. Not checked: second.csv, notes.txt. Drop one roster at a time.");
  await assertAccessible(page, "the page after a drop of several files");
  assert.deepEqual(problems, []);
  await page.close();
});

test("findings grouped by problem with counts; each leads to its cells in the grid", async () => {
  const folder = join(fixtures, "hr_export_german");
  const roster = join(folder, "roster.csv");
  const groupPath = join(folder, "group.json");
  const { page, problems } = await openPage();
  await useGroup(page, groupPath);
  await upload(page, roster);
  const report = cliReport(roster, groupPath);
  const counts = new Map();
  for (const f of report.findings) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  const groups = await page.$$eval("#groups button", (buttons) => buttons.map((b) => [b.dataset.code, b.textContent]));
  assert.deepEqual(groups.map(([code]) => code), [...counts.keys()]);
  for (const [code, text] of groups) assert.match(text, new RegExp(`^${code}: ${counts.get(code)} (error|warning)s?$`));

  const firstError = report.findings.find((f) => f.severity === "error" && f.cell && f.row <= 50);
  await page.click(`#groups button[data-code="${firstError.code}"]`);
  await page.waitForFunction(() => document.activeElement.id === "findings-box");
  const codes = await page.$$eval("#findings tbody tr", (rows) => rows.map((r) => r.dataset.code));
  assert.equal(codes.length, counts.get(firstError.code));
  assert.ok(codes.every((c) => c === firstError.code));
  assert.equal(await page.textContent("#findings-count"), `${codes.length} of ${report.findings.length} findings`);

  await page.click(`#findings tbody button:text-is("${firstError.cell}")`);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.cell), firstError.cell);
  assert.ok((await page.textContent("#cell-detail")).includes(firstError.message));
  await assertAccessible(page, "the findings narrowed to one problem");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a suggested fix is previewed, applied, undone, and the corrected roster downloads as the CLI writes it", async () => {
  const folder = join(fixtures, "suggested_fixes");
  const roster = join(folder, "roster.csv");
  const groupPath = join(folder, "group.json");
  const { page, problems } = await openPage();
  await useGroup(page, groupPath);
  await upload(page, roster);
  const report = cliReport(roster, groupPath);
  const codes = [...new Set(report.fixes.map((f) => f.code))];
  assert.deepEqual(await page.$$eval("#fixes li", (items) => items.map((li) => li.dataset.code)), codes);

  // The preview lists each change of a fix, before and after.
  const fix = report.fixes.find((f) => f.code === "enum_case");
  const item = page.locator('#fixes li[data-code="enum_case"]');
  await item.locator("summary").click();
  const rows = await item.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert.deepEqual(rows, fix.changes.map((c) => [c.cell, c.before, c.after]));

  // Applied: the page shows the corrected roster as the CLI reads the roster it corrects.
  const cliFixed = join(scratch, "cli-fixed.csv");
  try {
    execFileSync(cli, ["analyze", roster, "--group", groupPath, "--fix", "enum_case", "--output", cliFixed, "--json"], { stdio: "ignore" });
  } catch (e) {
    if (e.status !== 1) throw e; // 1: errors were found in the roster as given
  }
  await analysed(page, () => item.locator("button", { hasText: "Apply enum_case" }).click());
  assertMatchesCli(await shown(page), cliReport(cliFixed, groupPath));
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Undo enum_case", "focus stays on the fix");
  assert.match(await page.textContent("#roster-status"), /^roster\.csv with enum_case applied: /);
  await assertAccessible(page, "the page with a fix applied");
  // Every preview open, on a phone: still nothing scrolls sideways.
  await page.evaluate(() => { for (const d of document.querySelectorAll("#fixes details")) d.open = true; });
  await page.setViewportSize({ width: 320, height: 640 });
  assert.equal(await scrollsSideways(page), false, "the fixes scroll sideways at 320 px");
  await page.screenshot({ path: join(shots, "fixes-320.png"), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });

  const downloading = page.waitForEvent("download");
  await page.click("#download-fixed");
  const download = await downloading;
  assert.equal(download.suggestedFilename(), "roster-fixed.csv");
  const saved = join(scratch, "page-fixed.csv");
  await download.saveAs(saved);
  assert.deepEqual(readFileSync(saved), readFileSync(cliFixed));

  // Undone, by keyboard: the roster as chosen again.
  await item.locator("button", { hasText: "Undo enum_case" }).focus();
  await analysed(page, () => page.keyboard.press("Enter"));
  assertMatchesCli(await shown(page), report);
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Apply enum_case");
  assert.equal(await page.isHidden("#download-fixed"), true);
  assert.deepEqual(problems, []);
  await page.close();
});

test("state cues keep 3:1 in both schemes; a tap on a marked cell shows its message", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${server.url}/page/`);
  await page.waitForSelector("body[data-ready=true]");
  // Both kinds of marked cell are among its first rows.
  const folder = join(fixtures, "suggested_fixes");
  await useGroup(page, join(folder, "group.json"));
  await upload(page, join(folder, "roster.csv"));
  const report = cliReport(join(folder, "roster.csv"), join(folder, "group.json"));

  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    const colours = await page.evaluate(() => {
      const style = (selector) => getComputedStyle(document.querySelector(selector));
      const edge = (selector) => style(selector).boxShadow.match(/rgba?\([^)]*\)/)[0];
      return {
        page: getComputedStyle(document.documentElement).backgroundColor,
        errorEdge: edge("#grid td.cell-error"), errorFill: style("#grid td.cell-error").backgroundColor,
        warningEdge: edge("#grid td.cell-warning"), warningFill: style("#grid td.cell-warning").backgroundColor,
        select: style("#columns select").borderTopColor, button: style("#group-apply").borderTopColor,
        input: style("#header-row").borderTopColor, drop: style("#drop").borderTopColor,
        ring: (() => { // the focus ring's colour, --accent, as computed
          const probe = document.createElement("span");
          probe.style.color = "var(--accent)";
          document.body.append(probe);
          const color = getComputedStyle(probe).color;
          probe.remove();
          return color;
        })(),
      };
    });
    for (const [name, against] of [["errorEdge", "errorFill"], ["errorEdge", "page"], ["warningEdge", "warningFill"],
      ["warningEdge", "page"], ["select", "page"], ["button", "page"], ["input", "page"], ["drop", "page"],
      ["ring", "page"], ["ring", "errorFill"], ["ring", "warningFill"]]) {
      const ratio = contrast(colours[name], colours[against]);
      assert.ok(ratio >= 3, `${colorScheme}: ${name} on ${against} is ${ratio.toFixed(2)}:1`);
    }
  }
  await page.emulateMedia({ colorScheme: null });

  const warning = await page.getAttribute("#grid td.cell-warning", "data-cell");
  await page.locator(`#grid td[data-cell="${warning}"]`).tap();
  assert.match(await page.textContent("#cell-detail"), new RegExp(`^${warning}, Warning: `));
  const error = report.findings.find((f) => f.severity === "error" && f.cell && f.row <= 50);
  await page.locator(`#grid td[data-cell="${error.cell}"]`).tap();
  assert.ok((await page.textContent("#cell-detail")).startsWith(`${error.cell}, Error: ${error.message}`));
  // On a touch screen a tap is a click: the cell's detail has a button that edits it.
  await page.locator(`#cell-detail button:text-is("Edit ${error.cell}")`).tap();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")?.split(",")[0]), `Edit ${error.cell}`);
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.cell), error.cell);
  assert.deepEqual(problems, []);
  await page.close();
});

/** The grid's focused cell, and whether an editor has focus. */
function focusedCell(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    return { cell: e.closest("td")?.dataset.cell ?? null, editor: e.tagName === "INPUT" ? e.getAttribute("aria-label") : null };
  });
}

/** The grid cell `name`: its text, classes, and what a screen reader says after its value. */
function gridCell(page, name) {
  return page.evaluate((name) => {
    const td = document.querySelector(`#grid td[data-cell="${name}"]`);
    const described = (td.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    return {
      text: td.textContent, changed: td.classList.contains("cell-changed"), severity: td.dataset.severity ?? null,
      description: described.map((id) => document.getElementById(id).textContent).join(" "),
    };
  }, name);
}

test("keyboard only: a cell is edited in place and checked again at once, marked as changed, undone", async () => {
  const folder = join(fixtures, "suggested_fixes");
  const roster = join(folder, "roster.csv");
  const groupPath = join(folder, "group.json");
  const { page, problems } = await openPage();
  await useGroup(page, groupPath);
  await upload(page, roster);
  const report = cliReport(roster, groupPath);
  const bad = report.findings.find((f) => f.code === "invalid_email");
  assert.equal(bad.cell, "C8");
  const before = await shown(page);
  assert.ok(before.findings.includes("C8 invalid_email"));

  // The grid is one tab stop, its first marked cell; the arrow keys move from cell to cell.
  await page.focus("#grid-box");
  await page.keyboard.press("Tab");
  assert.deepEqual(await focusedCell(page), { cell: "C2", editor: null });
  for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowLeft");
  assert.deepEqual(await focusedCell(page), { cell: "C8", editor: null });
  assert.equal(await page.textContent("#cell-detail"), `C8, Error: ${bad.message}How to fix it: ${bad.help}Edit C8`);

  // Enter opens an editor with the cell's text, labelled; Escape leaves the cell as it was,
  // and nothing is checked again.
  const analyses = await page.evaluate(() => Number(document.body.dataset.analyses));
  await page.keyboard.press("Enter");
  assert.deepEqual(await focusedCell(page), { cell: "C8", editor: "Edit C8, Email" });
  assert.equal(await page.inputValue("#grid td[data-cell=C8] input"), "fay@gmial");
  await page.keyboard.type("nobody");
  await page.keyboard.press("Escape");
  assert.deepEqual(await focusedCell(page), { cell: "C8", editor: null });
  assert.equal((await gridCell(page, "C8")).text, "fay@gmial");
  assert.equal(await page.textContent("#grid-status"), "Edit of C8 cancelled.");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.evaluate(() => Number(document.body.dataset.analyses)), analyses, "a cancelled edit re-checked");

  // F2 opens it too, the text chosen: typing replaces it, Enter keeps it and the roster is
  // checked again at once, focus back on the cell.
  await page.keyboard.press("F2");
  await page.keyboard.type("fay@example.org");
  await analysed(page, () => page.keyboard.press("Enter"));
  assert.deepEqual(await focusedCell(page), { cell: "C8", editor: null });
  const after = await shown(page);
  assert.ok(!after.findings.includes("C8 invalid_email"), "the finding of the cell edited is gone");
  assert.equal(after.summary.errors, `${report.summary.errors - 1} errors`);
  assert.equal(after.summary.valid, `${report.summary.valid + 1} valid`);
  assert.equal(await page.textContent("#roster-status"),
    `roster.csv with 1 cell edited: ${report.summary.rows} rows, ${report.summary.valid + 1} valid, ` +
    `${report.summary.errors - 1} errors and ${report.summary.warnings} warnings.`);
  // Marked: an icon and an underline (not colour alone), and said after the value.
  const edited = await gridCell(page, "C8");
  assert.deepEqual(edited, { text: "fay@example.org", changed: true, severity: null, description: "Edited by you; it was “fay@gmial”." });
  const cue = await page.evaluate(() => {
    const td = document.querySelector("#grid td[data-cell=C8]");
    return { icon: getComputedStyle(td, "::before").content, line: getComputedStyle(td).textDecorationStyle };
  });
  assert.match(cue.icon, /✎/);
  assert.equal(cue.line, "dashed");
  assert.equal(await page.textContent("#edits li"), "C8 (Email): “fay@gmial” → “fay@example.org” Undo");
  // The page agrees with the CLI on the cleaned roster it downloads, which is the file with
  // that one cell changed, written as every roster conferral writes (BOM, CRLF).
  const downloading = page.waitForEvent("download");
  await page.click("#download-cleaned");
  const cleaned = join(scratch, "page-edited.csv");
  await (await downloading).saveAs(cleaned);
  assert.equal(await page.textContent("#next-status"), "Downloaded roster-fixed.csv.");
  const lines = readFileSync(roster, "utf8").trim().split("\n");
  lines[7] = lines[7].replace("fay@gmial", "fay@example.org");
  assert.equal(readFileSync(cleaned, "utf8"), `\ufeff${lines.join("\r\n")}\r\n`);
  assertMatchesCli(after, cliReport(cleaned, groupPath));
  await page.focus("#grid td[data-cell=C8]");
  await assertAccessible(page, "the grid after an edit");
  assert.match(await page.textContent("#next-summary"), /^4 of 7 rows are ready; 3 still have errors/);

  // Ctrl+Z in the grid takes the edit back: the finding and the counts return, focus stays.
  await page.focus("#grid td[data-cell=C8]");
  await analysed(page, () => page.keyboard.press("Control+z"));
  assert.deepEqual(await focusedCell(page), { cell: "C8", editor: null });
  assertMatchesCli(await shown(page), report);
  assert.equal((await gridCell(page, "C8")).changed, false);
  assert.equal(await page.isHidden("#edits-box"), true);
  assert.equal(await page.textContent("#grid-status"), "The edit of C8 was undone.");
  assert.match(await page.textContent("#roster-status"), /^roster\.csv: /);
  // Nothing changed: the cleaned roster is the roster as read, written out.
  const gettingAsRead = page.waitForEvent("download");
  await page.click("#download-cleaned");
  const asRead = readFileSync(await (await gettingAsRead).path(), "utf8");
  assert.equal(asRead, `\ufeff${readFileSync(roster, "utf8").trim().split("\n").join("\r\n")}\r\n`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("cells a fix or an edit changed are marked; edits follow the fixes, are undone from their list, and download as the CLI's fix plus the edit", async () => {
  const folder = join(fixtures, "suggested_fixes");
  const roster = join(folder, "roster.csv");
  const groupPath = join(folder, "group.json");
  const { page, problems } = await openPage();
  await useGroup(page, groupPath);
  await upload(page, roster);
  const report = cliReport(roster, groupPath);
  const fix = report.fixes.find((f) => f.code === "enum_case");
  await analysed(page, () => page.click('#fixes li[data-code="enum_case"] button:text-is("Apply enum_case")'));
  for (const change of fix.changes) {
    const marked = await gridCell(page, change.cell);
    assert.equal(marked.text, change.after);
    assert.equal(marked.changed, true, `${change.cell} is not marked`);
    assert.equal(marked.description.split(" ").length > 0 && marked.description.endsWith(`Changed by enum_case; it was “${change.before}”.`), true, marked.description);
  }
  // Cells no fix or edit touched are not marked.
  assert.equal((await gridCell(page, "A2")).changed, false);

  // An edit on top of the fix (by double-click, for a pointer), then one more, and the
  // first undone from the list: focus stays in the list.
  await page.dblclick("#grid td[data-cell=C8]");
  await page.keyboard.press("Control+a");
  await page.keyboard.type("fay@example.org");
  await analysed(page, () => page.keyboard.press("Enter"));
  await page.locator("#grid td[data-cell=D7]").focus();
  await page.keyboard.press("Enter");
  await page.keyboard.type("6");
  await analysed(page, () => page.keyboard.press("Enter"));
  assert.deepEqual(await page.$$eval("#edits li", (items) => items.map((li) => li.dataset.cell)), ["C8", "D7"]);
  assert.match(await page.textContent("#roster-status"), /^roster\.csv with enum_case applied and 2 cells edited: /);
  assert.equal((await gridCell(page, "D7")).description, "Edited by you; it was “5”.");
  await page.focus('#edits button[aria-label="Undo the edit of C8"]');
  await analysed(page, () => page.keyboard.press("Enter"));
  assert.deepEqual(await page.$$eval("#edits li", (items) => items.map((li) => li.dataset.cell)), ["D7"]);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), "Undo the edit of D7");
  assert.equal((await gridCell(page, "C8")).text, "fay@gmial");
  assert.match(await page.textContent("#next-summary"), /The cleaned roster has enum_case applied and 1 cell edited\.$/);
  await assertAccessible(page, "the grid with a fix and an edit");

  // The cleaned roster is the CLI's `--fix enum_case` output with the edit made.
  const cliFixed = join(scratch, "cli-fixed-for-edit.csv");
  try {
    execFileSync(cli, ["analyze", roster, "--group", groupPath, "--fix", "enum_case", "--output", cliFixed, "--json"], { stdio: "ignore" });
  } catch (e) {
    if (e.status !== 1) throw e;
  }
  const expected = readFileSync(cliFixed, "utf8").replace("Eve,Moreau,eve@proton.me,5,", "Eve,Moreau,eve@proton.me,6,");
  assert.notEqual(expected, readFileSync(cliFixed, "utf8"));
  const downloading = page.waitForEvent("download");
  await page.click("#download-cleaned");
  assert.equal(readFileSync(await (await downloading).path(), "utf8"), expected);

  // The contrast of the mark, against the page and an error cell's fill, in both schemes.
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    const colours = await page.evaluate(() => {
      const td = document.querySelector("#grid td.cell-changed");
      const error = document.querySelector("#grid td.cell-error");
      return {
        icon: getComputedStyle(td, "::before").color, line: getComputedStyle(td).textDecorationColor,
        page: getComputedStyle(document.documentElement).backgroundColor, fill: getComputedStyle(td).backgroundColor,
        errorFill: getComputedStyle(error).backgroundColor,
      };
    });
    const fill = colours.fill === "rgba(0, 0, 0, 0)" ? colours.page : colours.fill;
    for (const [name, against] of [["icon", fill], ["line", fill], ["line", colours.page], ["line", colours.errorFill]]) {
      const ratio = contrast(colours[name], against);
      assert.ok(ratio >= 3, `${colorScheme}: the changed cell's ${name} is ${ratio.toFixed(2)}:1`);
    }
  }
  await page.emulateMedia({ colorScheme: null });
  await page.screenshot({ path: join(shots, "edited.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("a finding whose row is on another page of rows opens that page and focuses its cell, which can be edited there", async () => {
  const { page, problems, report } = await openWithRows(130, "jump.csv", "sample-group-jump.json");
  const far = report.findings.filter((f) => f.cell && f.row > 101).at(-1);
  assert.equal(await page.textContent("#grid-range"), "Rows 1–50 of 130");
  // By keyboard: the finding's button, then Enter.
  await page.focus(`#findings button[aria-label="${far.cell}: show in the rows"]`);
  await page.keyboard.press("Enter");
  await page.waitForFunction((cell) => document.activeElement?.dataset?.cell === cell, far.cell);
  assert.equal(await page.textContent("#grid-range"), "Rows 101–130 of 130");
  assert.equal(await page.textContent("#grid-status"), "Showing rows 101–130 of 130.");
  assert.ok((await page.textContent("#cell-detail")).startsWith(`${far.cell}, Error: ${far.message}`));
  await assertAccessible(page, "the grid's last page, opened from a finding");
  // Edited there: the page of rows and the focus stay after the re-check.
  await page.keyboard.press("Enter");
  await page.keyboard.type("Merit");
  await analysed(page, () => page.keyboard.press("Enter"));
  assert.equal(await page.textContent("#grid-range"), "Rows 101–130 of 130");
  assert.deepEqual(await focusedCell(page), { cell: far.cell, editor: null });
  assert.equal((await shown(page)).count, `${report.findings.length - 1} findings`);
  // Page Up and Page Down turn the grid's pages, focus kept in the same column.
  const column = far.cell.replace(/\d+$/, "");
  await page.keyboard.press("PageUp");
  await page.waitForFunction(() => document.getElementById("grid-range").textContent === "Rows 51–100 of 130");
  assert.deepEqual(await focusedCell(page), { cell: `${column}52`, editor: null });
  await page.keyboard.press("PageDown");
  await page.waitForFunction(() => document.getElementById("grid-range").textContent === "Rows 101–130 of 130");
  assert.deepEqual(await focusedCell(page), { cell: `${column}102`, editor: null });
  await page.keyboard.press("PageDown");
  assert.deepEqual(await focusedCell(page), { cell: `${column}131`, editor: null });
  // And back: a finding on the first page opens it again.
  const near = report.findings.find((f) => f.cell);
  await page.click(`#findings button[aria-label="${near.cell}: show in the rows"]`);
  await page.waitForFunction((cell) => document.activeElement?.dataset?.cell === cell, near.cell);
  assert.equal(await page.textContent("#grid-range"), "Rows 1–50 of 130");
  assert.deepEqual(problems, []);
  await page.close();
});

// Browser zoom, emulated as Chromium zooms. Chromium draws page zoom and the screen's device
// scale factor the same way ("zoom for DSF"): a page at 200% in a window 1280 pixels wide is
// laid out in 640 CSS pixels with a devicePixelRatio of 2, and media queries, rem and every
// length see exactly that. So a 640-pixel viewport at device scale factor 2 is that window
// at 200%, and the test checks the page sees it so. (CDP's Emulation.setPageScaleFactor is
// pinch zoom: it magnifies the page without laying it out again, which is not what reflow
// at 200% asks of a page; a 640-pixel viewport at scale 1 is a small window, not zoom.)
test("200% zoom of 1280- and 1440-pixel windows: nothing scrolls sideways, the mapping selects are whole", async () => {
  for (const [windowWidth, windowHeight] of [[1280, 800], [1440, 900]]) {
    const page = await browser.newPage({ viewport: { width: windowWidth / 2, height: windowHeight / 2 }, deviceScaleFactor: 2 });
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${server.url}/page/`);
    await page.waitForSelector("body[data-ready=true]");
    const seen = await page.evaluate(() => ({ width: innerWidth, ratio: devicePixelRatio, dppx: matchMedia("(resolution: 2dppx)").matches }));
    assert.deepEqual(seen, { width: windowWidth / 2, ratio: 2, dppx: true });
    const folder = join(fixtures, "hr_export_german");
    await useGroup(page, join(folder, "group.json"));
    await upload(page, join(folder, "roster.csv"));
    for (const colorScheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme });
      assert.equal(await scrollsSideways(page), false, `${windowWidth} px at 200%, ${colorScheme}: the page scrolls sideways`);
    }
    await page.emulateMedia({ colorScheme: null });
    // Each select lies wholly inside the page and inside every box that clips it, as the
    // page is laid out (scrolled down to it, no box scrolled sideways), and is as wide as its
    // longest choice needs.
    const cut = await page.evaluate(() => [...document.querySelectorAll("#columns select")].flatMap((select) => {
      window.scrollTo(0, select.getBoundingClientRect().top + window.scrollY - innerHeight / 2);
      const box = select.getBoundingClientRect();
      const problems = [];
      if (box.left < 0 || box.right > document.documentElement.clientWidth) problems.push("outside the page");
      for (let e = select.parentElement; e; e = e.parentElement) {
        if (getComputedStyle(e).overflowX === "visible") continue;
        const clip = e.getBoundingClientRect();
        if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) problems.push(`cut by ${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}.${e.className}`);
      }
      if (select.scrollWidth > select.clientWidth + 1) problems.push("its text is cut");
      return problems.map((p) => `${select.getAttribute("aria-label")}: ${p}`);
    }));
    assert.deepEqual(cut, [], `${windowWidth} px at 200%`);
    await page.screenshot({ path: join(shots, `zoom-200-${windowWidth}.png`), fullPage: true });
    await assertAccessible(page, `${windowWidth} px at 200%`);
    assert.deepEqual(problems, []);
    await page.close();
  }
});
