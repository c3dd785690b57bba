// The operations layers under load: (1) what the rate limits, metrics and access log
// cost, as API and token-endpoint throughput with them on beside the same binary with
// them off, measured in turns; (2) an abusive client address hammering the API while a
// well-behaved one, in the same run, keeps being served at its own pace.
import { performance } from "node:perf_hooks";
import { freePort } from "../../demo/stack.mjs";
import { DURATION_SECS, measure, startTarget } from "./server.mjs";
import { log } from "./util.mjs";

/** Limits high enough never to refuse this load, and the metrics recorder on. */
const ON = (admin) => ({
  CROSSPASS_RATE_LIMIT_PER_ADDRESS: "1000000",
  CROSSPASS_RATE_LIMIT_PER_CLIENT: "1000000",
  CROSSPASS_ADMIN_LISTEN: `127.0.0.1:${admin}`,
});
/** The abuse run: a per-address limit, addresses from the proxy header. */
const LIMITED = (admin) => ({
  CROSSPASS_RATE_LIMIT_PER_ADDRESS: "200",
  CROSSPASS_RATE_LIMIT_PER_CLIENT: "0",
  CROSSPASS_RATE_LIMIT_BURST_SECS: "1",
  CROSSPASS_TRUSTED_PROXY_HEADER: "x-forwarded-for",
  CROSSPASS_ADMIN_LISTEN: `127.0.0.1:${admin}`,
});
/** The well-behaved client's pace. */
const POLITE_RPS = 50;

/** GETs the record at `rps` for `secs` from `address`: answers by status, latencies. */
async function polite({ line, internal }, address, secs) {
  const [token, origin] = line.split(" ");
  const statuses = {};
  const latencies = [];
  const end = performance.now() + secs * 1000;
  const inflight = [];
  for (let i = 0; performance.now() < end; i++) {
    const at = performance.now();
    inflight.push(
      fetch(`${internal}/api/v1/me/record`, {
        headers: { authorization: `Bearer ${token}`, origin, "x-forwarded-for": address },
      }).then(async (r) => {
        await r.arrayBuffer();
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        latencies.push(performance.now() - at);
      }),
    );
    const next = at + 1000 / POLITE_RPS;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const sent = latencies.length;
  return { sent, ok: statuses[200] ?? 0, limited: statuses[429] ?? 0, statuses, p50Ms: q(0.5), p99Ms: q(0.99), rate: sent / secs };
}

export async function limitsBench(db, users) {
  const on = await startTarget(db, users, ON(await freePort()));
  const off = await startTarget(db, users, {});
  const out = {};
  try {
    const [tokenOn, tokenOff] = await measure([on, off], "token");
    const [apiOn, apiOff] = await measure([on, off], "api");
    out.overhead = { token: { on: tokenOn, off: tokenOff }, api: { on: apiOn, off: apiOff } };
  } finally {
    await on.stop();
    await off.stop();
  }
  const limited = await startTarget(db, users, LIMITED(await freePort()));
  try {
    const sample = await limited.sample();
    log(`abuse: well-behaved alone at ${POLITE_RPS}/s for ${DURATION_SECS} s`);
    const alone = await polite(sample, "198.51.100.7", DURATION_SECS);
    log("abuse: the same beside wrk from another address");
    const [abusive, beside] = await Promise.all([limited.api("203.0.113.9"), polite(sample, "198.51.100.8", DURATION_SECS)]);
    out.abuse = { limitPerSec: 200, politeRps: POLITE_RPS, alone, beside, abusive };
  } finally {
    await limited.stop();
  }
  return out;
}

const pct = (a, b) => `${(((a - b) / b) * 100).toFixed(1)} %`;
const n0 = (x) => Math.round(x).toLocaleString("en-US");

/** The section as text lines. */
export function limitsText({ overhead: o, abuse: a }) {
  const lines = ["Operations layers (rate limits, metrics recorder, access log)", ""];
  if (o) {
    lines.push("                      layers on      layers off     cost (anchor: <= 10 %)");
    for (const [name, r] of [["token endpoint /s", o.token], ["API reads /s", o.api]]) {
      lines.push(`  ${name.padEnd(20)}${n0(r.on.rate).padStart(10)}     ${n0(r.off.rate).padStart(10)}     ${pct(r.off.rate, r.on.rate)}`);
    }
    lines.push("");
  }
  if (a) {
    lines.push(`Abuse: wrk on the API from one address (limit ${a.limitPerSec}/s), a client at ${a.politeRps}/s from another`);
    lines.push(`  abusive address   ${n0(a.abusive.rate)} answers/s, ${n0(a.abusive.requests - a.abusive.failed)} served, ${n0(a.abusive.failed)} refused (429)`);
    for (const [name, r] of [["polite, alone", a.alone], ["polite, beside", a.beside]]) {
      lines.push(`  ${name.padEnd(18)}${r.rate.toFixed(1)} req/s, ${r.ok} of ${r.sent} served, ${r.limited} refused, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`);
    }
  }
  return lines.join("\n");
}
