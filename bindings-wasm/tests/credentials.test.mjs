// The credentials module (`conferral/credentials`) on Node.js, on the built `nodejs` package:
// the committed signed fixtures verified, keys, signing, and misuse (run by `make wasm-package`).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as conferral from "conferral";
import * as credentials from "conferral/credentials";

const fixtures = new URL("../../tests/fixtures/credentials/", import.meta.url);
const text = (name) => readFileSync(new URL(name, fixtures), "utf8");
const fixture = (name) => JSON.parse(text(name));
// The moment every surface verifies the fixtures at (tests/fixtures/credentials/README.md).
const NOW = "2026-03-20T12:00:00Z";
// The seed the fixtures were signed with (tests/src/bin/vc_interop.rs): a key for tests only.
const SEED = new Uint8Array(32).fill(0x42);
const SIGNED_AT = "2026-03-02T11:00:00Z";

function success(result) {
  assert.equal(result.type, "success", JSON.stringify(result.errors));
  return result;
}

function failure(result, code) {
  assert.equal(result.type, "failure", JSON.stringify(result));
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0].code, code, result.errors[0].message);
  return result.errors[0];
}

const verified = (credential, options) => success(credentials.verifyCredential(credential, options)).verification;
const failed = (verification) => verification.checks.filter((c) => c.outcome === "failed").map((c) => c.check);
const withoutProof = ({ proof, ...document }) => document;

test("the credentials module is apart from the roster module", () => {
  assert.equal(credentials.version(), conferral.version());
  assert.deepEqual(credentials.errorKinds(), conferral.errorKinds());
  assert.equal("analyze" in credentials, false);
  assert.equal("verifyCredential" in conferral, false);
});

test("a credential the core signed verifies with its status list", () => {
  const verification = verified(fixture("credential.json"), { statusList: fixture("status-list.json"), now: NOW });
  assert.equal(verification.valid, true, JSON.stringify(verification));
  assert.deepEqual(verification.checks.map((c) => [c.check, c.outcome]), [
    ["shape", "passed"],
    ["proof", "passed"],
    ["issuer", "passed"],
    ["dates", "passed"],
    ["status", "passed"],
  ]);
  assert.equal(verification.checks[3].reason, "valid from 2026-03-02T00:00:00Z until 2028-03-02T23:59:59Z");
  assert.equal(verification.checks[4].reason, "not revoked (index 3 of the status list)");
  // JSON text, and a Date for the moment, give the same.
  assert.deepEqual(verified(text("credential.json"), { statusList: text("status-list.json"), now: new Date(NOW) }), verification);
  // Without a list the status check cannot be made, which does not make the credential invalid.
  const unlisted = verified(fixture("credential.json"), { now: NOW });
  assert.equal(unlisted.valid, true);
  assert.deepEqual(unlisted.checks[4], { check: "status", outcome: "skipped", reason: "no status list was given, so revocation was not checked" });
  // The moment is the current time by default.
  assert.deepEqual(verified(fixture("credential.json")), verified(fixture("credential.json"), { now: new Date() }));
  assert.deepEqual(verified(fixture("credential.json"), { now: null, statusList: null }), verified(fixture("credential.json")));
});

test("a revoked credential fails its status check, and only it", () => {
  const verification = verified(fixture("revoked.json"), { statusList: fixture("status-list.json"), now: NOW });
  assert.equal(verification.valid, false);
  assert.deepEqual(failed(verification), ["status"]);
  assert.match(verification.checks[4].reason, /^revoked/);
  assert.equal(verified(fixture("revoked.json"), { now: NOW }).valid, true, "its proof and dates still hold");
});

test("a changed value breaks the proof; two years on the credential has expired", () => {
  const tampered = fixture("credential.json");
  tampered.credentialSubject.achievement.name = "Something else";
  const verification = verified(tampered, { statusList: fixture("status-list.json"), now: NOW });
  assert.equal(verification.valid, false);
  assert.deepEqual(failed(verification), ["proof"]);
  const later = verified(fixture("credential.json"), { now: "2029-03-20T12:00:00+01:00" });
  assert.deepEqual(failed(later), ["dates"]);
  assert.equal(later.checks[3].reason, "expired at 2028-03-02T23:59:59Z");
  const early = verified(fixture("credential.json"), { now: new Date("2026-03-01T00:00:00Z") });
  assert.match(early.checks[3].reason, /^not valid before/);
});

test("what is not a credential is a failure or a failed check, never an exception", () => {
  assert.match(failure(credentials.verifyCredential("not json"), "malformed_file").message, /not JSON/);
  assert.match(failure(credentials.verifyCredential("[1, 2]"), "malformed_file").message, /not an object/);
  assert.match(failure(credentials.verifyCredential([1, 2]), "malformed_file").message, /not an object/);
  const list = failure(credentials.verifyCredential(fixture("credential.json"), { statusList: "{oops", now: NOW }), "malformed_file");
  assert.match(list.message, /^the status list is not JSON/);
  // An object is verified, whatever it holds: every check says what is wrong.
  const empty = verified({}, { now: NOW });
  assert.equal(empty.valid, false);
  assert.deepEqual(failed(empty), ["shape", "proof", "issuer"]);
  const junk = verified({ "@context": 5, type: {}, proof: "x", issuer: [], validFrom: "soon" }, { now: NOW });
  assert.equal(junk.valid, false);
  const wrongList = verified(fixture("credential.json"), { statusList: fixture("credential.json"), now: NOW });
  assert.deepEqual(failed(wrongList), ["status"]);
});

