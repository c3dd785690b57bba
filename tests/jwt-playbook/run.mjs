// The JWT attack playbook, black box: a running `crosspass serve` (its own SQLite
// file, registered through the CLI) is sent every forgery jwtXploiter makes from a
// genuine token, at each place XYZ accepts a JWT: partner assertions at the token
// endpoint, client assertions at provisioning, and access tokens at the data API. The
// genuine token is accepted first, so each refusal is the forgery's. Prints what was
// sent and the answer; exits 1 if any forgery is accepted or anything fetches the
// attacker's key URLs.
//
// Usage: node tests/jwt-playbook/run.mjs   (CROSSPASS_SERVER_BIN, JWTXPL override
// the binaries; scripts/setup.sh installs jwtXploiter under .tools/).
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, importJWK } from "jose";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = process.env.CROSSPASS_SERVER_BIN ?? join(ROOT, "target/debug/crosspass");
const JWTXPL = process.env.JWTXPL ?? join(ROOT, ".tools/jwtxploiter/bin/jwtxpl");
const PORT = 18290;
const ISSUER = `http://sso.localhost:${PORT}`;
const ABC = "http://abc.localhost:18291";
const PQR = "http://pqr.localhost:18292";

const dir = mkdtempSync(join(tmpdir(), "crosspass-playbook-"));
const env = {
  ...process.env,
  CROSSPASS_ISSUER: ISSUER,
  CROSSPASS_LISTEN: `127.0.0.1:${PORT}`,
  CROSSPASS_DATABASE_URL: `sqlite://${join(dir, "xyz.db")}?mode=rwc`,
  CROSSPASS_WWW_DIR: join(ROOT, "www"),
  CROSSPASS_DIST_DIR: join(ROOT, "dist"),
  // JWTs only: no frames, so no build of them is needed.
  CROSSPASS_SERVE_FRAMES: "false",
  RUST_LOG: "warn",
};
const execFileAsync = promisify(execFile);
const cli = (...args) => execFileSync(BIN, args, { env, encoding: "utf8" });
const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** A partner with its own key: `abc` signs EdDSA, `pqr` ES256. */
async function partner(id, origin, alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { crv: alg === "EdDSA" ? "Ed25519" : undefined, extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: `${id}-1`, alg, use: "sig" };
  const jwks = join(dir, `${id}.json`);
  writeFileSync(jwks, JSON.stringify({ keys: [jwk] }));
  const pem = join(dir, `${id}.pem`);
  writeFileSync(pem, await exportSPKI(publicKey));
  cli("partner", "add", "--client-id", id, "--tenant", id, "--issuer", origin, "--jwks", jwks, "--origin", origin);
  cli("user", "provision", "--tenant", id, "alice");
  const sign = (header, claims) => new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
  return {
    id,
    pem,
    /** A genuine ID-JAG for alice. */
    assertion: () =>
      sign({ alg, kid: jwk.kid, typ: "oauth-id-jag+jwt" }, {
        iss: origin, sub: "alice", aud: ISSUER, client_id: id, jti: randomUUID(), iat: now(), exp: now() + 120,
      }),
    /** A genuine client assertion (private_key_jwt). */
    clientAssertion: () =>
      sign({ alg, kid: jwk.kid, typ: "JWT" }, {
        iss: id, sub: id, aud: ISSUER, jti: randomUUID(), iat: now(), exp: now() + 60,
      }),
  };
}

