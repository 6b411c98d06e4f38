// The package's API on Node.js, on the built `nodejs` package (run by `make wasm-package`).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as conferral from "conferral";

const group = {
  name: "Data Science Bootcamp 2026",
  attributes: [
    { key: "grade", label: "Grade", type: "enum", values: ["Pass", "Merit", "Distinction"] },
    { key: "hours", label: "Course Hours", type: "number", required: true },
  ],
};
const csv = (text) => new TextEncoder().encode(text);
const roster = csv("Vorname;Nachname;E-Mail-Adresse;Course Hours;Grade\nAna;López;ana@example.org;12,5;merit\nBo;Chen;bo@;ten;Pass\n");

function success(result) {
  assert.equal(result.type, "success", JSON.stringify(result.errors));
  return result;
}

test("analyze reads, matches and validates, findings located to their cells", () => {
  const { report } = success(conferral.analyze(roster, "roster.csv", group));
  assert.equal(report.source.format, "csv");
  assert.equal(report.source.delimiter, ";");
  assert.deepEqual(report.columns.map((c) => c.attribute), ["first_name", "last_name", "email", "hours", "grade"]);
  assert.deepEqual(report.findings.map((f) => [f.cell, f.code]), [["C3", "invalid_email"], ["D3", "invalid_number"]]);
  assert.deepEqual(report.summary, { rows: 2, valid: 1, invalid: 1, warnings: 0, errors: 2 });
  // Records are on by default, as in Python; the values are normalised.
  assert.deepEqual(report.records, [{ row: 2, values: { name: "Ana López", first_name: "Ana", last_name: "López", email: "ana@example.org", hours: 12.5, grade: "Merit" } }]);
  assert.equal(report.preview, undefined);
});

test("analyze takes an ArrayBuffer, JSON text for the group, and every option", () => {
  const buffer = roster.buffer.slice(roster.byteOffset, roster.byteOffset + roster.byteLength);
  const events = [];
  const { report } = success(
    conferral.analyze(buffer, null, JSON.stringify(group), {
      headerRow: 1,
      mapping: { columns: [{ column: "E", attribute: null }] },
      records: false,
      preview: 1,
      progress: (p) => events.push(p),
    }),
  );
  assert.equal(report.columns[4].attribute, null);
  assert.equal(report.columns[4].tier, "user");
  assert.equal(report.records, undefined);
  assert.deepEqual(report.preview, [{ row: 2, cells: ["Ana", "López", "ana@example.org", "12,5", "merit"] }]);
  assert.deepEqual([...new Set(events.map((e) => e.stage))], ["reading", "matching", "validating", "finishing"].filter((s) => events.some((e) => e.stage === s)));
  assert.ok(events.some((e) => e.stage === "finishing" && e.rows === 2 && e.totalBytes === roster.byteLength));
});

test("analyze with rows keeps every data row in WebAssembly, as the preview gives the first", () => {
  const plain = success(conferral.analyze(roster, "roster.csv", group, { preview: 2 }));
  const kept = success(conferral.analyze(roster, "roster.csv", group, { preview: 2, rows: true }));
  assert.deepEqual(kept.report, plain.report);
  assert.equal(plain.rows, undefined);
  const { rows } = kept;
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.slice(0, 10), plain.report.preview);
  assert.deepEqual(rows.slice(1, 1), [{ row: 3, cells: ["Bo", "Chen", "bo@", "ten", "Pass"] }]);
  assert.deepEqual(rows.slice(5, 10), []);
  // A sheet row's place among the data rows, for a grid to open the page that holds it.
  assert.equal(rows.indexOf(3), 1);
  assert.equal(rows.indexOf(1), undefined);
  assert.equal(rows.indexOf(4), undefined);
  rows.free();
});

test("an exception thrown by progress stops the analysis and comes out unchanged", () => {
  const boom = new Error("stop here");
  assert.throws(() => conferral.analyze(roster, "r.csv", group, { progress: () => { throw boom; } }), (e) => e === boom);
});

test("problems with the data are failures, with a code per error", () => {
  const empty = conferral.analyze(new Uint8Array(), "empty.csv", group);
  assert.equal(empty.type, "failure");
  assert.equal(empty.errors[0].code, "empty_file");
  assert.match(empty.errors[0].message, /empty/);

  const badGroup = conferral.analyze(roster, "r.csv", { name: "X", attributes: [{ key: "Bad Key" }] });
  assert.equal(badGroup.type, "failure");
  assert.equal(badGroup.errors[0].code, "invalid_group");

  const badMapping = conferral.analyze(roster, "r.csv", group, { mapping: { columns: [{ column: "A", attribute: "nope" }] } });
  assert.equal(badMapping.type, "failure");
  assert.equal(badMapping.errors[0].code, "invalid_mapping");

  const sheet = conferral.analyze(roster, "r.csv", group, { headerRow: 40 });
  assert.equal(sheet.type, "failure");
  assert.equal(sheet.errors[0].code, "invalid_header_row");
});

