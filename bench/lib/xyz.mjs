// The real XYZ server for the benchmarks: the `server`-profile binary, a throwaway
// SQLite file, and the few calls the benchmarks make to it from Node.
import { spawn } from "node:child_process";
import { openSync, existsSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../demo/stack.mjs";
import { ROOT, run } from "./util.mjs";

const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
/** The binary under test (CROSSPASS_SERVER_BIN, as for the e2e suite, or the server build). */
export const SERVER_BIN = process.env.CROSSPASS_SERVER_BIN ?? join(TARGET, "server", "crosspass");
export const SEED_BIN = join(TARGET, "server", "crosspass-bench");
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Configuration of an XYZ server on `port` keeping its data in `dataDir`. */
export function xyzConfig(port, dataDir) {
  const issuer = `http://sso.localhost:${port}`;
  const databaseUrl = `sqlite://${join(dataDir, "crosspass.sqlite")}?mode=rwc`;
  return {
    port,
    issuer,
    databaseUrl,
    // Node cannot resolve *.localhost: it talks to the server on the loopback address.
    internal: `http://127.0.0.1:${port}`,
    env: {
      ...process.env,
      CROSSPASS_ISSUER: issuer,
      CROSSPASS_LISTEN: `127.0.0.1:${port}`,
      CROSSPASS_DATABASE_URL: databaseUrl,
      CROSSPASS_WWW_DIR: join(ROOT, "www"),
      CROSSPASS_DIST_DIR: join(ROOT, "dist"),
      // The load comes from one address at rates no client should reach: the throughput
      // figures are the server's, not its limits'.
      // Without a build of the frames (a server-only run), an API-only server.
      CROSSPASS_SERVE_FRAMES: existsSync(join(ROOT, "dist", "manifest.json")) ? "true" : "false",
      CROSSPASS_RATE_LIMIT_PER_ADDRESS: "0",
      CROSSPASS_RATE_LIMIT_PER_CLIENT: "0",
    },
  };
}

/** Runs `crosspass <args>` (the admin CLI) against the server's database. */
export const cli = (xyz, ...args) => run(SERVER_BIN, args, { env: xyz.env });

/** Starts `crosspass serve`; resolves with `stop()` once it answers. Logs go to `logFile`. */
export async function serve(xyz, logFile) {
  const fd = openSync(logFile, "a");
  const child = spawn(SERVER_BIN, ["serve"], { env: xyz.env, stdio: ["ignore", fd, fd] });
  const stop = () =>
    new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", resolve), child.kill("SIGTERM"))));
  try {
    await waitFor(`${xyz.internal}/healthz`, "XYZ server", child);
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: child.pid, stop };
}

/** Redeems an assertion at the token endpoint; resolves with the access token. */
export async function redeem(xyz, assertion) {
  const res = await fetch(`${xyz.internal}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint answered ${res.status} ${body.error}: ${body.error_description}`);
  return body.access_token;
}

/** Stores `data` as the first version of the token's user's record. */
export async function putFirstRecord(xyz, token, data) {
  const res = await fetch(`${xyz.internal}/api/v1/me/record`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "if-match": '"v0"' },
    body: JSON.stringify(data),
  });
  if (!res.ok) throw new Error(`storing the record answered ${res.status} ${await res.text()}`);
}
