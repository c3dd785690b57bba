// A demo partner site: the whole backend a partner needs to embed the XYZ form.
//
//   node demo/partner.mjs keygen --key FILE         create a signing key (once), print its public JWKS
//   node demo/partner.mjs serve  --site abc --port 8081 --client-id abc --key FILE \
//        --issuer http://abc.localhost:8081 --origin http://abc.localhost:8081 \
//        --xyz http://sso.localhost:8080 --xyz-internal http://127.0.0.1:8080 --users alice,bob \
//        [--dir www/abc]   (the site's pages; DEF's are its Vite build in dist/def)
//
// The parts every real partner writes: `provision` (create the XYZ user of each of its
// users, flow B) and `mintAssertion` with the `/xyz-assertion` route in front of it
// (check our own session, then sign a short-lived, single-use ID-JAG assertion with our
// own key; XYZ pinned the public half when it registered us). The rest is a toy login.
// Calls to XYZ go to --xyz-internal: servers cannot resolve *.localhost names.

import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT, exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint } from "jose";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ALG = "ES256";
const ASSERTION_LIFETIME_SECS = 120;

const { positionals, values: opt } = parseArgs({
  allowPositionals: true,
  options: {
    key: { type: "string" },
    site: { type: "string" },
    dir: { type: "string" },
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    "client-id": { type: "string" },
    issuer: { type: "string" },
    origin: { type: "string" },
    xyz: { type: "string" },
    "xyz-internal": { type: "string" },
    users: { type: "string", default: "alice,bob" },
  },
});

// --- keys --------------------------------------------------------------------------

/** Loads the private JWK from `file`, creating it first if it does not exist. */
async function loadOrCreateKey(file) {
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.alg = ALG;
    jwk.use = "sig";
    jwk.kid = await calculateJwkThumbprint(jwk);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(jwk, null, 2) + "\n", { mode: 0o600 });
  }
  const jwk = JSON.parse(await readFile(file, "utf8"));
  const { d: _private, ...publicJwk } = jwk;
  return { kid: jwk.kid, privateKey: await importJWK(jwk, ALG), publicJwk };
}

// --- the assertion: the one piece every partner writes -----------------------------

/**
 * An ID-JAG assertion that `user` of this partner may use XYZ's form. Single-use
 * (fresh `jti`), short-lived, audience-bound to XYZ, signed with the partner's key.
 */
async function mintAssertion(key, user) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: opt["client-id"], scope: "form.read form.write" })
    .setProtectedHeader({ alg: ALG, typ: "oauth-id-jag+jwt", kid: key.kid })
    .setIssuer(opt.issuer)
    .setSubject(user)
    .setAudience(opt.xyz)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECS)
    .sign(key.privateKey);
}

// --- provisioning: create the XYZ user when a partner user is created (flow B) -----

/** A one-use `private_key_jwt` client assertion (RFC 7523 §2.2) authenticating us to XYZ. */
async function clientAssertion(key) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: ALG, typ: "JWT", kid: key.kid })
    .setIssuer(opt["client-id"])
    .setSubject(opt["client-id"])
    .setAudience(opt.xyz)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(key.privateKey);
}

/** Creates or updates the XYZ user for one of our users; idempotent. */
async function provision(key, user) {
  const url = `${opt["xyz-internal"]}/api/v1/partners/${opt["client-id"]}/users/${encodeURIComponent(user)}`;
  const res = await fetch(url, {
    method: "PUT",
    headers: { authorization: `Bearer ${await clientAssertion(key)}`, "content-type": "application/json" },
    body: JSON.stringify({ profile: { name: user } }),
  });
  if (!res.ok) throw new Error(`provisioning ${user} at XYZ: HTTP ${res.status} ${await res.text()}`);
}

// --- the toy partner app -----------------------------------------------------------

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "cache-control": "no-store", ...headers });
  res.end(body);
}

