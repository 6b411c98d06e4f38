// The live credential in Debian's Chromium: a roster issued and delivered to the file outbox
// by the CLI, the link taken from a delivered .eml, and the page `conferral serve` gives for it
// (verified, shared, revoked, keyboard only), and the check-a-file page on a tampered copy.
// axe-core checks every page the server gives (WCAG 2.1 A and AA, and best practices), in the
// light and the dark scheme. Screenshots land in target/e2e-screenshots/.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { assertAccessible } from "./axe.mjs";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const shots = here("../../target/e2e-screenshots/");
const cli = process.env.CONFERRAL_CLI;
const dir = mkdtempSync(join(tmpdir(), "conferral-e2e-credential-"));
const ANALYTICS_TOKEN = "e2e-analytics-token";
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];

let browser;
let server;
let origin;
let link;
let db;

/** A port no one listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function run(...args) {
  return execFileSync(cli, args, { encoding: "utf8" });
}

/** The body of an .eml file, quoted-printable decoded. */
function emailText(file) {
  const raw = readFileSync(file, "latin1").replace(/=\r?\n/g, "");
  return Buffer.from(raw.replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), "latin1")
    .toString("utf8");
}

before(async () => {
  assert.ok(cli, "CONFERRAL_CLI is not set; run the tests through `make e2e`");
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const base = `${origin}/c`;
  db = join(dir, "store.db");
  writeFileSync(join(dir, "group.json"), JSON.stringify({
    name: "Data Science Bootcamp 2026",
    issuer: { name: "Example Academy", url: "https://academy.example.org" },
    achievement: { description: "Twelve weeks of statistics and Python.", criteria: "Pass the final project." },
  }));
  writeFileSync(join(dir, "roster.csv"),
    "Name,Email,Issue Date,Expiry Date\nAna López,ana@example.org,2026-03-02,2036-03-02\n" +
    "\"<img src=x onerror=alert(1)> محمد\",mo@example.org,2026-03-02,\n");
  run("key", "new", "--out", join(dir, "key.json"));
  run("issue", join(dir, "roster.csv"), "--group", join(dir, "group.json"), "--db", db, "--publish", "--base-url", base);
  run("deliver", "--db", db, "--outbox", join(dir, "outbox"), "--base-url", base);
  const emails = readdirSync(join(dir, "outbox")).filter((f) => f.endsWith(".eml"));
  assert.equal(emails.length, 2);
  const ana = emails.map((f) => emailText(join(dir, "outbox", f))).find((t) => t.includes("Ana L"));
  link = ana.match(new RegExp(`${base}/[A-Za-z0-9_-]+`))?.[0];
  assert.ok(link, "the email holds the credential's link");

  server = spawn(cli, ["serve", "--db", db, "--key", join(dir, "key.json"), "--listen", `127.0.0.1:${port}`,
    "--base-url", base, "--rate", "1000", "--burst", "1000"], {
    stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CONFERRAL_ANALYTICS_TOKEN: ANALYTICS_TOKEN },
  });
  await new Promise((resolve, reject) => {
    server.once("exit", (code) => reject(new Error(`conferral serve exited with ${code}`)));
    server.stdout.on("data", (chunk) => { if (chunk.toString().includes("serving on")) resolve(); });
  });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

test("the email's link opens a verified page with the recipient, dates and sharing", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const response = await page.goto(link);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"], /script-src 'self'/);
  assert.equal(await page.locator("h1").innerText(), "Data Science Bootcamp 2026");
  assert.equal(await page.locator(".recipient strong").innerText(), "Ana López");
  assert.equal(await page.locator("#standing-title").innerText(), "Valid");
  assert.match(await page.locator(".facts").innerText(), /2 March 2026[\s\S]*2 March 2036/);
  // The script ran under the policy: the copy button is shown.
  assert.equal(await page.locator("button[data-copy]").isVisible(), true);
  assert.equal(await page.locator("#credential-link").inputValue(), link);
  // Sharing goes through the server's redirect to LinkedIn's form, every field filled in.
  const share = await page.locator("a", { hasText: "Add to LinkedIn profile" }).getAttribute("href");
  assert.equal(share, `${link}/linkedin`);
  const redirect = await fetch(share, { redirect: "manual" });
  assert.equal(redirect.status, 303);
  const target = new URL(redirect.headers.get("location"));
  assert.equal(target.origin + target.pathname, "https://www.linkedin.com/profile/add");
  assert.deepEqual(Object.fromEntries(target.searchParams), {
    startTask: "CERTIFICATION_NAME", name: "Data Science Bootcamp 2026", organizationName: "Example Academy",
    issueYear: "2026", issueMonth: "3", expirationYear: "2036", expirationMonth: "3",
    certUrl: link, certId: link.split("/").pop(),
  });
  // The signed document is there to download and verifies with the CLI.
  const json = await page.locator("a", { hasText: "Signed credential" }).getAttribute("href");
  const document = await (await fetch(json)).text();
  writeFileSync(join(dir, "ana.json"), document);
  writeFileSync(join(dir, "list.json"), await (await fetch(`${origin}/c/status/0`)).text());
  const report = JSON.parse(run("verify", join(dir, "ana.json"), "--status-list", join(dir, "list.json"), "--json"));
  assert.equal(report.valid, true);
  // The certificate is drawn, and its PDF holds the name as text.
  const image = page.locator("figure.certificate img");
  await image.waitFor();
  assert.ok(await image.evaluate((img) => img.complete && img.naturalWidth > 1000), "the certificate image loads");
  const pdf = await page.locator("a", { hasText: "PDF" }).getAttribute("href");
  writeFileSync(join(dir, "ana.pdf"), Buffer.from(await (await fetch(pdf)).arrayBuffer()));
  const text = execFileSync("pdftotext", [join(dir, "ana.pdf"), "-"], { encoding: "utf8" });
  assert.match(text, /Ana López/);
  assert.match(text, /Data Science Bootcamp 2026/);
  await assertAccessible(page, "the valid credential's page");
  await page.screenshot({ path: join(shots, "credential-valid.png"), fullPage: true });
  for (const width of [390, 320]) {
    await page.setViewportSize({ width, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, `no sideways scroll at ${width} px`);
  }
  await page.screenshot({ path: join(shots, "credential-320.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a keyboard reaches every control, each with a visible focus ring", async () => {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  await page.goto(link);
  const reached = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { tag: el.tagName, text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim(),
        ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 };
    });
    if (focused.tag === "BODY") break;
    assert.ok(focused.ring, `focus is visible on ${focused.tag} ${focused.text}`);
    reached.push(focused.tag === "INPUT" ? "link" : focused.text.split("\n")[0]);
  }
  assert.deepEqual(reached.filter((r) => r !== "Every check"),
    ["Certificate PDF", "Certificate PNG image", "Signed credential Open Badges JSON", "Add to LinkedIn profile", "link",
      "Copy link"]);
  // Back to the copy button (the loop tabbed past it), and Enter presses it.
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.copy), "credential-link");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector(".copied").textContent !== "");
  assert.equal(await page.locator(".copied").innerText(), "Link copied.");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  await context.close();
});

