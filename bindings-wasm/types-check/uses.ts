// Compiled with `tsc --noEmit` by the test command: the generated declarations must type the
// API as its users write it, results narrowed on `type`.
import { analyze, errorReport, renderEmail, template, validateGroup, type Group, type Report } from "conferral";

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
});
if (result.type === "success") {
  const report: Report = result.report;
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

const checked = validateGroup(JSON.stringify(group));
if (checked.type === "success") console.log(checked.key);
const made = template(group, "csv");
if (made.type === "failure") console.log(made.errors[0]?.code);
