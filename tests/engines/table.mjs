// Renders the engine suite's results (.output/results.json, written by run.mjs) as a
// compatibility table — a row per scenario, a column per engine and version — into the
// block between `<!-- compat:begin -->` and `<!-- compat:end -->` of a markdown file.
//
//   node tests/engines/table.mjs [FILE.md]      (default: the repository's README.md)
//
// The file must already have both markers: where the table goes is the document's
// choice, so a file without them is an error, never edited.
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const BEGIN = "<!-- compat:begin -->";
const END = "<!-- compat:end -->";
const RESULTS = fileURLToPath(new URL("./.output/results.json", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const ENGINES = [
  ["chromium", "Chromium"],
  ["firefox", "Firefox"],
  ["webkit", "WebKitGTK"],
];

/** `156.0.8078.114` out of `Chrome/156.0.8078.114`; the whole string when it has no version. */
const versionOf = (raw) => /\d+(?:\.\d+)+/.exec(raw)?.[0] ?? raw;
/** A table cell's text, with what would break the row escaped. */
const cell = (text) => String(text).replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

/**
 * The markdown table of `results`: scenarios in the order they first appear, engines in
 * a fixed order (those with results only).
 * @param {import("./run.mjs").Result[]} results
 */
export function renderTable(results) {
  const engines = ENGINES.filter(([id]) => results.some((r) => r.engine === id));
  const scenarios = [...new Map(results.map((r) => [r.scenario, r.title])).entries()];
  const header = engines.map(([id, name]) => {
    // A run of n/a scenarios only never launches the browser: its version is unknown.
    const known = results.filter((r) => r.engine === id && r.version !== "unknown");
    const versions = [...new Set(known.map((r) => versionOf(r.version)))];
    return `${name} ${versions.join(", ")}`;
  });
  const outcome = (engine, scenario) => {
    const r = results.find((x) => x.engine === engine && x.scenario === scenario);
    if (!r) return "not run";
    if (r.outcome === "n/a") return `n/a: ${r.reason}`;
    if (r.outcome === "passed") return r.detail ? `passes (${r.detail})` : "passes";
    return "fails";
  };
  const rows = [
    ["Scenario", ...header],
    ["---", ...header.map(() => "---")],
    ...scenarios.map(([id, title]) => [`\`${id}\`: ${title}`, ...engines.map(([e]) => outcome(e, id))]),
  ];
  return rows.map((row) => `| ${row.map(cell).join(" | ")} |`).join("\n");
}

/** `markdown` with the block between the markers replaced by `table`. */
export function replaceBlock(markdown, table) {
  const begin = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  if (begin < 0 || end < 0 || end < begin) return null;
  return `${markdown.slice(0, begin + BEGIN.length)}\n${table}\n${markdown.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ? resolve(process.argv[2]) : README;
  let results;
  try {
    results = JSON.parse(await readFile(RESULTS, "utf8"));
  } catch (e) {
    console.error(`no results to render (${e.message}): run tests/engines/run.mjs first`);
    process.exit(1);
  }
  const updated = replaceBlock(await readFile(file, "utf8"), renderTable(results));
  if (updated === null) {
    console.error(`${file} has no "${BEGIN}" … "${END}" block to put the table in`);
    process.exit(1);
  }
  await writeFile(file, updated);
  console.log(`compatibility table written to ${file}`);
}
