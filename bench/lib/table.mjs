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
  defined: "SDK module evaluated",
  wasm: "SDK wasm downloaded",
  connected: "hub ready (handshake)",
  assertion: "partner assertion back",
  token: "token in hand",
  rendered: "form rendered with data",
};

function sizeRows({ hub, sdkCore, widget, sdkFull, anchors }) {
  return [
    ["size", "hub (wasm + glue)", size(hub), "target ≤ 40 KB gz", verdict(hub.gzip <= 40_000)],
    ["size", "SDK core (wasm + JS)", size(sdkCore), "target ≤ 25 KB gz", verdict(sdkCore.gzip <= 25_000)],
    ["size", "SDK widget (difference)", size(widget), "target ≤ 25 KB gz", verdict(widget.gzip <= 25_000)],
    ["size", "SDK core + widget", size(sdkFull), "", ""],
    ...anchors.map((a) => ["size", `${a.name} ${a.version}`, size(a), a.files[0].replace(/^node_modules\//, ""), "anchor"]),
  ];
}

function rpcRows({ sdk, penpal }) {
  const line = (r) => `p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, mean ${ms(r.mean)}`;
  const p50 = sdk.p50 / penpal.p50;
  const mean = sdk.mean / penpal.mean;
  return [
    ["rpc", `SDK getToken (${int(sdk.calls)} calls)`, line(sdk), "target p50 ≤ 1 ms", verdict(sdk.p50 <= 1)],
    ["rpc", `penpal call (${int(penpal.calls)} calls)`, line(penpal), "anchor", "anchor"],
    ["rpc", "SDK ÷ penpal", `p50 ${p50.toFixed(2)}×, mean ${mean.toFixed(2)}×`, "target ≤ 1×", verdict(p50 <= 1 && mean <= 1)],
  ];
}

function coldRows({ loads, stages }) {
  return STAGES.map((s) => {
    const last = s === "rendered";
    return [
      "cold",
      `${STAGE_NAMES[s]}${last ? ` (${loads} loads)` : ""}`,
      `p50 ${ms(stages[s].p50)}, p95 ${ms(stages[s].p95)}`,
      last ? "target p50 ≤ 300 ms" : "since the script tag",
      last ? verdict(stages[s].p50 <= 300) : "",
    ];
  });
}

const rate = (r) => `${int(r.rate)}/s (p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)})`;
const failed = (r) => (r.failed ? `, ${int(r.failed)} FAILED` : "") + (r.exhausted ? ", ran out of assertions" : "");

function serverRows(load, micro) {
  const base = load[0];
  const rows = [
    ["server", `token endpoint (${int(base.users)} users, 1 partner)`, rate(base.token) + failed(base.token), "target ≥ 5,000/s", verdict(base.token.rate >= 5000 && !base.token.failed)],
    ["server", `API GET record (${int(base.users)} users, 1 partner)`, rate(base.api) + failed(base.api), "target ≥ 15,000/s", verdict(base.api.rate >= 15_000 && !base.api.failed)],
  ];
  if (micro) {
    for (const [id, name] of MICRO) rows.push(["server", name, `${micro[id] < 1 ? micro[id].toFixed(3) : micro[id].toFixed(1)} µs`, "criterion median", ""]);
  }
  return rows;
}

function scalingRows(load) {
  const base = load[0];
  const rows = load.map((c) => [
    "scaling",
    `${int(c.users)} users, ${int(c.partners)} partner${c.partners === 1 ? "" : "s"}`,
    `token ${int(c.token.rate)}/s${failed(c.token)}, API ${int(c.api.rate)}/s${failed(c.api)}`,
    `load ${c.loadavg.toFixed(1)}${c.seedSecs >= 1 ? `, seeded in ${c.seedSecs.toFixed(0)} s` : ""}`,
    "",
  ]);
  const largest = load.at(-1);
  for (const kind of ["token", "api"]) {
    const worst = load.reduce((w, c) => (c[kind].rate < w[kind].rate ? c : w));
    const ratio = largest[kind].rate / base[kind].rate;
    rows.push([
      "scaling",
      `${kind === "token" ? "token endpoint" : "API GET"}: largest ÷ smallest`,
      `${ratio.toFixed(2)} (slowest cell ${(worst[kind].rate / base[kind].rate).toFixed(2)})`,
      "target ≥ 0.80",
      verdict(ratio >= 0.8),
    ]);
  }
  return rows;
}

/** Renders every section present in `results` as one aligned table. */
export function table(results) {
  const rows = [["section", "measure", "value", "beside", "verdict"]];
  if (results.size) rows.push(...sizeRows(results.size));
  if (results.rpc) rows.push(...rpcRows(results.rpc));
  if (results.cold) rows.push(...coldRows(results.cold));
  if (results.load && results.sections.includes("server")) rows.push(...serverRows(results.load, results.micro));
  if (results.load && results.sections.includes("scaling")) rows.push(...scalingRows(results.load));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
