// The one table `npm run bench` prints: a row per figure, with what it is measured
// beside (an anchor or a target) and whether the target is met.
import { STAGES } from "./browser.mjs";
import { MICRO } from "./micro.mjs";

const int = (n) => Math.round(n).toLocaleString("en-US");
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const ms = (v) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
const verdict = (ok) => (ok ? "meets" : "MISSES");
const size = ({ raw, gzip }) => `${kb(raw)} raw, ${kb(gzip)} gz`;

const STAGE_NAMES = {
  script: "crosspass.js loaded",
  connected: "hub ready (handshake)",
  assertion: "partner assertion back",
  rendered: "form rendered with data",
};

function sizeRows({ hubFrame, formFrame, sdk, anchors }) {
  const sent = (b) => `${size(b)}; sent ${kb(b.br)} br, ${kb(b.gz)} gzip`;
  return [
    ["size", "partner-page SDK (script tag)", sent(sdk), "target ≤ 5 KB gz", verdict(sdk.gzip <= 5_000 && sdk.br <= 5_000)],
    ["size", "form frame (html, wasm, glue, css)", sent(formFrame), "target ≤ 60 KB gz", verdict(formFrame.gzip <= 60_000)],
    ["size", "hub frame (html, wasm, glue, css)", sent(hubFrame), "", ""],
    ...anchors.map((a) => ["size", `${a.name} ${a.version}`, size(a), a.files[0].replace(/^node_modules\//, ""), "anchor"]),
  ];
}

function rpcRows({ sdk, sdkHub, fetch, hub, api, penpal, penpalFetch, childFetch }) {
  const line = (r) => `p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, mean ${ms(r.mean)}`;
  // A fetch is weighed against what penpal takes to relay a request (its relayed
  // request less the same request made in its frame) plus the API request itself.
  const relay = (k) => penpalFetch[k] - childFetch[k];
  const carrying = { p50: api.p50 + relay("p50"), mean: api.mean + relay("mean") };
  const plain = { p50: penpal.p50 + api.p50, mean: penpal.mean + api.mean };
  const ratio = (r, a = penpal) => `p50 ${(r.p50 / a.p50).toFixed(2)}×, mean ${(r.mean / a.mean).toFixed(2)}×`;
  const meets = (r, a = penpal) => verdict(r.p50 <= a.p50 && r.mean <= a.mean);
  return [
    ["rpc", `SDK getToken, page cache (${int(sdk.calls)} calls)`, line(sdk), "as auth0-spa-js", ""],
    ["rpc", `SDK getToken, cacheMode off (${int(sdkHub.calls)} calls)`, line(sdkHub), "a round trip to the hub", ""],
    ["rpc", `SDK fetch through the hub (${int(fetch.calls)} calls)`, line(fetch), "includes the API request", ""],
    ["rpc", `hub alone, plain JS (${int(hub.calls)} calls)`, line(hub), "same hub, no SDK", ""],
    ["rpc", `API request in XYZ's frame (${int(api.calls)} calls)`, line(api), "what fetch carries, no messaging", ""],
    ["rpc", `penpal call (${int(penpal.calls)} calls)`, line(penpal), "anchor", "anchor"],
    ["rpc", `penpal call relaying a request (${int(penpalFetch.calls)} calls)`, line(penpalFetch), "to its frame's own origin", "anchor"],
    ["rpc", `the same request in penpal's frame (${int(childFetch.calls)} calls)`, line(childFetch), "no messaging", ""],
    ["rpc", "getToken ÷ penpal", ratio(sdk), "target ≤ 1×", meets(sdk)],
    ["rpc", "getToken (cacheMode off) ÷ penpal", ratio(sdkHub), "same call through the frame", meets(sdkHub)],
    ["rpc", "fetch ÷ (API request + penpal's relay)", ratio(fetch, carrying), "target ≤ 1×", meets(fetch, carrying)],
    ["rpc", "fetch ÷ (API request + penpal call)", ratio(fetch, plain), "a relay costing no more than a call", ""],
  ];
}

function coldRows({ loads, stages }, label) {
  return STAGES.map((s) => {
    const last = s === "rendered";
    return [
      "cold",
      `${STAGE_NAMES[s]}${last ? ` (${loads} loads${label})` : ""}`,
      `p50 ${ms(stages[s].p50)}, p95 ${ms(stages[s].p95)}`,
      last ? "target p50 ≤ 250 ms" : "since the script tag",
      last ? verdict(stages[s].p50 <= 250) : "",
    ];
  });
}

const rate = (r) => `${int(r.rate)}/s (p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)})`;
const trouble = (r) => (r.failed ? `, ${int(r.failed)} FAILED` : "") + (r.exhausted ? ", ran out of assertions" : "");

function serverRows({ users, partners, token, api }, micro) {
  const db = `${int(users)} users, ${int(partners)} partner${partners === 1 ? "" : "s"}`;
  const rows = [
    ["server", `token endpoint (${db})`, rate(token) + trouble(token), "target ≥ 5,000/s", verdict(token.rate >= 5000 && !token.failed)],
    ["server", `API GET record (${db})`, rate(api) + trouble(api), "target ≥ 15,000/s", verdict(api.rate >= 15_000 && !api.failed)],
  ];
  if (micro) {
    for (const [id, name] of MICRO) rows.push(["server", name, `${micro[id] < 1 ? micro[id].toFixed(3) : micro[id].toFixed(1)} µs`, "criterion median", ""]);
  }
  return rows;
}

/** Each cell's rate over that of the smallest database, measured in turns with it. */
const ratio = (cell, kind) => cell[kind].rate / cell.baseline[kind].rate;

function scalingRows(cells) {
  const rows = cells.map((c) => [
    "scaling",
    `${int(c.users)} users, ${int(c.partners)} partner${c.partners === 1 ? "" : "s"}`,
    `token ${int(c.token.rate)}/s${trouble(c.token)} (${ratio(c, "token").toFixed(2)}×${trouble(c.baseline.token)}), ` +
      `API ${int(c.api.rate)}/s${trouble(c.api)} (${ratio(c, "api").toFixed(2)}×${trouble(c.baseline.api)})`,
    `× the smallest, beside it${c.seedSecs >= 1 ? `; seeded in ${c.seedSecs.toFixed(0)} s` : ""}`,
    "",
  ]);
  const largest = cells.at(-1);
  for (const [kind, name] of [["token", "token endpoint"], ["api", "API GET"]]) {
    const worst = Math.min(...cells.map((c) => ratio(c, kind)));
    rows.push([
      "scaling",
      `${name}: largest ÷ smallest`,
      `${ratio(largest, kind).toFixed(2)} (lowest cell ${worst.toFixed(2)})`,
      "target ≥ 0.80",
      verdict(ratio(largest, kind) >= 0.8 && !largest[kind].failed && !largest.baseline[kind].failed),
    ]);
  }
  return rows;
}

/** Renders every section present in `results` as one aligned table. */
export function table(results) {
  const rows = [["section", "measure", "value", "beside", "verdict"]];
  if (results.size) rows.push(...sizeRows(results.size));
  if (results.rpc) rows.push(...rpcRows(results.rpc));
  if (results.cold) rows.push(...coldRows(results.cold, ", loopback"));
  if (results.coldThrottled) rows.push(...coldRows(results.coldThrottled, ", Fast 4G: 9 Mbit/s, 40 ms RTT"));
  if (results.server) rows.push(...serverRows(results.server, results.micro));
  if (results.scaling) rows.push(...scalingRows(results.scaling));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