test("a hostile name is text on its page", async () => {
  const page = await browser.newPage();
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  const ids = readdirSync(join(dir, "outbox")).map((f) => emailText(join(dir, "outbox", f)))
    .map((t) => t.match(/\/c\/([A-Za-z0-9_-]{22})/)?.[1]).filter(Boolean);
  const other = ids.find((id) => !link.endsWith(id));
  await page.goto(`${origin}/c/${other}`);
  assert.equal(await page.locator(".recipient strong").innerText(), "<img src=x onerror=alert(1)> محمد");
  // The only image is the certificate; the name's markup made none.
  assert.equal(await page.locator("main img").count(), 1);
  assert.match(await page.locator("main img").getAttribute("src"), /\.png$/);
  await assertAccessible(page, "the hostile, right-to-left name's page");
  assert.deepEqual(dialogs, []);
  await page.screenshot({ path: join(shots, "credential-hostile.png"), fullPage: true });
  await page.close();
});

test("views, downloads and shares done in the browser appear in stats", async () => {
  const before = JSON.parse(run("stats", "--db", db, "--json")).batches.find((b) => b.issued > 0);
  const context = await browser.newContext({ acceptDownloads: true, userAgent: "conferral-e2e-stats" });
  // LinkedIn is not reachable here: the browser's trip there is answered locally.
  await context.route("https://www.linkedin.com/**", (route) => route.fulfill({ status: 200, body: "LinkedIn" }));
  const page = await context.newPage();
  await page.goto(link);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("a", { hasText: "Signed credential" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.json$/);
  await page.locator("a", { hasText: "Add to LinkedIn profile" }).click();
  await page.waitForURL(/linkedin\.com/);
  await context.close();
  const after = JSON.parse(run("stats", "--db", db, "--json")).batches.find((b) => b.issued > 0);
  assert.equal(after.views, before.views + 1, "a new visitor's view");
  assert.equal(after.downloads, before.downloads + 1);
  assert.equal(after.shares, before.shares + 1);
  assert.ok(after.viewed >= 1 && after.view_rate > 0);
  assert.equal(after.issued, 2);
  assert.equal(after.delivered, 2);
});

test("revoking shows on reload with the reason, and a tampered file is called tampered", async () => {
  const id = link.split("/").pop();
  run("revoke", id, "--db", db, "--reason", "Issued in error");
  const page = await browser.newPage();
  await page.goto(link);
  assert.equal(await page.locator("#standing-title").innerText(), "Revoked");
  assert.match(await page.locator(".reason").innerText(), /Issued in error/);
  await assertAccessible(page, "the revoked credential's page");
  await page.screenshot({ path: join(shots, "credential-revoked.png"), fullPage: true });

  const tampered = JSON.parse(readFileSync(join(dir, "ana.json"), "utf8"));
  tampered.credentialSubject.identifier[1].identityHash = "Mallory";
  writeFileSync(join(dir, "tampered.json"), JSON.stringify(tampered));
  await page.goto(`${origin}/verify`);
  await assertAccessible(page, "the check-a-file page");
  await page.locator("#credential-file").setInputFiles(join(dir, "tampered.json"));
  await page.locator("button", { hasText: "Check" }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator(".standing h2").innerText(), "Tampered");
  await assertAccessible(page, "the check-a-file page after a check");
  await page.screenshot({ path: join(shots, "credential-tampered.png"), fullPage: true });
  await page.close();
});

test("an unknown link gets the not-found page", async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${origin}/c/AAAAAAAAAAAAAAAAAAAAAA`);
  assert.equal(response.status(), 404);
  assert.equal(await page.locator("h1").innerText(), "Credential not found");
  await assertAccessible(page, "the not-found page");
  await page.close();
});

test("the analytics page gives the figures to the token's holder", async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${ANALYTICS_TOKEN}` } });
  const page = await context.newPage();
  const response = await page.goto(`${origin}/analytics`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator("h1").innerText(), "Analytics");
  // The daily chart is there: the views and deliveries above made it.
  assert.equal(await page.locator("svg.chart").count(), 1);
  await assertAccessible(page, "the analytics page");
  await page.screenshot({ path: join(shots, "analytics.png"), fullPage: true });
  await context.close();
});
