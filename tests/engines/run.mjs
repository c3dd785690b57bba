// The product's core flows in the three browser engines users run — Chromium, Firefox
// and WebKit — each with its default storage partitioning on, across really distinct
// sites (abc.localhost, example2.localhost, def.localhost, evil.localhost embedding
// sso.localhost). The Playwright suite (tests/e2e) runs in Chromium only; what a
// partner's users see in Firefox and Safari is decided by how those engines partition
// third-party storage and answer the Storage Access API, so the same flows run here in
// each of them and the outcome is written down per engine.
//
//   CROSSPASS_SERVER_BIN=target/debug/crosspass node tests/engines/run.mjs <chromium|firefox|webkit|all> [scenario-id ...]
//
// What runs: the real stack (demo/stack.mjs, as tests/e2e/global-setup.mjs starts it:
// free ports, a throwaway data dir, logs in tests/engines/.output/logs) once; then for
// each engine every scenario of scenarios.mjs in a browser of its own (fresh profile,
// so no storage or permission leaks from one scenario into the next):
//   chromium  Debian's Chromium through puppeteer-core (CDP); storage access set over CDP
//   firefox   Firefox ESR through puppeteer-core (WebDriver BiDi); storage access from prefs
//   webkit    WebKitGTK's MiniBrowser with ITP through WebKitWebDriver under xvfb-run
// What the drivers' tools set up unlike users' browsers is undone there (puppeteer's
// popup blockers off, its Firefox profile's cookieBehavior0).
// A scenario an engine cannot run says so (n/a, with the reason). Results go to
// .output/results.json (an engine's result for a scenario run now replaces the earlier
// one; the others are kept), which table.mjs renders as the compatibility table.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withTimeout } from "./drivers/common.mjs";
import { OUTPUT, startEngineStack } from "./stack.mjs";

const ENGINES = ["chromium", "firefox", "webkit"];
const SCENARIO_TIMEOUT_MS = 90_000;
const RESULTS = join(OUTPUT, "results.json");

/**
 * @typedef {object} Result
 * @property {string} engine
 * @property {string} version the browser's own version string
 * @property {string} scenario the scenario's id
 * @property {string} title
 * @property {"passed" | "failed" | "n/a"} outcome
 * @property {string} [reason] why the scenario does not apply
 * @property {string} [error] why it failed
 * @property {string} [detail] what a passing scenario observed (e.g. the storage rung)
 * @property {number} [ms]
 */

function parseEngines(arg) {
  if (arg === "all") return ENGINES;
  if (ENGINES.includes(arg)) return [arg];
  console.error(`usage: node tests/engines/run.mjs <${ENGINES.join("|")}|all> [scenario-id ...]`);
  process.exit(2);
}

/** The first line of an error, and the lines of scenarios.mjs it was thrown through. */
function describe(error) {
  const message = String(error?.message ?? error).split("\n")[0];
  const lines = String(error?.stack ?? "")
    .split("\n")
    .map((l) => /\/tests\/engines\/scenarios\.mjs:(\d+)/.exec(l)?.[1])
    .filter(Boolean);
  return lines.length ? `${message} (scenarios.mjs:${lines.join(" < ")})` : message;
}

/**
 * Runs every scenario in `engine`, each in a browser of its own.
 * @param {string} engine
 * @param {import("./scenarios.mjs").Scenario[]} scenarios
 * @returns {Promise<Result[]>}
 */
async function runEngine(engine, scenarios) {
  const driver = await import(`./drivers/${engine}.mjs`);
  const results = [];
  let version = "unknown";
  try {
    for (const scenario of scenarios) {
      const base = { engine, scenario: scenario.id, title: scenario.title };
      const reason = scenario.na?.[engine];
      if (reason) {
        results.push({ ...base, outcome: "n/a", reason });
        console.log(`${engine} ${scenario.id}: n/a (${reason})`);
        continue;
      }
      const started = Date.now();
      let browser;
      try {
        browser = await withTimeout(driver.launch(scenario.launch), 60_000, `launching ${engine}`);
        version = browser.version;
        // A scenario may say what it observed (the storage rung it ended on).
        const detail = await withTimeout(scenario.run(browser), SCENARIO_TIMEOUT_MS, `scenario ${scenario.id}`);
        results.push({ ...base, outcome: "passed", ...(typeof detail === "string" && { detail }), ms: Date.now() - started });
        console.log(`${engine} ${scenario.id}: passed`);
      } catch (error) {
        results.push({ ...base, outcome: "failed", error: describe(error), ms: Date.now() - started });
        console.log(`${engine} ${scenario.id}: failed`);
        console.log(`  ${describe(error)}`);
      } finally {
        await browser?.close().catch((e) => console.log(`  closing ${engine}: ${e.message}`));
      }
    }
  } finally {
    await driver.shutdown?.();
  }
  return results.map((r) => ({ engine: r.engine, version, ...r }));
}

/**
 * Writes `results` over the earlier entries of the same engine and scenario, in engine
 * and then scenario order (`scenarioIds`; ids no longer in the suite are dropped).
 */
async function save(results, scenarioIds) {
  const key = (r) => `${r.engine} ${r.scenario}`;
  const now = new Set(results.map(key));
  let earlier = [];
  try {
    earlier = JSON.parse(await readFile(RESULTS, "utf8")).filter((r) => !now.has(key(r)));
  } catch {
    // first run
  }
  const rank = (r) => ENGINES.indexOf(r.engine) * scenarioIds.length + scenarioIds.indexOf(r.scenario);
  const all = [...earlier, ...results].filter((r) => scenarioIds.includes(r.scenario)).sort((a, b) => rank(a) - rank(b));
  await mkdir(OUTPUT, { recursive: true });
  await writeFile(RESULTS, JSON.stringify(all, null, 2) + "\n");
}

const engines = parseEngines(process.argv[2]);
const stack = await startEngineStack();
// Interrupted, the servers are stopped all the same (and `exit` handlers stop browsers).
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    console.log(`${signal}: stopping`);
    await stack.stop();
    process.exit(130);
  });
}
const results = [];
let ids = [];
let aborted = 0;
try {
  // Only now: the scenarios read the stack's ports when imported.
  const { SCENARIOS } = await import("./scenarios.mjs");
  ids = SCENARIOS.map((s) => s.id);
  const only = process.argv.slice(3);
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`no scenario ${unknown.join(", ")}`);
  const scenarios = only.length ? SCENARIOS.filter((s) => only.includes(s.id)) : SCENARIOS;
  for (const engine of engines) {
    const started = Date.now();
    const mine = await runEngine(engine, scenarios);
    results.push(...mine);
    const count = (o) => mine.filter((r) => r.outcome === o).length;
    console.log(
      `${engine} (${mine[0]?.version}): ${count("passed")} passed, ${count("failed")} failed, ${count("n/a")} n/a in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
} catch (error) {
  // The suite itself broke (not a scenario): it counts as a failure too.
  console.log(`error: ${error.stack ?? error}`);
  aborted = 1;
} finally {
  await stack.stop();
}
await save(results, ids);
const passed = results.filter((r) => r.outcome === "passed").length;
const failed = results.filter((r) => r.outcome === "failed").length + aborted;
console.log(`engines: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
