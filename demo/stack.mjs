// Starts the whole demo: the XYZ server on sso.localhost, the partner sites, MyHealth
// (a downstream API XYZ sends saved records to, chained delegation) and tenant abc's enterprise IdP
// (Cross-App Access), with everything registered, users provisioned and a form schema set. Used
// by `npm start` (run directly) and by the end-to-end suite (imported, on other ports).
//
//   node demo/stack.mjs     ports from XYZ_PORT, ABC_PORT, DEF_PORT, EXAMPLE2_PORT,
//                           MYHEALTH_PORT, IDP_PORT (8080–8085); data in .data/demo/

import { spawn, execFile } from "node:child_process";
import { createServer } from "node:net";
import { openSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PARTNER = join(ROOT, "demo", "partner.mjs");
const MYHEALTH = join(ROOT, "demo", "myhealth.mjs");
const IDP = join(ROOT, "demo", "idp.mjs");
const GHK = join(ROOT, "demo", "ghk.mjs");
const run = promisify(execFile);

// The partner users of each tenant (the e2e suite gives each scenario its own).
const DEMO_USERS = {
  abc: ["alice", "bob", "carol", "chris", "casey", "cleo", "cora", "cyd", "cass"],
  def: ["dave", "erin", "dana"],
};
// MyHealth's own patients (its ids for them are its own: p-1001, p-1002, …).
const MYHEALTH_PATIENTS = ["Alice", "Bob", "Carol", "Cyd"];

/** The sites of the demo: each one's partner client (= tenant), port and origin. */
function sites(ports, withEvil) {
  const origin = (host, port) => `http://${host}.localhost:${port}`;
  const list = [
    { site: "abc", client: "abc", port: ports.abc, origin: origin("abc", ports.abc) },
    // DEF's pages are a Vite app built against the packed npm package (build-sites.sh).
    { site: "def", client: "def", port: ports.def, origin: origin("def", ports.def), dir: "dist/def" },
    // A second site of tenant abc (SSO across a tenant's sites): same client, same key, another origin. Its
    // users sign in through abc's enterprise IdP, which issues their ID-JAGs (Cross-App Access).
    { site: "example2", client: "abc", port: ports.example2, origin: origin("example2", ports.example2), viaIdp: true },
  ];
  // An unregistered site that claims to be abc and signs with a key XYZ never pinned.
  if (withEvil) list.push({ site: "evil", client: "abc", port: ports.evil, origin: origin("evil", ports.evil), rogue: true });
  return list;
}

/**
 * A port nothing listens on now (for runs beside the demo or another run), below
 * Linux's ephemeral range (32768 and up): a port the kernel hands out for `listen(0)`
 * may be taken by any outgoing connection (the browser's, the server's) before the
 * site that was meant to have it binds it. Ports handed out here are not handed out
 * again by this process.
 */
export async function freePort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (given.has(port)) continue;
    if (await ensureFree(port).then(() => true, () => false)) {
      given.add(port);
      return port;
    }
  }
  throw new Error("no free port between 20000 and 32000");
}
const given = new Set();

/** Fails early, and clearly, when something else already listens on `port`. */
function ensureFree(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer()
      .once("error", () => reject(new Error(`port ${port} is already in use: pick other ports`)))
      .listen(port, "127.0.0.1", () => probe.close(resolve));
  });
}

