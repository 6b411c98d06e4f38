// Every fixture roster gives, through the WebAssembly package, the JSON the CLI prints.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import * as conferral from "conferral";

const fixtures = fileURLToPath(new URL("../../tests/fixtures/rosters/", import.meta.url));
const cli = process.env.CONFERRAL_CLI;

function cliReport(roster, groupPath, options, preview = 0) {
  const args = ["analyze", roster, "--group", groupPath, "--records", "--json"];
  if (preview) args.push("--preview", String(preview));
  if (options.sheet) args.push("--sheet", options.sheet);
  if (options.header_row) args.push("--header-row", String(options.header_row));
  if (options.mapping) {
    const file = join(mkdtempSync(join(tmpdir(), "conferral-")), "mapping.json");
    writeFileSync(file, JSON.stringify(options.mapping));
    args.push("--mapping", file);
  }
  let stdout;
  let status = 0;
  try {
    stdout = execFileSync(cli, args, { maxBuffer: 1 << 28 });
  } catch (e) {
    if (typeof e.status !== "number") throw e; // the CLI did not run at all
    stdout = e.stdout; // exit 1 (errors found) or 2 (the file was refused) still print JSON
    status = e.status;
  }
  return { report: JSON.parse(stdout.toString("utf8")), status };
}

// The exit status the CLI gives for what the package returned: 2 when the file was refused,
// 1 when the report has error findings, 0 otherwise.
function statusOf(result) {
  if (result.type !== "success") return 2;
  return result.report.summary.errors > 0 ? 1 : 0;
}

const folders = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

test("there are fixtures, and the CLI to compare with", () => {
  assert.ok(cli, "CONFERRAL_CLI is not set; run the tests through `make wasm-package`");
  assert.ok(folders.length >= 10, `only ${folders.length} fixture folders`);
});

for (const name of folders) {
  test(`parity: ${name}`, () => {
    const folder = join(fixtures, name);
    const roster = join(folder, readdirSync(folder).find((f) => f.startsWith("roster.")));
    const groupPath = join(folder, "group.json");
    const optionsPath = join(folder, "options.json");
    const options = existsSync(optionsPath) ? JSON.parse(readFileSync(optionsPath, "utf8")) : {};
    const { report: expected, status } = cliReport(roster, groupPath, options);
    const result = conferral.analyze(new Uint8Array(readFileSync(roster)), basename(roster), readFileSync(groupPath, "utf8"), {
      sheet: options.sheet ?? null,
      headerRow: options.header_row ?? null,
      mapping: options.mapping ?? null,
    });
    const got = result.type === "success" ? result.report : { error: { kind: result.errors[0].code, message: result.errors[0].message } };
    assert.deepStrictEqual(got, expected);
    assert.equal(status, statusOf(result), "the CLI's exit status");
  });
}

// The preview grid's rows, too, are the CLI's.
for (const name of ["hr_export_german", "two_row_header_xlsx", "ods_second_sheet", "ragged_rows"]) {
  test(`parity with a preview: ${name}`, () => {
    const folder = join(fixtures, name);
    const roster = join(folder, readdirSync(folder).find((f) => f.startsWith("roster.")));
    const groupPath = join(folder, "group.json");
    const { report: expected, status } = cliReport(roster, groupPath, {}, 20);
    const result = conferral.analyze(new Uint8Array(readFileSync(roster)), basename(roster), readFileSync(groupPath, "utf8"), { preview: 20 });
    assert.equal(result.type, "success");
    assert.ok(result.report.preview.length > 0);
    assert.deepStrictEqual(result.report, expected);
    assert.equal(status, statusOf(result), "the CLI's exit status");
  });
}

// Suggested fixes: the fixture with one of each gives, through the package, the corrected
// roster the CLI's `analyze --fix CODE,... --output FILE` writes, byte for byte, and the
// report it prints.
for (const [codes, format] of [["all", "csv"], ["enum_case,email_domain_typo", "csv"], ["join_name", "csv"], ["all", "xlsx"]]) {
  test(`parity of applied fixes: ${codes} as ${format}`, () => {
    const folder = join(fixtures, "suggested_fixes");
    const roster = join(folder, "roster.csv");
    const groupPath = join(folder, "group.json");
    const output = join(mkdtempSync(join(tmpdir(), "conferral-")), `fixed.${format}`);
    let stdout;
    try {
      stdout = execFileSync(cli, ["analyze", roster, "--group", groupPath, "--fix", codes, "--output", output, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      if (typeof e.status !== "number") throw e;
      assert.equal(e.status, 1, e.stderr.toString());
      stdout = e.stdout;
    }
    const result = conferral.applyFixes(new Uint8Array(readFileSync(roster)), "roster.csv", readFileSync(groupPath, "utf8"), codes.split(","), { format });
    assert.equal(result.type, "success", JSON.stringify(result.errors));
    assert.deepStrictEqual(Buffer.from(result.bytes), readFileSync(output));
    assert.equal(result.fileName, `roster-fixed.${format}`);
    assert.deepStrictEqual(result.report, JSON.parse(stdout.toString("utf8")));
  });
}
