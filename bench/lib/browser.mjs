// Browser benchmarks: the SDK's round trips (a cached `getToken()`, and `fetch()` carried
// out by the hub) beside penpal's call and penpal relaying a request, and the cold start
// of the form (on loopback and under Chromium's network throttling), in Debian's
// Chromium launched exactly as the e2e suite launches it (storage partitioning on),
// across real distinct sites:
//   http://abc.localhost:A   the partner page (bench/pages) and its assertion endpoint
//   http://sso.localhost:X   the real XYZ server: hub, SDK, token endpoint, API
//   http://sso.localhost:P   the penpal child (the same site as XYZ, another port)
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { launchOptions } from "../../tests/e2e/browser.mjs";
import { freePort } from "../../demo/stack.mjs";
import { mintAssertion, newPartnerKey } from "./jwt.mjs";
import { servePages } from "./pages.mjs";
import { OUTPUT, ROOT, knob, log, percentile } from "./util.mjs";
import { cli, putFirstRecord, redeem, serve, xyzConfig } from "./xyz.mjs";
import { WARMUP } from "../pages/timing.js";

/** What the widget shows once it has loaded (checked on every cold start). */
const RECORD = { company: "ABC Holdings", employees: 120, plan: "team", renewal: "2027-03-01", newsletter: true };

/** Registers partner abc for the page origin, gives alice a record, starts everything. */
async function startSites(dataDir) {
  const xyz = xyzConfig(await freePort(), dataDir);
  const abc = `http://abc.localhost:${await freePort()}`;
  const penpal = `http://sso.localhost:${await freePort()}`;
  const key = newPartnerKey();
  const jwks = join(dataDir, "abc.jwks.json");
  await writeFile(jwks, JSON.stringify(key.jwks));
  // Admin commands never upgrade a schema: the database is made by this explicit step.
  await cli(xyz, "migrate");
  await cli(xyz, "partner", "add", "--client-id", "abc", "--tenant", "abc", "--issuer", abc, "--jwks", jwks, "--origin", abc, "--expose-tokens");
  await cli(xyz, "form", "set", "--tenant", "abc", join(ROOT, "demo", "forms", "abc.json"));
  await cli(xyz, "user", "provision", "--tenant", "abc", "alice");
  const server = await serve(xyz, join(OUTPUT, "logs", "browser-xyz.log"));
  const mint = () => mintAssertion(key, { iss: abc, sub: "alice", aud: xyz.issuer, clientId: "abc" });
  const sites = [
    await servePages({ port: Number(new URL(abc).port), origin: abc, mint }),
    await servePages({ port: Number(new URL(penpal).port), origin: penpal }),
  ];
  const stop = async () => {
    for (const s of sites) s.close();
    await server.stop();
  };
  try {
    await putFirstRecord(xyz, await redeem(xyz, mint()), RECORD);
  } catch (e) {
    await stop();
    throw e;
  }
  return { xyz, abc, penpal, stop };
}

/** The e2e suite's hub client: the hub's RPC spoken from plain JS, no SDK. */
const RAW_HUB_CLIENT = join(ROOT, "tests", "e2e", "raw-hub-client.js");

/**
 * `calls` round trips each through the SDK, through the hub alone (the same hub and
 * store, asked by the e2e suite's plain-JS client: what the SDK adds is the
 * difference) and through penpal, in alternating rounds so drift hits all alike.
 */
