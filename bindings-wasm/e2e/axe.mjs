// axe-core for the e2e tests: WCAG 2.1 A and AA and best practices, in the light and the dark
// colour scheme, every violation failing the test with its rule, impact and elements.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/**
 * Runs axe-core on the page as it stands, in the light and then the dark colour scheme, and
 * fails with every violation (its id, impact and nodes). The script goes in through the
 * DevTools protocol (`page.evaluate`), which the page's Content-Security-Policy does not
 * govern, so a server's headers are tested as they are served.
 */
export async function assertAccessible(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  // What a click would unfold is checked too.
  await page.evaluate(() => { for (const d of document.querySelectorAll("details")) d.open = true; });
  const found = [];
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async (tags) => {
      const results = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html, summary: n.failureSummary })) }));
    }, AXE_TAGS);
    for (const v of violations) {
      found.push(`${what}, ${colorScheme} scheme: ${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes.map((n) => `    ${n.target}  ${n.html.slice(0, 160)}\n      ${n.summary.replace(/\n\s*/g, " / ")}`).join("\n"));
    }
  }
  await page.emulateMedia({ colorScheme: null });
  assert.equal(found.length, 0, `axe-core found violations:\n${found.join("\n")}`);
}
