// A demo partner site: the whole backend a partner needs to embed the XYZ form.
//
//   node demo/partner.mjs keygen --key FILE         create a signing key (once), print its public JWKS
//   node demo/partner.mjs serve  --site abc --port 8081 --client-id abc --key FILE \
//        --issuer http://abc.localhost:8081 --origin http://abc.localhost:8081 \
//        --xyz http://sso.localhost:8080 --xyz-internal http://127.0.0.1:8080 --users alice,bob \
//        [--dir www/abc]   (the site's pages; DEF's are its Vite build in dist/def)
//        [--myhealth http://myhealth.localhost:8084]   (the downstream the page offers to link)
//        [--idp http://idp.localhost:8085 --idp-internal http://127.0.0.1:8085]
//
// The parts every real partner writes: `provision` (create the XYZ user of each of its
// users, provisioning) and `mintAssertion` with the `/xyz-assertion` route in front of it
// (check our own session, then sign a short-lived, single-use ID-JAG assertion with our
// own key; XYZ pinned the public half when it registered us). With --idp the site's
// users sign in through the tenant's enterprise IdP instead (Cross-App Access): the IdP issues
// the ID-JAG, in exchange for the user's ID token. The rest is a toy login.
// Calls to XYZ go to --xyz-internal: servers cannot resolve *.localhost names.

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ALG, clientAssertion, cookies, json, listen, loadOrCreateKey, main, postForm, readForm, send } from "./lib.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ASSERTION_LIFETIME_SECS = 120;
const SCOPE = "form.read form.write";

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
    myhealth: { type: "string", default: "" },
    idp: { type: "string" },
    "idp-internal": { type: "string" },
    // Serve pages with the strictest policy an integration needs: XYZ only in
    // script-src and frame-src, no 'wasm-unsafe-eval', no connect-src to XYZ.
    "strict-csp": { type: "boolean", default: false },
  },
});

/** The page policy of a partner that embeds XYZ by script tag and nothing else. */
function strictCsp() {
  return [
    "default-src 'self'",
    `script-src 'self' ${opt.xyz}`,
    `frame-src ${opt.xyz} ${opt.myhealth || ""}`.trim(),
    "connect-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

// --- the assertion: the one piece every partner writes -----------------------------

/**
 * An ID-JAG assertion that `user` of this partner may use XYZ's form. Single-use
 * (fresh `jti`), short-lived, audience-bound to XYZ, signed with the partner's key.
 */
async function mintAssertion(key, user) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: opt["client-id"], scope: SCOPE })
    .setProtectedHeader({ alg: ALG, typ: "oauth-id-jag+jwt", kid: key.kid })
    .setIssuer(opt.issuer)
    .setSubject(user)
    .setAudience(opt.xyz)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECS)
    .sign(key.privateKey);
}

// --- provisioning: create the XYZ user when a partner user is created (provisioning) -----

/** Creates or updates the XYZ user for one of our users; idempotent. */
async function provision(key, user) {
  const url = `${opt["xyz-internal"]}/api/v1/partners/${opt["client-id"]}/users/${encodeURIComponent(user)}`;
  const res = await fetch(url, {
    method: "PUT",
    headers: {
      authorization: `Bearer ${await clientAssertion(key, opt["client-id"], opt.xyz)}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ profile: { name: user } }),
  });
  if (!res.ok) throw new Error(`provisioning ${user} at XYZ: HTTP ${res.status} ${await res.text()}`);
}

// --- signing in through the enterprise IdP instead (Cross-App Access) ------------------------

/**
 * The user's ID token from the IdP. It stands in for the OpenID Connect sign-in,
 * whose callback hands a real partner the ID token; the demo IdP asks for no password.
 */
async function idpSignIn(key, user) {
  const r = await postForm(`${opt["idp-internal"]}/demo/id-token`, {
    user,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: await clientAssertion(key, opt["client-id"], opt.idp),
  });
  if (r.status !== 200) throw new Error(`IdP sign-in: HTTP ${r.status} ${r.body?.error ?? ""}`);
  return r.body.id_token;
}

/** The IdP's ID-JAG for XYZ, in exchange for the user's ID token (RFC 8693). */
async function idpAssertion(key, idToken) {
  const r = await postForm(`${opt["idp-internal"]}/oauth/token`, {
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    requested_token_type: "urn:ietf:params:oauth:token-type:id-jag",
    audience: opt.xyz,
    scope: SCOPE,
    subject_token: idToken,
    subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: await clientAssertion(key, opt["client-id"], opt.idp),
  });
  if (r.status !== 200) throw new Error(`IdP token exchange: HTTP ${r.status} ${r.body?.error ?? ""}`);
  return r.body.access_token;
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

/** Serves `file`; HTML gets the XYZ origin, client id and MyHealth origin filled in. */
async function sendFile(res, file) {
  let body = await readFile(file);
  const type = TYPES[extname(file)] ?? "application/octet-stream";
  if (extname(file) === ".html") {
    body = body
      .toString("utf8")
      .replaceAll("{{XYZ_ORIGIN}}", opt.xyz)
      .replaceAll("{{CLIENT_ID}}", opt["client-id"])
      .replaceAll("{{MYHEALTH_ORIGIN}}", opt.myhealth);
  }
  const headers = { "content-type": type };
  if (opt["strict-csp"] && extname(file) === ".html") headers["content-security-policy"] = strictCsp();
  send(res, 200, body, headers);
}

/** Resolves `urlPath` inside `dir`, refusing anything that escapes it. */
function inside(dir, urlPath) {
  const file = normalize(join(dir, decodeURIComponent(urlPath)));
  return file.startsWith(dir + "/") ? file : null;
}

async function serve() {
  const key = await loadOrCreateKey(opt.key);
  const users = opt.users.split(",");
  const sessions = new Map(); // session id → { user, idToken (with --idp) }
  const cookieName = `${opt.site}_session`;
  const siteDir = resolve(ROOT, opt.dir ?? join("www", opt.site));

  if (opt["xyz-internal"]) for (const user of users) await provision(key, user);

  listen(opt.site, { origin: opt.origin, port: opt.port, host: opt.host }, async (req, res, url) => {
    const sid = cookies(req)[cookieName];
    const session = sid ? sessions.get(sid) : undefined;
    const user = session?.user;
    if (req.method === "GET" && url.pathname === "/session") {
      return json(res, 200, { user: user ?? null, users });
    }
    if (req.method === "POST" && url.pathname === "/login") {
      const picked = (await readForm(req)).get("user");
      if (!users.includes(picked)) return send(res, 400, "unknown user");
      const id = randomUUID();
      sessions.set(id, { user: picked, idToken: opt.idp ? await idpSignIn(key, picked) : undefined });
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
      const assertion = opt.idp ? await idpAssertion(key, session.idToken) : await mintAssertion(key, user);
      return json(res, 200, { assertion });
    }
    // No icon, and no 404 in the console for it.
    if (req.method === "GET" && url.pathname === "/favicon.ico") return send(res, 204, "");
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
  });
}

await main("partner.mjs", positionals[0], opt.key, serve);