async function rpc(browser, { xyz, abc, penpal }) {
  const calls = knob("BENCH_RPC_CALLS", 2000);
  const rounds = 4;
  const context = await browser.newContext();
  try {
    const sdk = await context.newPage();
    await sdk.goto(`${abc}/crosspass.html?xyz=${encodeURIComponent(xyz.issuer)}`);
    const tokenLength = await sdk.evaluate(async () => {
      await window.coldStart;
      return (await (await window.crosspass).getToken()).accessToken.length;
    });
    await sdk.addScriptTag({ path: RAW_HUB_CLIENT });
    const hello = await sdk.evaluate(async (hub) => {
      const answer = await window.rawHub.connect(hub, "abc");
      const { roundTrips } = await import("/timing.js");
      window.hubRoundTrips = (n) =>
        roundTrips(async () => {
          const reply = await window.rawHub.call("token.get", { scope: "form.read" });
          if (!reply.result) throw new Error(`token.get: ${JSON.stringify(reply.error ?? reply)}`);
        }, n);
      return answer;
    }, `${xyz.issuer}/hub?client_id=abc`);
    if (!hello?.result) throw new Error(`the hub did not answer the plain client: ${JSON.stringify(hello)}`);
    // The API request `fetch()` carries, made where the hub makes it (in XYZ's frame,
    // same-origin, with the token) but with no messaging: penpal's call plus this is
    // what a penpal-based messenger carrying the same request would take.
    const hubFrame = sdk.frames().find((f) => f.url().startsWith(`${xyz.issuer}/hub`));
    if (!hubFrame) throw new Error("no hub frame on the SDK's page");
    const timing = (await readFile(join(ROOT, "bench", "pages", "timing.js"), "utf8"))
      .replace("export const WARMUP", "const WARMUP")
      .replace("export async function roundTrips", "window.roundTrips = async function");
    await hubFrame.evaluate(timing);
    await hubFrame.evaluate((token) => {
      window.apiRoundTrips = (n) =>
        window.roundTrips(async () => {
          const r = await fetch("/api/v1/me/record", { headers: { authorization: `Bearer ${token}` } });
          if (r.status !== 200) throw new Error(`API: HTTP ${r.status}`);
          await r.text();
        }, n);
    }, await sdk.evaluate(async () => (await (await window.crosspass).getToken()).accessToken));
    const pp = await context.newPage();
    await pp.goto(`${abc}/penpal-parent.html?child=${encodeURIComponent(penpal)}&token-length=${tokenLength}`);
    // penpal carrying a request too: its child makes one to its own origin and relays
    // status, headers and body; the same request made in the child, with no messaging,
    // is timed beside it. The difference is what relaying a request costs penpal.
    await pp.evaluate(() => window.fetchRoundTrips(1));
    const childFrame = pp.frames().find((f) => f.url().includes("penpal-child"));
    if (!childFrame) throw new Error("no penpal child frame on penpal's page");
    const runs = [
      ["sdk", sdk, "tokenRoundTrips"],
      ["sdkHub", sdk, "hubTokenRoundTrips"],
      ["fetch", sdk, "fetchRoundTrips"],
      ["hub", sdk, "hubRoundTrips"],
      ["api", sdk, "apiRoundTrips", hubFrame],
      ["penpal", pp, "tokenRoundTrips"],
      ["penpalFetch", pp, "fetchRoundTrips"],
      ["childFetch", pp, "childFetchRoundTrips", childFrame],
    ];
    const times = Object.fromEntries(runs.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, page, fn, where = page] of runs) {
        await page.bringToFront();
        times[name].push(...(await where.evaluate(([f, n]) => window[f](n), [fn, Math.ceil(calls / rounds)])));
      }
    }
    const summary = (t) => ({ calls: t.length, p50: percentile(t, 50), p99: percentile(t, 99), mean: t.reduce((a, b) => a + b, 0) / t.length });
    if (knob("BENCH_RPC_PROFILE", 0)) {
      await profile(sdk, "/hub", "sdk", "hubTokenRoundTrips", calls);
      await profile(pp, "penpal-child", "penpal", "tokenRoundTrips", calls);
      await profile(sdk, "/hub", "sdk fetch", "fetchRoundTrips", calls);
      await profile(pp, "penpal-child", "penpal fetch", "fetchRoundTrips", calls);
    }
    // Last: the split leaves its wrappers in the pages.
    if (knob("BENCH_RPC_SPLIT", 0)) {
      await split(sdk, hubFrame, "sdk");
      await split(pp, childFrame, "penpal");
    }
    return { ...Object.fromEntries(Object.entries(times).map(([k, t]) => [k, summary(t)])), tokenLength };
  } finally {
    await context.close();
  }
}