function json(res, status, value) {
  send(res, status, JSON.stringify(value), { "content-type": "application/json" });
}

function cookies(req) {
  return Object.fromEntries(
    (req.headers.cookie ?? "").split(";").map((c) => c.trim().split("=")).filter(([k]) => k),
  );
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) throw new Error("form too large");
  }
  return new URLSearchParams(body);
}

/** Serves `file`; HTML gets the XYZ origin and client id filled in. */
async function sendFile(res, file) {
  let body = await readFile(file);
  const type = TYPES[extname(file)] ?? "application/octet-stream";
  if (extname(file) === ".html") {
    body = body
      .toString("utf8")
      .replaceAll("{{XYZ_ORIGIN}}", opt.xyz)
      .replaceAll("{{CLIENT_ID}}", opt["client-id"]);
  }
  send(res, 200, body, { "content-type": type });
}

/** Resolves `urlPath` inside `dir`, refusing anything that escapes it. */
function inside(dir, urlPath) {
  const file = normalize(join(dir, decodeURIComponent(urlPath)));
  return file.startsWith(dir + "/") ? file : null;
}

async function serve() {
  const key = await loadOrCreateKey(opt.key);
  const users = opt.users.split(",");
  const sessions = new Map(); // session id → user id
  const cookieName = `${opt.site}_session`;
  const siteDir = resolve(ROOT, opt.dir ?? join("www", opt.site));

  if (opt["xyz-internal"]) for (const user of users) await provision(key, user);

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, opt.origin);
    const sid = cookies(req)[cookieName];
    const user = sid ? sessions.get(sid) : undefined;
    try {
      if (req.method === "GET" && url.pathname === "/session") {
        return json(res, 200, { user: user ?? null, users });
      }
      if (req.method === "POST" && url.pathname === "/login") {
        const picked = (await readForm(req)).get("user");
        if (!users.includes(picked)) return send(res, 400, "unknown user");
        const id = randomUUID();
        sessions.set(id, picked);
        return send(res, 303, "", {
          location: "/",
          "set-cookie": `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax`,
        });
      }
      if (req.method === "POST" && url.pathname === "/logout") {
        if (sid) sessions.delete(sid);
        return send(res, 303, "", {
          location: "/",
          "set-cookie": `${cookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
        });
      }
      if (req.method === "POST" && url.pathname === "/xyz-assertion") {
        // Only our own pages may ask (the Origin check stops cross-site requests riding
        // on the session cookie), and only for a signed-in user.
        if (req.headers.origin !== opt.origin) return json(res, 403, { error: "forbidden" });
        if (!user) return json(res, 401, { error: "login_required" });
        return json(res, 200, { assertion: await mintAssertion(key, user) });
      }
      if (req.method === "GET" && (url.pathname === "/site.js" || url.pathname === "/site.css")) {
        return await sendFile(res, join(ROOT, "demo", url.pathname.slice(1)));
      }
      if (req.method === "GET") {
        const path = url.pathname.endsWith("/") ? url.pathname + "index.html" : url.pathname;
        const file = inside(siteDir, path);
        if (file && existsSync(file)) return await sendFile(res, file);
        return send(res, 404, "not found");
      }
      send(res, 405, "method not allowed");
    } catch (e) {
      console.error(`${opt.site}: ${req.method} ${url.pathname}: ${e.message}`);
      if (!res.headersSent) send(res, 500, "internal error");
    }
  });
  server.listen(Number(opt.port), opt.host, () => {
    console.log(`${opt.site}: ${opt.origin} (listening on ${opt.host}:${opt.port})`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

switch (positionals[0]) {
  case "keygen": {
    const { publicJwk } = await loadOrCreateKey(opt.key);
    console.log(JSON.stringify({ keys: [publicJwk] }));
    break;
  }
  case "serve":
    await serve();
    break;
  default:
    console.error("usage: node demo/partner.mjs keygen|serve [options] (see the top of this file)");
    process.exit(2);
}