test("every hostile file is a failure with its code, as in the CLI", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  const dir = fileURLToPath(new URL("../../tests/fixtures/hostile/", import.meta.url));
  // The kind each file must get, as the CLI and Python tests read it.
  const kinds = JSON.parse(readFileSync(dir + "kinds.json", "utf8"));
  const files = readdirSync(dir).filter((f) => f !== "README.md" && f !== "kinds.json").sort();
  assert.deepEqual(files, Object.keys(kinds).sort());
  for (const file of files) {
    const result = conferral.analyze(new Uint8Array(readFileSync(dir + file)), file, group);
    assert.equal(result.type, "failure", file);
    assert.equal(result.errors[0].code, kinds[file], file);
  }
});

test("misuse throws, with a code", () => {
  const misuse = (fn, pattern) =>
    assert.throws(fn, (e) => e instanceof Error && e.name === "ConferralError" && e.code === "invalid_argument" && pattern.test(e.message));
  misuse(() => conferral.analyze("Name,Email", "r.csv", group), /Uint8Array/);
  misuse(() => conferral.analyze(roster, 7, group), /fileName is a string/);
  misuse(() => conferral.analyze(roster, "r.csv", 42), /group is an object or JSON text/);
  misuse(() => conferral.analyze(roster, "r.csv", group, { header_row: 2 }), /unknown option `header_row`/);
  misuse(() => conferral.analyze(roster, "r.csv", group, { headerRow: -1 }), /headerRow is a whole number/);
  misuse(() => conferral.analyze(roster, "r.csv", group, { progress: "yes" }), /progress is a function/);
  misuse(() => conferral.template(group, "pdf"), /"csv" or "xlsx"/);
  misuse(() => conferral.errorReport({ findings: [] }, "csv"), /report is not of the expected shape/);
  misuse(() => conferral.renderEmail(group, { name: "A" }, { base: "x" }), /unknown option `base`/);
});

test("templates analyse back to the group's columns", () => {
  const file = success(conferral.template(group, "csv"));
  assert.equal(file.fileName, "data-science-bootcamp-2026-template.csv");
  assert.equal(file.mimeType, "text/csv;charset=utf-8");
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(file.bytes);
  assert.ok(text.startsWith("\uFEFFName *,Email *"), text);
  const xlsx = success(conferral.template(group));
  assert.equal(xlsx.fileName.endsWith(".csv"), true, "csv is the default format");
  const workbook = success(conferral.template(group, "xlsx"));
  assert.deepEqual([...workbook.bytes.slice(0, 2)], [0x50, 0x4b]);
  const filled = new Uint8Array([...workbook.bytes]);
  const { report } = success(conferral.analyze(filled, workbook.fileName, group));
  assert.deepEqual(report.columns.map((c) => c.attribute), ["name", "email", "issued_on", "expires_on", "credential_id", "grade", "hours"]);
});

test("error reports list every finding; cleaned records re-import to the same values", () => {
  const { report } = success(conferral.analyze(roster, "roster.csv", group));
  const errors = success(conferral.errorReport(report, "csv"));
  const lines = new TextDecoder().decode(errors.bytes).replace(/^\uFEFF/, "").trim().split("\r\n");
  assert.equal(lines[0], "Severity,Code,Cell,Row,Column,Attribute,Value,Message,Help");
  assert.equal(lines.length, 3);
  assert.ok(lines[1].startsWith("error,invalid_email,C3,3,C,email,bo@,"));
  const xlsx = success(conferral.errorReport(report, "xlsx"));
  assert.equal(xlsx.fileName, "error-report.xlsx");

  const cleaned = success(conferral.recordsCsv(group, report));
  const again = success(conferral.analyze(cleaned.bytes, cleaned.fileName, group)).report;
  assert.equal(again.summary.errors, 0);
  const { first_name, last_name, ...values } = report.records[0].values;
  assert.deepEqual(again.records[0].values, values);
  const noRecords = success(conferral.analyze(roster, "r.csv", group, { records: false })).report;
  assert.equal(conferral.recordsCsv(group, noRecords).errors[0].code, "invalid_value");
});