/**
 * Where a relayed request's time goes (`BENCH_RPC_SPLIT=1`): `fetch`, `Response.text`
 * and `postMessage` are wrapped on `page` and in `frame`, stamped on one clock, and
 * 600 calls of the page's `fetchRoundTrips` are split into the first leg, the request
 * to its headers and its body, the frame's own work, and the second leg with the
 * page's decode. The clock is coarsened to 100 µs: the means are what count.
 */
async function split(page, frame, name) {
  const calls = 600;
  const instrument = () => {
    const now = () => performance.timeOrigin + performance.now();
    window.marks = [];
    const mark = (m) => window.marks.push([m, now()]);
    const fetch = window.fetch;
    window.fetch = (...a) => (mark("fetch"), fetch(...a).then((r) => (mark("headers"), r)));
    const text = Response.prototype.text;
    Response.prototype.text = function () {
      return text.call(this).then((t) => (mark("body"), t));
    };
    for (const proto of [MessagePort.prototype, Window.prototype]) {
      const post = proto.postMessage;
      proto.postMessage = function (...a) {
        mark("post");
        return post.apply(this, a);
      };
    }
  };
  await page.bringToFront();
  await page.evaluate(instrument);
  await frame.evaluate(instrument);
  await page.evaluate((n) => window.fetchRoundTrips(n), calls);
  // Exactly one of each mark per call, or the pairs below would not be one call's; the
  // first `WARMUP` calls are the warm-up's and are dropped.
  const stamps = async (where, names) => {
    const marks = await where.evaluate(() => window.marks);
    const at = Object.fromEntries(names.map((n) => [n, marks.filter(([m]) => m === n).map(([, t]) => t)]));
    for (const n of names) {
      if (at[n].length !== WARMUP + calls) throw new Error(`split ${name}: ${at[n].length} ${n} marks for ${WARMUP + calls} calls`);
      at[n] = at[n].slice(WARMUP);
    }
    return at;
  };
  const p = await stamps(page, ["post", "body"]);
  const f = await stamps(frame, ["fetch", "headers", "body", "post"]);
  const mean = (to, from) => (to.reduce((s, t, i) => s + t - from[i], 0) / calls).toFixed(3);
  log(
    `split, ${name} (mean ms of ${calls} calls): first leg ${mean(f.fetch, p.post)}, request to headers ${mean(f.headers, f.fetch)}, ` +
      `body ${mean(f.body, f.headers)}, frame's work ${mean(f.post, f.body)}, second leg and the page's decode ${mean(p.body, f.post)}`,
  );
}

/**
 * CPU profiles of `calls` more round trips on `page` and in its frame whose URL holds
 * `frameUrl` (the hub's or penpal's child, a process of its own), sampled every 20 µs:
 * the busiest functions of each, as µs of self time per call, go to the log.
 */
async function profile(page, frameUrl, name, fn, calls) {
  const frame = page.frames().find((f) => f.url().includes(frameUrl));
  const sessions = [["page", await page.context().newCDPSession(page)], ["frame", await page.context().newCDPSession(frame)]];
  for (const [, s] of sessions) {
    await s.send("Profiler.enable");
    await s.send("Profiler.setSamplingInterval", { interval: 20 });
    await s.send("Profiler.start");
  }
  await page.evaluate(([f, n]) => window[f](n), [fn, calls]);
  const made = WARMUP + calls;
  for (const [where, s] of sessions) {
    const { profile: p } = await s.send("Profiler.stop");
    log(`profile, ${name} ${where}: µs of self time per call`);
    for (const [key, us] of busiest(p, 20)) log(`  ${(us / made).toFixed(2).padStart(8)}  ${key}`);
  }
}