test("a key comes from a seed the host draws; a key file's DID is checked", () => {
  const issuer = fixture("credential.json").issuer.id ?? fixture("credential.json").issuer;
  const { keyFile, did } = success(credentials.keyFromSeed(SEED));
  assert.equal(did, issuer);
  assert.deepEqual(Object.keys(keyFile).sort(), ["did", "public_key_multibase", "seed_base64url", "type"]);
  assert.equal(keyFile.type, "Ed25519");
  assert.equal(keyFile.seed_base64url, "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI");
  assert.equal(success(credentials.keyFromSeed(SEED.buffer)).did, did);
  assert.equal(success(credentials.keyDid(keyFile)).did, did);
  assert.equal(success(credentials.keyDid(JSON.stringify(keyFile, null, 2) + "\n")).did, did);
  const other = success(credentials.keyFromSeed(new Uint8Array(32).fill(7))).keyFile;
  assert.match(failure(credentials.keyDid({ ...keyFile, did: other.did }), "invalid_credential").message, /edited or mixed up/);
  assert.match(failure(credentials.keyFromSeed(new Uint8Array(16)), "invalid_credential").message, /32 bytes, not 16/);
  failure(credentials.keyDid("{}"), "invalid_credential");
  failure(credentials.keyDid("not json"), "invalid_credential");
});

test("signing is the core's: the fixtures sign again to the same documents", () => {
  const { keyFile } = success(credentials.keyFromSeed(SEED));
  for (const name of ["credential.json", "revoked.json", "status-list.json"]) {
    const signed = success(credentials.signCredential(withoutProof(fixture(name)), keyFile, SIGNED_AT)).credential;
    assert.deepEqual(signed, fixture(name), name);
  }
  const document = withoutProof(fixture("credential.json"));
  document.credentialSubject.achievement.name = "Night School";
  const created = new Date("2026-04-01T08:30:00Z");
  const { credential } = success(credentials.signCredential(JSON.stringify(document), JSON.stringify(keyFile), created));
  assert.equal(credential.proof.created, "2026-04-01T08:30:00Z");
  assert.equal(verified(credential, { statusList: fixture("status-list.json"), now: NOW }).valid, true);
  // Without `created`, the proof is made now.
  const now = success(credentials.signCredential(document, keyFile)).credential;
  assert.ok(Math.abs(Date.parse(now.proof.created) - Date.now()) < 60_000, now.proof.created);
  assert.match(failure(credentials.signCredential(fixture("credential.json"), keyFile, created), "invalid_credential").message, /already has a `proof`/);
  assert.match(failure(credentials.signCredential("nope", keyFile, created), "malformed_file").message, /^the document is not JSON/);
  failure(credentials.signCredential(document, { ...keyFile, seed_base64url: "AAAA" }, created), "invalid_credential");
});

test("misuse throws, with a code", () => {
  const misuse = (fn, pattern) =>
    assert.throws(fn, (e) => e instanceof Error && e.name === "ConferralError" && e.code === "invalid_argument" && pattern.test(e.message));
  const credential = fixture("credential.json");
  misuse(() => credentials.verifyCredential(42), /credential is an object or JSON text, not number/);
  misuse(() => credentials.verifyCredential(undefined), /credential is an object or JSON text/);
  misuse(() => credentials.verifyCredential(credential, { status_list: {} }), /unknown option `status_list`; the options are statusList, now/);
  misuse(() => credentials.verifyCredential(credential, "now"), /options is an object/);
  misuse(() => credentials.verifyCredential(credential, { now: "yesterday" }), /now `yesterday` is not an RFC 3339 time/);
  misuse(() => credentials.verifyCredential(credential, { now: "2026-03-20" }), /not an RFC 3339 time/);
  misuse(() => credentials.verifyCredential(credential, { now: new Date("never") }), /now is an invalid Date/);
  misuse(() => credentials.verifyCredential(credential, { now: 1774008000000 }), /now is a Date or RFC 3339 text, not number/);
  misuse(() => credentials.verifyCredential(credential, { statusList: 3 }), /statusList is an object or JSON text/);
  misuse(() => credentials.keyFromSeed("0x42"), /seed is a Uint8Array or an ArrayBuffer, not string/);
  misuse(() => credentials.keyDid(7), /keyFile is an object or JSON text/);
  misuse(() => credentials.signCredential(credential, {}, 0), /created is a Date or RFC 3339 text/);
});