test("renderEmail previews a row's email, or lists what is wrong with its values", () => {
  const { report } = success(conferral.analyze(roster, "roster.csv", group));
  const shown = success(conferral.renderEmail(group, report.records[0].values, { baseUrl: "https://certs.example.org/c" }));
  assert.equal(shown.email.to_email, "ana@example.org");
  assert.equal(shown.email.subject, "Your credential for Data Science Bootcamp 2026");
  assert.ok(shown.email.text.includes("https://certs.example.org/c/PREVIEW"));
  assert.ok(shown.email.html.includes("Dear Ana López,"));

  const refused = conferral.renderEmail(group, { name: "Bo Chen", email: "bo@", hours: "ten" });
  assert.equal(refused.type, "failure");
  assert.deepEqual(refused.errors.map((e) => [e.code, e.attribute]), [["invalid_email", "email"], ["invalid_number", "hours"]]);
  assert.ok(refused.errors[0].help.length > 0);

  const html = success(conferral.renderEmail(group, { name: "<b>Eve</b>", email: "eve@example.org", hours: 3 })).email.html;
  assert.ok(html.includes("&lt;b&gt;Eve&lt;&#x2f;b&gt;") || html.includes("&lt;b&gt;Eve&lt;/b&gt;"), "names are escaped in HTML");
});

test("renderEmail previews a group's notices with their own fields", () => {
  const values = { name: "Ana <López>", email: "ana@example.org", hours: 12, expires_on: "2028-03-02" };
  const revoked = success(conferral.renderEmail(group, values, { notice: "revoked", reason: "issued <by mistake>" })).email;
  assert.equal(revoked.subject, "Your credential for Data Science Bootcamp 2026 has been revoked");
  assert.ok(revoked.text.includes("revoked: issued <by mistake>."));
  assert.ok(revoked.html.includes("issued &lt;by mistake&gt;"));
  const warned = success(conferral.renderEmail(group, values, { notice: "expiring", daysLeft: 14 })).email;
  assert.ok(warned.text.includes("valid until 2028-03-02 (14 days from now)"));
  const own = { ...group, notices: { reminder: { after_days: 7, subject: "Still waiting, {{ recipient.name }}" } } };
  assert.equal(success(conferral.renderEmail(own, values, { notice: "reminder" })).email.subject, "Still waiting, Ana <López>");
  assert.throws(() => conferral.renderEmail(group, values, { notice: "birthday" }), /notice is one of/);
  const bad = conferral.renderEmail({ ...group, notices: { expired: { text: "{{ notice.reson }}" } } }, values, { notice: "expired" });
  assert.equal(bad.type, "failure");
  assert.equal(bad.errors[0].code, "invalid_template");
});

test("validateGroup checks attributes and templates", () => {
  const ok = success(conferral.validateGroup(group));
  assert.equal(ok.key, "data-science-bootcamp-2026");
  assert.equal(ok.group.name, group.name);
  assert.deepEqual(ok.warnings.map((w) => w.field),
    ["issuer.name", "issuer.url", "achievement.description", "achievement.criteria"]);
  const described = success(conferral.validateGroup({ ...group,
    issuer: { name: "Academy", url: "https://academy.example.org" },
    achievement: { description: "Twelve weeks.", criteria: "Pass the project." } }));
  assert.deepEqual(described.warnings, []);
  const typo = conferral.validateGroup({ ...group, email: { subject: "{{ attributes.grdae }}" } });
  assert.equal(typo.type, "failure");
  assert.equal(typo.errors[0].code, "invalid_template");
  assert.match(typo.errors[0].message, /grade/);
  assert.equal(conferral.validateGroup("{not json").errors[0].code, "invalid_group");
});

test("error kinds and version", () => {
  const kinds = conferral.errorKinds();
  assert.ok(kinds.includes("empty_file") && kinds.includes("invalid_mapping"));
  assert.match(conferral.version(), /^\d+\.\d+\.\d+$/);
});

test("validateGroup lists the attributes a column can fill", () => {
  const { attributes } = success(conferral.validateGroup(group));
  const keys = attributes.map((a) => a.key);
  assert.deepEqual(keys.slice(-2), ["grade", "hours"]);
  assert.ok(["name", "first_name", "last_name", "email", "issued_on", "expires_on", "credential_id"].every((k) => keys.includes(k)));
  const hours = attributes.find((a) => a.key === "hours");
  assert.deepEqual(hours, { key: "hours", label: "Course Hours", type: "number", required: true, standard: false, values: [] });
});

