// Server benchmarks: token-endpoint redemptions and API reads per second under wrk,
// against the real `crosspass` binary (server profile) and a real SQLite file seeded
// with `users` users and `partners` partners by `crosspass-bench seed` (names in
// bench/src/lib.rs). wrk runs on the same cores as the server.
import { randomInt } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg as osLoadavg } from "node:os";
import { join } from "node:path";
import { freePort } from "../../demo/stack.mjs";
import { mintAssertion, newPartnerKey } from "./jwt.mjs";
import { OUTPUT, ROOT, knob, log, run } from "./util.mjs";
import { SEED_BIN, redeem, serve, xyzConfig } from "./xyz.mjs";

const WRK = process.env.WRK ?? "wrk";
const WRK_DIR = join(ROOT, "bench", "wrk");
export const WRK_THREADS = knob("BENCH_WRK_THREADS", 1);
export const WRK_CONNECTIONS = knob("BENCH_WRK_CONNECTIONS", 32);
export const DURATION_SECS = knob("BENCH_DURATION", 5);
/** Runs per figure; the best is kept: other load on the machine only ever slows a run. */
export const REPEATS = knob("BENCH_REPEATS", 3);
/** Distinct users whose tokens the API load cycles through. */
const API_TOKENS = 1000;

/** The seeded partner of user `j` (bench/src/lib.rs names them). */
const partnerOf = (j, partners) => {
  const p = j % partners;
  return { clientId: `p${p}`, iss: `http://p${p}.localhost`, origin: `http://p${p}.localhost` };
};

/**
 * A new database named `name` with `partners` partners, growing between calls:
 * `seed(users, xyz)` adds users up to `users`.
 */
export async function seededDatabase(name, partners) {
  const dir = join(OUTPUT, `db-${name}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const key = newPartnerKey();
  const jwks = join(dir, "partners.jwks.json");
  await writeFile(jwks, JSON.stringify(key.jwks));
  return {
    dir,
    key,
    partners,
    async seed(users, xyz) {
      const start = performance.now();
      const { stdout } = await run(SEED_BIN, [
        "seed", "--database-url", xyz.databaseUrl, "--partners", String(partners), "--users", String(users), "--jwks", jwks,
      ]);
      log(stdout.trim());
      return (performance.now() - start) / 1000;
    },
  };
}

async function wrk(script, url, env) {
  const { stdout } = await run(
    WRK,
    ["-t", String(WRK_THREADS), "-c", String(WRK_CONNECTIONS), "-d", `${DURATION_SECS}s`, "--latency", "-s", join(WRK_DIR, script), url],
    { env: { ...process.env, BENCH_WRK_DIR: WRK_DIR, BENCH_THREADS: String(WRK_THREADS), ...env } },
  );
  const line = stdout.trim().split("\n").at(-1);
  const r = JSON.parse(line);
  return {
    rate: r.requests / (r.duration_us / 1e6),
    requests: r.requests,
    failed: r.failed + r.socket_errors,
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/**
 * Seeds `db` up to `users` and starts a server on it, with tokens of up to
 * `API_TOKENS` users ready for the API load. `stop()` ends it.
 */
export async function startTarget(db, users, env = {}) {
  const xyz = xyzConfig(await freePort(), db.dir);
  Object.assign(xyz.env, env);
  const seedSecs = await db.seed(users, xyz);
  const server = await serve(xyz, join(OUTPUT, "logs", `server-${db.partners}p-${users}u.log`));
  // One minute: the server forgets spent jtis a minute and a half later, so every
  // database under test carries a jti table of the same size, set by the load alone.
  const mint = (j) => {
    const p = partnerOf(j, db.partners);
    return mintAssertion(db.key, { iss: p.iss, sub: `user${j}`, aud: xyz.issuer, clientId: p.clientId, lifetime: 60 });
  };
  try {
    const picked = Array.from({ length: Math.min(users, API_TOKENS) }, (_, i) => (users <= API_TOKENS ? i : randomInt(users)));
    const tokens = join(db.dir, "tokens.txt");
    // Tokens live 10 minutes and the smallest database's server runs through the whole
    // scaling section: they are redeemed again before a run once they are 4 minutes old.
    let redeemedAt = 0;
    const freshTokens = async () => {
      if (Date.now() - redeemedAt < 4 * 60_000) return;
      const lines = await pool(picked, 16, async (j) => `${await redeem(xyz, mint(j))} ${partnerOf(j, db.partners).origin}`);
      await writeFile(tokens, lines.join("\n") + "\n");
      redeemedAt = Date.now();
    };
    await freshTokens();
    const assertions = join(db.dir, "assertions.txt");
    return {
      users,
      partners: db.partners,
      seedSecs,
      name: `${users} users, ${db.partners} partner${db.partners === 1 ? "" : "s"}`,
      stop: server.stop,
      /** One token-endpoint run on `stock` fresh assertions (a wrk thread that runs out stops). */
      async token(stock) {
        await writeFile(assertions, Array.from({ length: stock }, () => mint(randomInt(users))).join("\n") + "\n");
        const r = await wrk("token.lua", xyz.internal, { BENCH_ASSERTIONS: assertions });
        return { ...r, exhausted: r.requests >= stock };
      },
      /** One API run; `forwardedFor` puts the load behind one client address. */
      api: async (forwardedFor) => {
        await freshTokens();
        return wrk("api.lua", xyz.internal, { BENCH_TOKENS: tokens, BENCH_FORWARDED_FOR: forwardedFor ?? "" });
      },
      /** The first token and origin of the API load, and the server's address. */
      sample: async () => ({ line: (await readFile(tokens, "utf8")).split("\n")[0], internal: xyz.internal }),
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/**
 * `REPEATS` runs of `kind` ("token" or "api") on each target, interleaved (a, b, a, b,
 * …) so that other load on the machine falls on all of them alike; the best run of
 * each. `expectRate` sizes the stock of assertions: 1.5 times a run's worth.
 */
export async function measure(targets, kind, expectRate = 8000) {
  const stock = Math.ceil(expectRate * 1.5 * DURATION_SECS);
  log(`${kind}: ${targets.map((t) => t.name).join(" | ")}`);
  const runs = targets.map(() => []);
  for (let i = 0; i < REPEATS; i++) {
    for (const [t, target] of targets.entries()) runs[t].push(await (kind === "token" ? target.token(stock) : target.api()));
  }
  return runs.map((list) => ({
    ...list.reduce((a, b) => (b.rate > a.rate ? b : a)),
    failed: list.reduce((n, r) => n + r.failed, 0),
    exhausted: list.some((r) => r.exhausted),
    rates: list.map((r) => Math.round(r.rate)),
    loadavg: osLoadavg()[0],
  }));
}