/** The `count` functions of a CPU profile with the most self time (µs), busiest first. */
function busiest(p, count) {
  const nodes = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map();
  p.samples.forEach((id, i) => {
    const f = nodes.get(id);
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}`.trim();
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, count);
}

export const STAGES = ["script", "connected", "assertion", "rendered"];

/** "Fast 4G"-like: 9 Mbit/s down and up, 40 ms round trip (CDP network emulation). */
const FAST_4G = { offline: false, latency: 40, downloadThroughput: (9e6 / 8) | 0, uploadThroughput: (9e6 / 8) | 0 };

/**
 * `loads` cold starts, each in a fresh browser context (empty cache, empty hub storage),
 * with `network` conditions on the page and on XYZ's frames when given.
 */
async function cold(browser, { xyz, abc }, network) {
  const loads = knob("BENCH_COLD_LOADS", 30);
  const warmup = 2;
  // A traced or profiled load runs slower: it is one more, after the warm-up, and not
  // counted.
  const profiling = !network && knob("BENCH_COLD_PROFILE", 0);
  const tracing = knob("BENCH_COLD_TRACE", 0);
  const instrumented = profiling || tracing ? warmup : -1;
  const first = warmup + (instrumented < 0 ? 0 : 1);
  const samples = [];
  const waterfall = [];
  for (let i = 0; i < first + loads; i++) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      if (network) await throttle(page, network);
      const profiled = i === instrumented && profiling ? await profileXyz(page) : null;
      const trace = i === instrumented && tracing ? join(OUTPUT, `cold-trace${network ? "-4g" : ""}.json`) : null;
      if (trace) await browser.startTracing(page, { path: trace, categories: ["devtools.timeline", "v8.wasm", "v8", "blink", "loading", "toplevel", "disabled-by-default-devtools.timeline"] });
      await page.goto(`${abc}/crosspass.html?xyz=${encodeURIComponent(xyz.issuer)}`);
      const sample = await page.evaluate(() => window.coldStart);
      if (trace) {
        await browser.stopTracing();
        log(`trace of one load: ${trace}`);
      }
      if (knob("BENCH_COLD_WATERFALL", 0) && i >= first) waterfall.push(await timeline(page));
      if (profiled) await profiled();
      const company = await page.frameLocator("crosspass-form iframe").locator('[name="company"]').inputValue();
      if (company !== RECORD.company) throw new Error(`the form shows ${JSON.stringify(company)}, not the record`);
      if (i >= first) samples.push(sample);
    } finally {
      await context.close();
    }
  }
  if (waterfall.length) logWaterfall(waterfall, network ? "Fast 4G" : "loopback");
  const stages = {};
  for (const s of STAGES) {
    const values = samples.map((x) => x[s]).filter((v) => v !== null);
    stages[s] = { p50: percentile(values, 50), p95: percentile(values, 95), n: values.length };
  }
  return { loads: samples.length, warmup, stages };
}

/**
 * What the page and each of XYZ's frames did in one cold load, in ms since the script
 * tag: navigations, resources (start and end), and marks (`BENCH_COLD_WATERFALL=1`).
 */
async function timeline(page) {
  const at = await page.evaluate(() => window.coldStartAt);
  const events = [];
  for (const frame of page.frames()) {
    const where = frame === page.mainFrame() ? "page" : new URL(frame.url()).pathname.split("/").pop() || "frame";
    const entries = await frame.evaluate(() => ({
      origin: performance.timeOrigin,
      list: performance.getEntries().map((e) => ({ type: e.entryType, name: e.name, start: e.startTime, end: e.responseEnd ?? e.startTime + e.duration })),
    }));
    for (const e of entries.list) {
      if (!["navigation", "resource", "mark"].includes(e.type)) continue;
      const name = e.type === "mark" ? e.name : new URL(e.name).pathname.replace(/\.[0-9a-f]{12}\./, ".");
      events.push({ key: `${where} ${e.type === "mark" ? "mark" : e.type.slice(0, 3)} ${name}`, start: entries.origin + e.start - at, end: entries.origin + e.end - at });
    }
  }
  return events;
}

/** The median start and end of each event across loads, in the order they start. */
function logWaterfall(loads, label) {
  const byKey = new Map();
  for (const load of loads) for (const e of load) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  const rows = [...byKey].map(([key, es]) => ({ key, start: percentile(es.map((e) => e.start), 50), end: percentile(es.map((e) => e.end), 50) }));
  log(`waterfall, ${label} (median ms since the script tag, start → end):`);
  for (const r of rows.sort((a, b) => a.start - b.start)) log(`  ${r.start.toFixed(0).padStart(5)} → ${r.end.toFixed(0).padStart(5)}  ${r.key}`);
}

/**
 * Applies `conditions` to `page` and to every frame it attaches before the frame runs
 * (XYZ's frames are out of process, each its own target).
 */
async function throttle(page, conditions) {
  const session = await page.context().newCDPSession(page);
  await session.send("Network.enable");
  await session.send("Network.emulateNetworkConditions", conditions);
  let id = 0;
  const to = (sessionId, method, params = {}) =>
    session.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id: ++id, method, params }) }).catch(() => {});
  session.on("Target.attachedToTarget", async ({ sessionId }) => {
    await to(sessionId, "Network.enable");
    await to(sessionId, "Network.emulateNetworkConditions", conditions);
    await to(sessionId, "Runtime.runIfWaitingForDebugger");
  });
  await session.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
}

/**
 * Starts a CPU profile of XYZ's renderer for one cold load (`BENCH_COLD_PROFILE=1`):
 * the first of XYZ's frames to attach is held until the profiler runs in it (the form
 * frame shares its process and V8 isolate, so the profile covers both). The function
 * returned stops it and logs the busiest functions by self time.
 */
async function profileXyz(page) {
  const session = await page.context().newCDPSession(page);
  let id = 0;
  const answers = new Map();
  session.on("Target.receivedMessageFromTarget", ({ message }) => {
    const m = JSON.parse(message);
    answers.get(m.id)?.(m.result);
  });
  const to = (sessionId, method, params = {}) =>
    new Promise((resolve) => {
      answers.set(++id, resolve);
      session.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) }).catch(() => resolve(null));
    });
  let xyz;
  session.on("Target.attachedToTarget", async ({ sessionId }) => {
    if (!xyz) {
      xyz = sessionId;
      await to(sessionId, "Profiler.enable");
      await to(sessionId, "Profiler.setSamplingInterval", { interval: 50 });
      await to(sessionId, "Profiler.start");
    }
    await to(sessionId, "Runtime.runIfWaitingForDebugger");
  });
  await session.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
  return async () => {
    const p = xyz && (await to(xyz, "Profiler.stop"))?.profile;
    if (!p) return log("cold profile: XYZ's frames never attached");
    log("cold profile, XYZ's renderer through one load: ms of self time");
    for (const [key, us] of busiest(p, 25)) log(`  ${(us / 1000).toFixed(2).padStart(8)}  ${key}`);
  };
}

/** Runs the selected browser benchmarks (`{ rpc, cold }`) against one stack. */
export async function browserBenches(which) {
  await mkdir(join(OUTPUT, "logs"), { recursive: true });
  const dataDir = await mkdtemp(join(OUTPUT, "browser-"));
  const sites = await startSites(dataDir);
  const browser = await chromium.launch(launchOptions);
  const version = browser.version();
  try {
    const results = { chromium: version };
    if (which.rpc) {
      log("rpc: getToken round trips, SDK and penpal");
      results.rpc = await rpc(browser, sites);
    }
    if (which.cold) {
      log("cold: fresh-context page loads");
      results.cold = await cold(browser, sites);
      log("cold: fresh-context page loads, throttled like Fast 4G");
      results.coldThrottled = await cold(browser, sites, FAST_4G);
    }
    return results;
  } finally {
    await browser.close();
    await sites.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
