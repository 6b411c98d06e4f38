// Compiled with `tsc --noEmit` by the test command: the credentials module's generated
// declarations must type its API as users write it, results narrowed on `type`.
import { keyDid, keyFromSeed, signCredential, verifyCredential, type Check, type Credential, type KeyFile, type Verification } from "conferral/credentials";

declare const credential: Credential;
declare const statusList: string;

const result = verifyCredential(credential);
if (result.type === "success") {
  const verification: Verification = result.verification;
  const failed: Check[] = verification.checks.filter((c) => c.outcome === "failed");
  console.log(verification.valid, failed.map((c) => `${c.check}: ${c.reason}`));
} else {
  for (const e of result.errors) console.log(e.code, e.message);
}
verifyCredential(JSON.stringify(credential), { statusList, now: new Date() });
verifyCredential(credential, { statusList: JSON.parse(statusList) as Credential, now: "2026-03-20T12:00:00Z" });

const made = keyFromSeed(crypto.getRandomValues(new Uint8Array(32)));
if (made.type === "success") {
  const keyFile: KeyFile = made.keyFile;
  const did = keyDid(keyFile);
  if (did.type === "success") console.log(did.did === made.did);
  const signed = signCredential(credential, JSON.stringify(keyFile), "2026-03-02T11:00:00Z");
  if (signed.type === "success") console.log(signed.credential["proof"]);
  signCredential(credential, keyFile);
}
