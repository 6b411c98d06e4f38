// Records kept in WebAssembly memory (`records: "handle"`) give exactly what the report's
// inline `records` (`records: true`) gives, on every fixture roster: each record, each
// column, the whole array, and the clean CSV.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import * as conferral from "conferral";

const fixtures = fileURLToPath(new URL("../../tests/fixtures/rosters/", import.meta.url));
const folders = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

function analyzeFixture(name, records) {
  const folder = join(fixtures, name);
  const roster = join(folder, readdirSync(folder).find((f) => f.startsWith("roster.")));
  const groupText = readFileSync(join(folder, "group.json"), "utf8");
  const optionsPath = join(folder, "options.json");
  const options = existsSync(optionsPath) ? JSON.parse(readFileSync(optionsPath, "utf8")) : {};
  const result = conferral.analyze(new Uint8Array(readFileSync(roster)), basename(roster), groupText, {
    sheet: options.sheet ?? null,
    headerRow: options.header_row ?? null,
    mapping: options.mapping ?? null,
    records,
  });
  return { result, groupText };
}

/** What `records.column(key)` should give, from the inline records. */
function expectedColumn(inline, key) {
  const values = inline.map((r) => (key in r.values ? r.values[key] : null));
  const numbers = values.some((v) => v !== null) && values.every((v) => v === null || typeof v === "number");
  return numbers ? Float64Array.from(values, (v) => (v === null ? Number.NaN : v)) : values;
}

// Value kinds the fixtures must cover between them, so that every conversion is compared.
const kinds = new Set();

for (const name of folders) {
  test(`records handle: ${name}`, () => {
    const { result: inline, groupText } = analyzeFixture(name, true);
    const { result: handled } = analyzeFixture(name, "handle");
    assert.equal(handled.type, inline.type);
    if (inline.type !== "success") return;
    const { records: expected, ...rest } = inline.report;
    // The report is the same but for its records, which come beside it.
    assert.deepStrictEqual(handled.report, rest);
    const { records } = handled;
    assert.ok(records instanceof conferral.Records);
    assert.equal(records.length, expected.length);
    assert.deepStrictEqual(records.toJSON(), expected);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(records)), expected);
    assert.deepStrictEqual([...records.rowNumbers()], expected.map((r) => r.row));
    expected.forEach((record, i) => {
      assert.deepStrictEqual(records.get(i), record);
      assert.equal(records.indexOf(record.row), i);
      for (const value of Object.values(record.values)) kinds.add(typeof value);
    });
    assert.equal(records.get(expected.length), undefined);
    const keys = records.keys;
    assert.deepStrictEqual(keys, [...keys].sort());
    for (const record of expected) for (const key of Object.keys(record.values)) assert.ok(keys.includes(key), key);
    for (const key of keys) assert.deepStrictEqual(records.column(key), expectedColumn(expected, key), key);
    assert.equal(records.column("no such attribute"), undefined);
    // The clean CSV, byte for byte, from the handle as from the inline records.
    const fromInline = conferral.recordsCsv(groupText, inline.report);
    assert.deepStrictEqual(conferral.recordsCsv(groupText, handled.report, records), fromInline);
    assert.deepStrictEqual(records.csv(groupText, handled.report), fromInline);
    records.free();
  });
}

test("the fixtures hold records of every value kind", () => {
  assert.deepStrictEqual([...kinds].sort(), ["boolean", "number", "string"]);
});

const group = {
  name: "Bootcamp",
  attributes: [
    { key: "hours", label: "Course Hours", type: "number", required: true },
    { key: "passed", label: "Passed", type: "boolean" },
    { key: "issued_on", label: "Issue Date", type: "date" },
  ],
};
const roster = new TextEncoder().encode(
  "Name,Email,Course Hours,Passed,Issue Date\nAna López,ana@example.org,12.5,yes,2026-03-01\nBo Chen,bo@example.org,40,,\nCy,cy@,x,no,\n",
);

test("a handle's columns: numbers as a Float64Array (NaN where none), others as values (null where none)", () => {
  const { records, report } = conferral.analyze(roster, "roster.csv", group, { records: "handle", rows: true });
  assert.equal(report.records, undefined);
  assert.deepStrictEqual([...records.rowNumbers()], [2, 3]);
  assert.deepStrictEqual(records.column("hours"), Float64Array.of(12.5, 40));
  assert.deepStrictEqual(records.column("passed"), [true, null]);
  assert.deepStrictEqual(records.column("issued_on"), ["2026-03-01", null]);
  assert.deepStrictEqual(records.column("email"), ["ana@example.org", "bo@example.org"]);
  const inline = conferral.analyze(roster, "roster.csv", group).report.records;
  assert.deepStrictEqual(records.get(1), inline[1]);
  assert.equal(records.get(1).values.hours, 40);
  assert.equal(records.indexOf(4), undefined);
  records.free();
});

test("records: false and the default are as before; other values are misuse", () => {
  const none = conferral.analyze(roster, "roster.csv", group, { records: false });
  assert.equal(none.records, undefined);
  assert.equal(none.report.records, undefined);
  const inline = conferral.analyze(roster, "roster.csv", group);
  assert.equal(inline.records, undefined);
  assert.equal(inline.report.records.length, 2);
  assert.throws(() => conferral.analyze(roster, "roster.csv", group, { records: "handles" }), { code: "invalid_argument", message: /records is true, false or "handle"/ });
  assert.throws(() => conferral.recordsCsv(group, inline.report, { csv: 1 }), { code: "invalid_argument" });
});

test("a freed handle throws when used, and the module carries on", () => {
  const { records, report } = conferral.analyze(roster, "roster.csv", group, { records: "handle" });
  records.free();
  for (const use of [() => records.length, () => records.get(0), () => records.column("hours"), () => records.toJSON(), () => records.rowNumbers(), () => conferral.recordsCsv(group, report, records)]) {
    assert.throws(use, Error);
  }
  const again = conferral.analyze(roster, "roster.csv", group, { records: "handle" });
  assert.equal(again.records.length, 2);
  again.records.free();
});
