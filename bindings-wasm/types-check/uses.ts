// Compiled with `tsc --noEmit` by the test command: the generated declarations must type the
// API as its users write it, results narrowed on `type`.
import { analyze, applyFixes, errorReport, recordsCsv, renderEmail, template, validateGroup, type Fix, type FixCode, type Group, type Report } from "conferral";

const group: Group = {
  name: "Bootcamp 2026",
  attributes: [{ key: "hours", label: "Course Hours", type: "number", required: true }],
};

const bytes = new TextEncoder().encode("Name,Email,Course Hours\nAna,ana@example.org,12\n");
const result = analyze(bytes, "roster.csv", group, {
  headerRow: 1,
  mapping: { columns: [{ column: "C", attribute: "hours" }] },
  preview: 10,
  progress: (p) => console.log(p.stage, p.rows, p.totalBytes),
  rows: true,
});
if (result.type === "success") {
  const report: Report = result.report;
  if (result.rows) {
    const page: { row: number; cells: string[] }[] = result.rows.slice(50, 50);
    console.log(result.rows.length, page);
    result.rows.free();
  }
  const cells: (string | null)[] = report.findings.map((f) => f.cell);
  const firstValues = report.records?.[0]?.values ?? {};
  const email = renderEmail(group, firstValues, { baseUrl: "https://example.org/c" });
  if (email.type === "success") {
    const subject: string = email.email.subject;
    console.log(subject, cells);
  }
  const file = errorReport(report, "xlsx");
  if (file.type === "success") {
    const data: Uint8Array = file.bytes;
    console.log(file.fileName, file.mimeType, data.length);
  }
} else {
  for (const e of result.errors) console.log(e.code, e.message);
}

// Records kept in WebAssembly memory, read as needed.
const handled = analyze(bytes, "roster.csv", group, { records: "handle" });
if (handled.type === "success" && handled.records) {
  const { records } = handled;
  const rows: Uint32Array = records.rowNumbers();
  const keys: string[] = records.keys;
  const first = records.get(0);
  const hours = records.column("hours");
  if (hours instanceof Float64Array) console.log(hours[0]);
  else console.log(hours?.[0]);
  const all: { row: number }[] = records.toJSON();
  const csv = recordsCsv(group, handled.report, records);
  console.log(records.length, rows[0], keys, first?.values, records.indexOf(2), all.length, csv.type);
  records.free();
}

const checked = validateGroup(JSON.stringify(group));
if (checked.type === "success") console.log(checked.key);
const made = template(group, "csv");
if (made.type === "failure") console.log(made.errors[0]?.code);

// Suggested fixes: listed on the report, applied by code.
if (result.type === "success") {
  const fixes: Fix[] = result.report.fixes ?? [];
  const chosen: FixCode[] = fixes.filter((f) => f.code !== "drop_duplicate_rows").map((f) => f.code);
  for (const f of fixes) {
    for (const c of f.changes) console.log(f.code, f.count, c.cell ?? `row ${c.row}`, c.before, c.after, c.duplicate_of);
  }
  const fixed = applyFixes(bytes, "roster.csv", group, chosen, { format: "xlsx", headerRow: 1 });
  if (fixed.type === "success") {
    const data: Uint8Array = fixed.bytes;
    console.log(fixed.fileName, fixed.mimeType, data.length, fixed.report.summary.rows);
  }
  const edited = applyFixes(bytes, "roster.csv", group, [], { edits: [{ row: 2, column: "B", text: "bo@example.org" }] });
  if (edited.type === "success") {
    const sources: Float64Array = edited.sourceRows;
    for (const change of edited.changes) console.log(change.by, change.cell, change.before, change.after, sources[0]);
    const left: number[] = edited.leftOut;
    console.log(left.length);
  }
  const all = applyFixes(bytes, null, group, "all", undefined);
  if (all.type === "failure") console.log(all.errors[0]?.code);
}