/** Resolves once `url` answers 2xx; fails if `child` exits first or after 30 s. */
export async function waitFor(url, what, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up at ${url}`);
}

/**
 * Starts everything; resolves once every process answers. `stop()` ends them.
 * @param {{ports: {xyz:number, abc:number, def:number, example2:number, myhealth:number,
 *                  idp:number, ghk:number, evil?:number},
 *          dataDir: string, serverBin?: string, withEvil?: boolean, logDir?: string}} opts
 */
export async function startStack({ ports, dataDir, serverBin, withEvil = false, logDir }) {
  const bin = serverBin ?? join(ROOT, "target", "server", "crosspass");
  const xyz = `http://sso.localhost:${ports.xyz}`;
  const myhealth = `http://myhealth.localhost:${ports.myhealth}`;
  const idp = `http://idp.localhost:${ports.idp}`;
  if (logDir) await mkdir(logDir, { recursive: true });
  // Each process logs to the terminal, or to its own file in `logDir`.
  const stdio = (name) => {
    if (!logDir) return ["ignore", "inherit", "inherit"];
    const fd = openSync(join(logDir, `${name}.log`), "w");
    return ["ignore", fd, fd];
  };
  const children = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) => new Promise((r) => (c.exitCode !== null ? r() : (c.once("exit", r), c.kill("SIGTERM")))),
      ),
    );
  };

  try {
    await mkdir(dataDir, { recursive: true });
    const all = sites(ports, withEvil);
    for (const port of [ports.xyz, ports.myhealth, ports.idp, ports.ghk, ...all.map((s) => s.port)]) await ensureFree(port);

    // 1. Each partner client, MyHealth and the IdP make their key pairs; XYZ pins the
    //    public halves (and the IdP pins abc's).
    const keys = (name) => join(dataDir, "keys", name);
    const keygen = async (program, name) => {
      const { stdout } = await run(process.execPath, [program, "keygen", "--key", keys(`${name}.private.jwk`)]);
      await writeFile(keys(`${name}.jwks.json`), stdout);
      return keys(`${name}.jwks.json`);
    };
    const keyFile = (s) => keys(`${s.rogue ? s.site : s.client}.private.jwk`);
    for (const s of all) s.jwks = await keygen(PARTNER, s.rogue ? s.site : s.client);
    const myhealthJwks = await keygen(MYHEALTH, "myhealth");
    const idpJwks = await keygen(IDP, "idp");

    // 2. Register the partners (registration) and set each tenant's form. A partner left from
    //    an earlier run is replaced, so ports and keys may change between runs.
    const env = {
      ...process.env,
      CROSSPASS_ISSUER: xyz,
      CROSSPASS_LISTEN: `127.0.0.1:${ports.xyz}`,
      CROSSPASS_DATABASE_URL: `sqlite://${join(dataDir, "crosspass.sqlite")}?mode=rwc`,
      CROSSPASS_WWW_DIR: join(ROOT, "www"),
      CROSSPASS_DIST_DIR: join(ROOT, "dist"),
      CROSSPASS_RECORD_SYNC_SERVICE: "records-sync",
    };
    const cli = (...args) => run(bin, args, { env });
    // Admin commands never upgrade the schema: that is this explicit step.
    await cli("migrate");
    for (const client of ["abc", "def"]) {
      const mine = all.filter((s) => s.client === client && !s.rogue);
      await cli("partner", "remove", client).catch(() => {});
      await cli(
        "partner", "add",
        "--client-id", client,
        "--tenant", client,
        "--issuer", mine[0].origin,
        "--jwks", mine[0].jwks,
        ...mine.flatMap((s) => ["--origin", s.origin]),
        "--scopes", "form.read form.write",
        // DEF's own scripts read XYZ tokens (getToken); ABC's pages never receive one.
        ...(client === "def" ? ["--expose-tokens"] : []),
      );
      await cli("form", "set", "--tenant", client, join(ROOT, "demo", "forms", `${client}.json`));
    }
    // MyHealth accepts XYZ tokens with form.read; XYZ's record sync (a service without
    // keys: it exchanges in-process) sends it saved records (chained delegation).
    await cli("service", "remove", "records-sync").catch(() => {});
    await cli("downstream", "remove", "myhealth").catch(() => {});
    await cli(
      "downstream", "add",
      "--id", "myhealth",
      "--audience", myhealth,
      "--issuer", myhealth,
      "--jwks", myhealthJwks,
      "--scopes", "form.read",
      "--sync-url", `http://127.0.0.1:${ports.myhealth}/xyz/record`,
    );
    await cli("service", "add", "--client-id", "records-sync", "--accepts", `${xyz}/api`, "--target", "myhealth");
    // abc's enterprise IdP (Cross-App Access).
    const { stdout: idps } = await cli("idp", "list");
    for (const line of idps.split("\n").filter(Boolean)) await cli("idp", "remove", line.split("\t")[0]);
    await cli("idp", "add", "--issuer", idp, "--tenant", "abc", "--jwks", idpJwks);
    // GHK has no keys: a client secret (shown once, kept by GHK's backend alone) and
    // users created at their first embed session.
    const ghk = `http://ghk.localhost:${ports.ghk}`;
    await cli("partner", "remove", "ghk").catch(() => {});
    const { stdout: ghkRegistration } = await cli(
      "partner", "add", "--client-id", "ghk", "--tenant", "ghk", "--client-secret",
      "--origin", ghk, "--jit-users",
    );
    const ghkSecret = JSON.parse(ghkRegistration).client_secret;
    await cli("form", "set", "--tenant", "ghk", join(ROOT, "demo", "forms", "ghk.json"));

    // 3. The XYZ server, MyHealth and the IdP.
    const waits = [];
    const start = (what, args, url, extraEnv = {}) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, stdio: stdio(what), env: { ...process.env, ...extraEnv } });
      children.push(child);
      waits.push(() => waitFor(url, what, child));
    };
    const server = spawn(bin, ["serve"], { cwd: ROOT, env, stdio: stdio("xyz") });
    children.push(server);
    await waitFor(`http://127.0.0.1:${ports.xyz}/healthz`, "XYZ server", server);
    const abcOrigins = all.filter((s) => s.client === "abc" && !s.rogue).map((s) => s.origin);
    start("myhealth", [
      MYHEALTH, "serve",
      "--port", String(ports.myhealth),
      "--origin", myhealth,
      "--key", keys("myhealth.private.jwk"),
      "--xyz", xyz,
      "--xyz-internal", `http://127.0.0.1:${ports.xyz}`,
      "--partner-origins", abcOrigins.join(","),
      "--users", MYHEALTH_PATIENTS.join(","),
    ], `http://127.0.0.1:${ports.myhealth}/session`);
    start("idp", [
      IDP, "serve",
      "--port", String(ports.idp),
      "--issuer", idp,
      "--key", keys("idp.private.jwk"),
      "--client", `abc=${keys("abc.jwks.json")}`,
      "--audience", xyz,
      "--users", DEMO_USERS.abc.join(","),
    ], `http://127.0.0.1:${ports.idp}/`);
    await Promise.all(waits.splice(0).map((w) => w()));

    // GHK's backend gets its client secret from the environment, never an argument.
    start("ghk", [
      GHK,
      "--port", String(ports.ghk),
      "--origin", ghk,
      "--xyz", xyz,
      "--xyz-internal", `http://127.0.0.1:${ports.xyz}`,
    ], `http://127.0.0.1:${ports.ghk}/session`, { CROSSPASS_CLIENT_SECRET: ghkSecret });

    // 4. The partner sites, each provisioning its users at XYZ as it starts (provisioning).
    for (const s of all) {
      const issuer = all.find((o) => o.client === s.client && !o.rogue).origin;
      start(s.site, [
        PARTNER, "serve",
        "--site", s.site,
        ...(s.dir ? ["--dir", s.dir] : []),
        "--port", String(s.port),
        "--client-id", s.client,
        "--key", keyFile(s),
        "--issuer", s.rogue ? s.origin : issuer,
        "--origin", s.origin,
        "--xyz", xyz,
        // The rogue site has no registration to provision users with.
        ...(s.rogue ? [] : ["--xyz-internal", `http://127.0.0.1:${ports.xyz}`]),
        ...(s.site === "abc" ? ["--myhealth", myhealth, "--strict-csp"] : []),
        ...(s.viaIdp ? ["--idp", idp, "--idp-internal", `http://127.0.0.1:${ports.idp}`] : []),
        "--users", DEMO_USERS[s.client].join(","),
      ], `http://127.0.0.1:${s.port}/session`);
    }
    await Promise.all(waits.map((w) => w()));
    const listed = [...all.map(({ site, origin }) => ({ site, origin })), { site: "ghk", origin: ghk }];
    return { xyz, myhealth, idp, sites: listed, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = (name, fallback) => Number(process.env[name] ?? fallback);
  const stack = await startStack({
    ports: {
      xyz: port("XYZ_PORT", 8080),
      abc: port("ABC_PORT", 8081),
      def: port("DEF_PORT", 8082),
      example2: port("EXAMPLE2_PORT", 8083),
      myhealth: port("MYHEALTH_PORT", 8084),
      idp: port("IDP_PORT", 8085),
      ghk: port("GHK_PORT", 8086),
    },
    dataDir: process.env.CROSSPASS_DATA ?? join(ROOT, ".data", "demo"),
    serverBin: process.env.CROSSPASS_SERVER_BIN,
  });
  console.log(`\nCrosspass demo is up. Open in a browser:\n`);
  console.log(`  XYZ (hub, API)         ${stack.xyz}`);
  for (const s of stack.sites) console.log(`  ${s.site.padEnd(22)} ${s.origin}`);
  console.log(`  ${"myhealth (downstream)".padEnd(22)} ${stack.myhealth}`);
  console.log(`  ${"idp (abc's IdP)".padEnd(22)} ${stack.idp}`);
  console.log(`\nabc and example2 are two sites of tenant abc (example2 signs in through abc's IdP);`);
  console.log(`def is another tenant. Link MyHealth on abc, save the form, see it on MyHealth. Ctrl-C stops.`);
  const shutdown = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
