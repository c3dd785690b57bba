// `npm run bench [-- SECTION…]`: sizes, RPC latency, cold start, server throughput, its
// scaling with the database, and the operations layers (limits), printed as one table.
// Sections: size rpc cold server scaling limits (all by default). Results go to bench/.output/results.json; a full run also
// rewrites the figures in BENCHMARKS.md.
//
// Knobs (environment): BENCH_RPC_CALLS (2000), BENCH_COLD_LOADS (30), BENCH_DURATION
// (seconds per wrk run, 5), BENCH_REPEATS (wrk runs per figure, best kept, 3),
// BENCH_WRK_THREADS (1), BENCH_WRK_CONNECTIONS (32), BENCH_RPC_PROFILE (0; 1 logs a CPU
// profile of the SDK's and penpal's round trips, page and frame, after the rpc timings),
// BENCH_RPC_SPLIT (0; 1 logs where a relayed request's time goes, the SDK's and penpal's),
// BENCH_COLD_WATERFALL, BENCH_COLD_TRACE, BENCH_COLD_PROFILE (0; 1 logs a cold load's timeline,
// writes its Chrome trace, logs a CPU profile of XYZ's renderer through it).
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { browserBenches } from "./lib/browser.mjs";
import { limitsBench, limitsText } from "./lib/limits.mjs";
import { micro } from "./lib/micro.mjs";
import { measure, seededDatabase, startTarget, DURATION_SECS, REPEATS, WRK_CONNECTIONS, WRK_THREADS } from "./lib/server.mjs";
import { sizes } from "./lib/size.mjs";
import { table } from "./lib/table.mjs";
import { OUTPUT, ROOT, log, run } from "./lib/util.mjs";

const SECTIONS = ["size", "rpc", "cold", "server", "scaling", "limits"];
const USERS = [10, 10_000, 1_000_000];
const PARTNERS = [1, 100, 10_000];

const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !SECTIONS.includes(a));
if (unknown.length) {
  console.error(`unknown section ${unknown.join(", ")}; sections: ${SECTIONS.join(" ")}`);
  process.exit(2);
}
const selected = new Set(asked.length ? asked : SECTIONS);
const step = (text) => console.error(`\n\x1b[1m==> ${text}\x1b[0m`);

async function machine() {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8");
  const { stdout: rustc } = await run("rustc", ["--version"]);
  return {
    cores: cpus().length,
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown",
    node: process.version,
    rustc: rustc.trim(),
    date: new Date().toISOString(),
    loadavg: loadavg().map((l) => l.toFixed(2)).join(" "),
  };
}

const results = { machine: await machine(), sections: [...selected] };
await mkdir(join(OUTPUT, "logs"), { recursive: true });

if (selected.has("size")) {
  step("size: building dist/ (frames, SDK, precompressed variants)");
  results.size = await sizes();
}

if (["rpc", "cold", "server", "scaling", "limits"].some((s) => selected.has(s))) {
  // The browser benchmarks serve dist/ from the server binary; the load tests also
  // need the seeder. One command, so shared dependencies resolve one way.
  step("build the server and the seeder (profile server)");
  await run("cargo", ["build", "--profile", "server", "-p", "crosspass-server", "-p", "crosspass-bench"], { cwd: ROOT });
}

if (selected.has("rpc") || selected.has("cold")) {
  step("browser: Chromium across abc.localhost and sso.localhost");
  if (!selected.has("size")) await run("bash", ["scripts/build-wasm.sh"], { cwd: ROOT });
  const browser = await browserBenches({ rpc: selected.has("rpc"), cold: selected.has("cold") });
  results.machine.chromium = browser.chromium;
  Object.assign(results, browser);
}

if (selected.has("server")) {
  step("server: criterion microbenchmarks");
  results.micro = await micro();
}

if (selected.has("server") || selected.has("scaling")) {
  step(`server: wrk -t${WRK_THREADS} -c${WRK_CONNECTIONS} -d${DURATION_SECS}s, best of ${REPEATS}, on the same cores as the server`);
  results.wrk = { threads: WRK_THREADS, connections: WRK_CONNECTIONS, durationSecs: DURATION_SECS, repeats: REPEATS };
  // The smallest database runs throughout: each scaling cell is measured in turns with
  // it, so the ratio between the two is not swayed by what else the machine is doing.
  const baseDb = await seededDatabase("baseline", PARTNERS[0]);
  const base = await startTarget(baseDb, USERS[0]);
  try {
    let expectRate;
    if (selected.has("server")) {
      const [token] = await measure([base], "token");
      const [api] = await measure([base], "api");
      results.server = { users: base.users, partners: base.partners, token, api };
      expectRate = token.rate;
    }
    if (selected.has("scaling")) {
      results.scaling = [];
      for (const partners of PARTNERS) {
        const db = await seededDatabase("cell", partners);
        for (const users of USERS) {
          const cell = await startTarget(db, users);
          try {
            const [baseToken, token] = await measure([base, cell], "token", expectRate);
            expectRate = Math.max(expectRate ?? 0, baseToken.rate, token.rate);
            const [baseApi, api] = await measure([base, cell], "api");
            results.scaling.push({ users, partners, seedSecs: cell.seedSecs, token, api, baseline: { token: baseToken, api: baseApi } });
          } finally {
            await cell.stop();
          }
        }
        await rm(db.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await base.stop();
    await rm(baseDb.dir, { recursive: true, force: true });
  }
}

if (selected.has("limits")) {
  step(`limits: operations layers on and off, then an abusive address beside a polite one`);
  const db = await seededDatabase("limits", PARTNERS[0]);
  try {
    results.limits = await limitsBench(db, USERS[0]);
  } finally {
    await rm(db.dir, { recursive: true, force: true });
  }
}

const tabled = SECTIONS.some((s) => s !== "limits" && selected.has(s));
const text = [tabled ? table(results) : "", results.limits ? limitsText(results.limits) : ""].filter(Boolean).join("\n\n");
console.log(`\n${text}`);
await writeFile(join(OUTPUT, "results.json"), JSON.stringify(results, null, 2) + "\n");

if (SECTIONS.every((s) => selected.has(s))) {
  const doc = join(ROOT, "BENCHMARKS.md");
  const current = await readFile(doc, "utf8");
  const begin = "<!-- bench:begin -->";
  const end = "<!-- bench:end -->";
  const [head, rest] = current.split(begin);
  const tail = rest?.split(end)[1];
  if (tail === undefined) throw new Error(`BENCHMARKS.md lacks the ${begin} … ${end} block`);
  await writeFile(doc, `${head}${begin}\n${machineText(results)}\n\n\`\`\`text\n${text}\n\`\`\`\n${end}${tail}`);
  log("BENCHMARKS.md updated");
}

function machineText({ machine: m, wrk }) {
  return [
    `Run of ${m.date.slice(0, 16).replace("T", " ")} UTC with \`npm run bench\`, on ${m.cores} cores (${m.cpu}),`,
    `Chromium ${m.chromium}, ${m.rustc}, Node ${m.node}; load average ${m.loadavg} at the start.`,
    `wrk: ${wrk.threads} thread${wrk.threads === 1 ? "" : "s"}, ${wrk.connections} connections, best of ${wrk.repeats} runs of ${wrk.durationSecs} s per figure,`,
    `on the same ${m.cores} cores as the server.`,
  ].join("\n");
}
