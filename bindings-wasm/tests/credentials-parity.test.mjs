// The credentials module gives the verification the CLI's `verify --json` prints, for every
// committed signed fixture with and without the status list, for a tampered copy and for files
// that are not credentials. The CLI checks dates against the current time, so the module is
// called without `now` (the current time too); no fixture's checks change within the seconds
// between the two.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { verifyCredential } from "conferral/credentials";

const fixtures = fileURLToPath(new URL("../../tests/fixtures/credentials/", import.meta.url));
const cli = process.env.CONFERRAL_CLI;
const scratch = mkdtempSync(join(tmpdir(), "conferral-credentials-"));

// The CLI's JSON and exit status: 0 valid, 1 not valid, 2 not a credential (an error object).
function cliVerify(file, statusList) {
  const args = ["verify", "--json", file];
  if (statusList) args.push("--status-list", statusList);
  try {
    return { json: JSON.parse(execFileSync(cli, args).toString("utf8")), status: 0 };
  } catch (e) {
    if (typeof e.status !== "number") throw e; // the CLI did not run at all
    return { json: JSON.parse(e.stdout.toString("utf8")), status: e.status };
  }
}

function moduleVerify(file, statusList) {
  const options = statusList ? { statusList: readFileSync(statusList, "utf8") } : {};
  return verifyCredential(readFileSync(file, "utf8"), options);
}

function written(name, text) {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

const list = join(fixtures, "status-list.json");
const signed = readdirSync(fixtures).filter((f) => f.endsWith(".json")).sort();
const tampered = JSON.parse(readFileSync(join(fixtures, "credential.json"), "utf8"));
tampered.credentialSubject.achievement.name = "Something else";

const cases = [
  ...signed.flatMap((name) => [
    [name, join(fixtures, name), null],
    [`${name} with the status list`, join(fixtures, name), list],
  ]),
  ["a tampered copy", written("tampered.json", JSON.stringify(tampered, null, 2)), list],
  ["an object that is no credential", written("empty.json", "{}"), null],
];

test("there are fixtures, and the CLI to compare with", () => {
  assert.ok(cli, "CONFERRAL_CLI is not set; run the tests through `make wasm-package`");
  assert.deepEqual(signed, ["credential.json", "revoked.json", "status-list.json"]);
});

for (const [name, file, statusList] of cases) {
  test(`parity: ${name}`, () => {
    const { json, status } = cliVerify(file, statusList);
    const result = moduleVerify(file, statusList);
    assert.equal(result.type, "success", JSON.stringify(result));
    assert.deepEqual(result.verification, json);
    assert.equal(status, json.valid ? 0 : 1);
  });
}

for (const [name, text] of [
  ["text that is not JSON", "not json"],
  ["JSON that is not an object", "[1, 2]"],
]) {
  test(`parity: ${name} is refused with the CLI's error`, () => {
    const file = written("refused.json", text);
    const { json, status } = cliVerify(file, null);
    assert.equal(status, 2);
    const result = moduleVerify(file, null);
    assert.equal(result.type, "failure");
    assert.deepEqual(result.errors, [{ code: json.error.kind, message: json.error.message }]);
  });
}

test("parity: a status list that is not JSON is refused as the CLI refuses it", () => {
  const notJson = written("list.json", "{oops");
  const { json, status } = cliVerify(join(fixtures, "credential.json"), notJson);
  assert.equal(status, 2);
  const result = moduleVerify(join(fixtures, "credential.json"), notJson);
  assert.equal(result.type, "failure");
  assert.equal(result.errors[0].code, json.error.kind);
  // The CLI names the file; the module, which was given no file, does not.
  assert.match(json.error.message, /^the status list `.*` is not JSON: /);
  assert.match(result.errors[0].message, /^the status list is not JSON: /);
  assert.equal(result.errors[0].message.split(" is not JSON: ")[1], json.error.message.split(" is not JSON: ")[1]);
});