async function post(path, form) {
  const res = await fetch(`${ISSUER.replace("sso.localhost", "127.0.0.1")}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function call(method, path, bearer, body) {
  const res = await fetch(`${ISSUER.replace("sso.localhost", "127.0.0.1")}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/**
 * jwtXploiter's forgery of `token` (its `--quiet` output is the token alone). Run
 * asynchronously: it may download from the attacker's server in this process.
 */
async function xpl(token, args) {
  const { stdout } = await execFileAsync(JWTXPL, [token, ...args, "--quiet"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return stdout.trim().split(/\s+/).pop().replace(/\x1b\[[0-9;]*m/g, "");
}

/** CVE-2022-21449 ("psychic signatures"): ES256 with r = s = 0. */
function psychic(token, kid) {
  const [, payload] = token.split(".");
  const header = b64(JSON.stringify({ ...JSON.parse(Buffer.from(token.split(".")[0], "base64url")), alg: "ES256", kid }));
  return `${header}.${payload}.${b64(new Uint8Array(64))}`;
}

// The attacker's server. jwtXploiter downloads the key document a token's `jku` or
// `x5u` names while it crafts (served under /orig/), and expects its own to be hosted
// at /.well-known/jwks.json; any request while a forgery is being answered is XYZ
// fetching an attacker's URL.
const hits = [];
const originals = new Map();
let answering = false;
const trap = createServer((req, res) => {
  if (answering) hits.push(req.url);
  const body = originals.get(req.url) ?? readIfThere(join(dir, "jwks.json"));
  if (body) res.writeHead(200, { "content-type": "application/json" }).end(body);
  else res.writeHead(404).end();
});
function readIfThere(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
await new Promise((r) => trap.listen(18293, "127.0.0.1", r));
const TRAP = "http://127.0.0.1:18293";

cli("migrate");
const abc = await partner("abc", ABC, "EdDSA");
const pqr = await partner("pqr", PQR, "ES256");
const server = spawn(BIN, ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
const rows = [];
let failed = false;
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`http://127.0.0.1:${PORT}/healthz`).catch(() => null))?.ok) break;
    if (i > 100) throw new Error("crosspass serve did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  const redeem = (assertion) => post("/oauth/token", { grant_type: grant, assertion });
  const provision = (clientAssertion) => call("PUT", "/api/v1/partners/abc/users/mallory", clientAssertion, {});
  const read = (token) => call("GET", "/api/v1/me/record", token);

  // The genuine articles work, so every refusal below is the forgery's.
  const genuine = [
    ["ID-JAG (EdDSA)", await redeem(await abc.assertion())],
    ["ID-JAG (ES256)", await redeem(await pqr.assertion())],
    ["client assertion", await provision(await abc.clientAssertion())],
  ];
  const access = genuine[0][1].body.access_token;
  genuine.push(["access token", await read(access)]);
  for (const [what, r] of genuine) {
    rows.push(["genuine", what, "(none)", r.status, r.body?.error ?? "-"]);
    if (r.status >= 300) failed = true;
  }

  // jwtXploiter's modes, each on a fresh genuine token of every kind.
  const jwks = await (await fetch(`http://127.0.0.1:${PORT}/.well-known/jwks.json`)).json();
  const xyzPem = join(dir, "xyz.pem");
  writeFileSync(xyzPem, await exportSPKI(await importJWK(jwks.keys[0], "EdDSA")));
  // jwtXploiter crafts HS256, RS256 or none tokens (it knows no EdDSA or ES256), and
  // swaps a `jku` or `x5u` the token already has: those two start from the genuine
  // token with XYZ's own JWKS URL added to its header.
  const modes = (pem) => [
    ["alg none", ["-a", "none", "--unverified"]],
    ["alg None", ["-a", "None", "--unverified"]],
    ["signature stripped (alg HS256)", ["-n", "-a", "HS256"]],
    ["HS256 with a blank key", ["-a", "HS256", "-b"]],
    ["key confusion: HS256 keyed with the public key", ["-a", "HS256", "-k", pem]],
    ["kid injection: path traversal", ["--inject-kid", "dirtrv", "-a", "HS256"]],
    ["kid injection: SQL", ["--inject-kid", "sqli", "-a", "HS256"]],
    ["kid injection: command", ["--inject-kid", "rce", "-a", "HS256"]],
    ["jku: the attacker's JWKS", ["--jku-basic", TRAP, "-a", "RS256"], "jku"],
    ["x5u: the attacker's certificate", ["--x5u-basic", TRAP, "-a", "RS256"], "x5u"],
    ["jwk: the attacker's key embedded", ["--generate-jwk", "-a", "RS256"]],
    ["claim tampering: sub", ["-p", "sub:bob", "-a", "HS256", "--unverified"]],
    ["claim tampering: exp + 24 h", ["-T", "24", "-a", "HS256", "--unverified"]],
  ];
  originals.set("/orig/jku.json", JSON.stringify(jwks));
  originals.set("/orig/x5u.json", JSON.stringify({ keys: [{ ...jwks.keys[0], x5c: ["MIIB"] }] }));
  /** `token` with `member` (jku or x5u) naming a key document in its header. */
  const withUrl = (token, member) => {
    const [h, p, sig] = token.split(".");
    const header = { ...JSON.parse(Buffer.from(h, "base64url")), [member]: `${TRAP}/orig/${member}.json` };
    return `${b64(JSON.stringify(header))}.${p}.${sig}`;
  };
  // By hand, what jwtXploiter cannot make: forgeries under the allowed algorithms,
  // signed with the attacker's own Ed25519 key.
  const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const attackerJwk = await exportJWK(attacker.publicKey);
  const byHand = (token, kid) => {
    const [h, p, sig] = token.split(".");
    const header = JSON.parse(Buffer.from(h, "base64url"));
    const claims = JSON.parse(Buffer.from(p, "base64url"));
    const own = (extra) => new SignJWT(claims).setProtectedHeader({ ...header, alg: "EdDSA", ...extra }).sign(attacker.privateKey);
    return [
      ["psychic signature (ES256, r = s = 0)", () => psychic(token, kid)],
      ["signature stripped, header kept", () => `${h}.${p}.`],
      ["claim tampering: sub, header and signature kept", () => `${h}.${b64(JSON.stringify({ ...claims, sub: "bob" }))}.${sig}`],
      ["attacker's EdDSA key, the pinned kid", () => own({ kid })],
      ["attacker's EdDSA key embedded as jwk and named by jku/x5u", () => own({ kid, jwk: attackerJwk, jku: `${TRAP}/.well-known/jwks.json`, x5u: `${TRAP}/cert.pem` })],
      ["kid injection under EdDSA: path traversal", () => own({ kid: "../../../../dev/null" })],
      ["kid injection under EdDSA: SQL", () => own({ kid: `${kid}' OR '1'='1` })],
    ];
  };
  const surfaces = [
    ["ID-JAG at /oauth/token", () => abc.assertion(), redeem, abc.pem, "abc-1"],
    ["ID-JAG (ES256) at /oauth/token", () => pqr.assertion(), redeem, pqr.pem, "pqr-1"],
    ["client assertion at provisioning", () => abc.clientAssertion(), provision, abc.pem, "abc-1"],
    ["access token at the API", async () => access, read, xyzPem, jwks.keys[0].kid],
  ];
  for (const [surface, fresh, send, pem, kid] of surfaces) {
    const attacks = modes(pem).map(([name, args, url]) => [
      name,
      args.join(" ").replace(dir, "…"),
      async () => xpl(url ? withUrl(await fresh(), url) : await fresh(), args),
    ]);
    for (const [name, forge] of byHand(await fresh(), kid)) attacks.push([name, "(by hand)", forge]);
    if (surface.startsWith("access")) {
      attacks.push(["claim tampering: scope", "-p scope:admin -a HS256 --unverified", async () => xpl(access, ["-p", "scope:admin", "-a", "HS256", "--unverified"])]);
    }
    for (const [name, command, forge] of attacks) {
      let answer;
      try {
        const forged = await forge();
        answering = true;
        answer = await send(forged);
        answering = false;
      } catch (e) {
        const why = String(e.stderr ?? e.message).replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n").pop();
        answer = { status: 0, body: { error: `jwtxpl failed: ${why}` } };
        failed = true;
      }
      rows.push([surface, name, command, answer.status, `${answer.body?.error ?? "-"}: ${answer.body?.error_description ?? ""}`]);
      if (answer.status < 400) failed = true;
    }
  }
  if (hits.length) {
    rows.push(["attacker's server", "fetched", hits.join(" "), "FETCHED", "-"]);
    failed = true;
  }
} finally {
  server.kill("SIGTERM");
  trap.close();
  rmSync(dir, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => String(r[i]).length)));
for (const r of [["surface", "attack", "jwtxpl", "status", "answer"], ...rows]) {
  console.log(r.map((c, i) => String(c).padEnd(widths[i])).join("  "));
}
const forgeries = rows.filter((r) => r[0] !== "genuine");
const refused = forgeries.filter((r) => r[3] >= 400).length;
console.log(failed ? "\nA FORGERY WAS ACCEPTED (or the playbook could not run)." : `\n${forgeries.length} forgeries, all refused; the attacker's URLs were never fetched.`);
console.log(`playbook: ${refused} refused, ${forgeries.length - refused + hits.length} accepted`);
process.exit(failed ? 1 : 0);