test("analyze lists suggested fixes; applyFixes applies the chosen ones and nothing else", () => {
  const messy = csv("Name,Email,Grade\n Ana  López ,ana@gmial.com,merit\nBo Chen,bo@example.org,Pass\n");
  const { report } = success(conferral.analyze(messy, "roster.csv", { ...group, attributes: [group.attributes[0]] }));
  assert.deepEqual(report.fixes.map((f) => [f.code, f.column, f.count]), [
    ["collapse_blanks", "A", 1],
    ["email_domain_typo", "B", 1],
    ["enum_case", "C", 1],
  ]);
  assert.deepEqual(report.fixes[1].changes, [{ row: 2, column: "B", cell: "B2", before: "ana@gmial.com", after: "ana@gmail.com" }]);
  const small = { ...group, attributes: [group.attributes[0]] };
  const fixed = success(conferral.applyFixes(messy, "roster.csv", small, ["email_domain_typo"]));
  assert.equal(fixed.mimeType, "text/csv;charset=utf-8");
  const text = new TextDecoder().decode(fixed.bytes);
  assert.equal(text, "Name,Email,Grade\r\n Ana  López ,ana@gmail.com,merit\r\nBo Chen,bo@example.org,Pass\r\n");
  const all = success(conferral.applyFixes(messy, "roster.csv", small, "all"));
  const again = success(conferral.analyze(all.bytes, all.fileName, small)).report;
  assert.equal(again.fixes, undefined);
  assert.deepEqual(again.findings, []);
  // An unknown code is the caller's failure; a wrong type or format is misuse, thrown.
  const refused = conferral.applyFixes(messy, "roster.csv", small, ["enum_case", "tidy_up"]);
  assert.equal(refused.type, "failure");
  assert.equal(refused.errors[0].code, "invalid_value");
  assert.match(refused.errors[0].message, /`tidy_up` is not a fix/);
  assert.throws(() => conferral.applyFixes(messy, "roster.csv", small, 7), { code: "invalid_argument" });
  assert.throws(() => conferral.applyFixes(messy, "roster.csv", small, "all", { format: "ods" }), { code: "invalid_argument" });
  assert.throws(() => conferral.applyFixes(messy, "roster.csv", small, "all", { records: true }), { code: "invalid_argument" });
});

test("applyFixes makes a person's edits after the fixes, and says what changed and where each row came from", () => {
  // Titles above the header and a repeated row: the file written has its header in row 1
  // and no repeat, so its rows are not the roster's.
  const given = csv("Bootcamp roster\n\nName,Email,Grade\nAna López,ana@gmial.com,merit\nBo Chen,bo@example.org,Pass\nBo Chen,bo@example.org,Pass\nCy Díaz,cy@,Merit\n");
  const small = { ...group, attributes: [group.attributes[0]] };
  const edits = [
    { row: 7, column: "B", text: "cy@example.org" },
    { row: 4, column: "c", text: "Distinction" }, // a fix's cell: the person's text wins
    { row: 6, column: "A", text: "Bo Chen Jr" }, // a row the repeat fix removes
  ];
  const fixed = success(conferral.applyFixes(given, "roster.csv", small, ["enum_case", "drop_duplicate_rows", "email_domain_typo"], { edits }));
  assert.equal(new TextDecoder().decode(fixed.bytes),
    "Name,Email,Grade\r\nAna López,ana@gmail.com,Distinction\r\nBo Chen,bo@example.org,Pass\r\nCy Díaz,cy@example.org,Merit\r\n");
  assert.deepEqual([...fixed.sourceRows], [4, 5, 7]);
  assert.deepEqual(fixed.leftOut, [6]);
  assert.deepEqual(fixed.changes.map((c) => [c.by, c.cell ?? `row ${c.row}`, c.before, c.after]), [
    ["email_domain_typo", "B4", "ana@gmial.com", "ana@gmail.com"],
    ["enum_case", "C4", "merit", "Merit"],
    ["drop_duplicate_rows", "row 6", null, null],
    ["edit", "C4", "Merit", "Distinction"],
    ["edit", "B7", "cy@", "cy@example.org"],
  ]);
  // The corrected roster reads back with no finding.
  const again = success(conferral.analyze(fixed.bytes, fixed.fileName, small)).report;
  assert.deepEqual(again.findings, []);
  // Without fixes, the edits alone; an edit outside the roster is the caller's failure.
  const only = success(conferral.applyFixes(given, "roster.csv", small, [], { edits: [edits[0]] }));
  assert.deepEqual(only.changes.map((c) => c.cell), ["B7"]);
  assert.deepEqual([...only.sourceRows], [4, 5, 6, 7]);
  const outside = conferral.applyFixes(given, "roster.csv", small, [], { edits: [{ row: 4, column: "Q", text: "x" }] });
  assert.equal(outside.type, "failure");
  assert.equal(outside.errors[0].code, "invalid_value");
  assert.match(outside.errors[0].message, /Q4 is past the roster's last column, C/);
  assert.throws(() => conferral.applyFixes(given, "roster.csv", small, [], { edits: [{ row: "four" }] }), { code: "invalid_argument" });
});
