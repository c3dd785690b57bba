// Starts the whole demo: the XYZ server on sso.localhost and the partner sites, with
// partners registered, users provisioned and a form schema set. Used by `npm start`
// (run directly) and by the end-to-end suite (imported, on other ports).
//
//   node demo/stack.mjs     ports from XYZ_PORT, ABC_PORT, DEF_PORT, EXAMPLE2_PORT
//                           (8080–8083); data in .data/demo/

import { spawn, execFile } from "node:child_process";
import { createServer } from "node:net";
import { openSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PARTNER = join(ROOT, "demo", "partner.mjs");
const run = promisify(execFile);

// The partner users of each tenant (the e2e suite gives each scenario its own).
const DEMO_USERS = {
  abc: ["alice", "bob", "carol", "chris", "casey", "cleo", "cora"],
  def: ["dave", "erin", "dana"],
};

/** The sites of the demo: each one's partner client (= tenant), port and origin. */
function sites(ports, withEvil) {
  const origin = (host, port) => `http://${host}.localhost:${port}`;
  const list = [
    { site: "abc", client: "abc", port: ports.abc, origin: origin("abc", ports.abc) },
    { site: "def", client: "def", port: ports.def, origin: origin("def", ports.def) },
    // A second site of tenant abc (flow E): same client, same key, another origin.
    { site: "example2", client: "abc", port: ports.example2, origin: origin("example2", ports.example2) },
  ];
  // An unregistered site that claims to be abc and signs with a key XYZ never pinned.
  if (withEvil) list.push({ site: "evil", client: "abc", port: ports.evil, origin: origin("evil", ports.evil), rogue: true });
  return list;
}

/** A port nothing listens on now (for runs beside the demo or another run). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
      .once("error", reject)
      .listen(0, "127.0.0.1", () => {
        const { port } = probe.address();
        probe.close(() => resolve(port));
      });
  });
}

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
 * @param {{ports: {xyz:number, abc:number, def:number, example2:number, evil?:number},
 *          dataDir: string, serverBin?: string, withEvil?: boolean, logDir?: string}} opts
 */
export async function startStack({ ports, dataDir, serverBin, withEvil = false, logDir }) {
  const bin = serverBin ?? join(ROOT, "target", "server", "crosspass");
  const xyz = `http://sso.localhost:${ports.xyz}`;
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
    for (const port of [ports.xyz, ...all.map((s) => s.port)]) await ensureFree(port);

    // 1. Each partner client makes its key pair; XYZ pins the public half.
    const keyFile = (s) => join(dataDir, "keys", `${s.rogue ? s.site : s.client}.private.jwk`);
    for (const s of all) {
      const { stdout } = await run(process.execPath, [PARTNER, "keygen", "--key", keyFile(s)]);
      s.jwks = join(dataDir, "keys", `${s.rogue ? s.site : s.client}.jwks.json`);
      await writeFile(s.jwks, stdout);
    }

    // 2. Register the partners (flow A) and set each tenant's form. A partner left from
    //    an earlier run is replaced, so ports and keys may change between runs.
    const env = {
      ...process.env,
      CROSSPASS_ISSUER: xyz,
      CROSSPASS_LISTEN: `127.0.0.1:${ports.xyz}`,
      CROSSPASS_DATABASE_URL: `sqlite://${join(dataDir, "crosspass.sqlite")}?mode=rwc`,
      CROSSPASS_WWW_DIR: join(ROOT, "www"),
      CROSSPASS_DIST_DIR: join(ROOT, "dist"),
    };
    const cli = (...args) => run(bin, args, { env });
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
      );
      await cli("form", "set", "--tenant", client, join(ROOT, "demo", "forms", `${client}.json`));
    }

    // 3. The XYZ server.
    const server = spawn(bin, ["serve"], { cwd: ROOT, env, stdio: stdio("xyz") });
    children.push(server);
    await waitFor(`http://127.0.0.1:${ports.xyz}/healthz`, "XYZ server", server);

    // 4. The partner sites, each provisioning its users at XYZ as it starts (flow B).
    for (const s of all) {
      const issuer = all.find((o) => o.client === s.client && !o.rogue).origin;
      const child = spawn(
        process.execPath,
        [
          PARTNER, "serve",
          "--site", s.site,
          "--port", String(s.port),
          "--client-id", s.client,
          "--key", keyFile(s),
          "--issuer", s.rogue ? s.origin : issuer,
          "--origin", s.origin,
          "--xyz", xyz,
          // The rogue site has no registration to provision users with.
          ...(s.rogue ? [] : ["--xyz-internal", `http://127.0.0.1:${ports.xyz}`]),
          "--users", DEMO_USERS[s.client].join(","),
        ],
        { cwd: ROOT, stdio: stdio(s.site) },
      );
      children.push(child);
    }
    await Promise.all(all.map((s, i) => waitFor(`http://127.0.0.1:${s.port}/session`, s.site, children[i + 1])));
    return { xyz, sites: all.map(({ site, origin }) => ({ site, origin })), stop };
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
    },
    dataDir: process.env.CROSSPASS_DATA ?? join(ROOT, ".data", "demo"),
    serverBin: process.env.CROSSPASS_SERVER_BIN,
  });
  console.log(`\nCrosspass demo is up. Open in a browser:\n`);
  console.log(`  XYZ (hub, API)         ${stack.xyz}`);
  for (const s of stack.sites) console.log(`  ${s.site.padEnd(22)} ${s.origin}`);
  console.log(`\nabc and example2 are two sites of tenant abc; def is another tenant. Ctrl-C stops.`);
  const shutdown = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
