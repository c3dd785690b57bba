// MyHealth: a downstream API outside XYZ that accepts XYZ-issued tokens (chained delegation). It
// has its own users, its own signing key and its own token validation.
//
//   node demo/myhealth.mjs keygen --key FILE       create its signing key (once), print its public JWKS
//   node demo/myhealth.mjs serve --port 8084 --origin http://myhealth.localhost:8084 --key FILE \
//        --xyz http://sso.localhost:8080 --xyz-internal http://127.0.0.1:8080 \
//        --partner-origins http://abc.localhost:8081 --users alice,bob
//
// Its two jobs toward XYZ:
//  * account links: its signed-in user may share their MyHealth account with XYZ. Its
//    backend signs a short-lived, single-use statement "p-1001 is my user" for XYZ's
//    issuer (`/link-statement`), with the nonce XYZ issued for the XYZ user being linked;
//    the page posts it to the partner page that opened it
//    (exact origin), which hands it to XYZ with the user's XYZ token.
//  * `POST /xyz/record`: XYZ sends a linked user's saved record here, on the user's
//    behalf, with a token exchanged for MyHealth. MyHealth trusts it only after its own
//    checks: signed with a key of XYZ's JWKS (read from --xyz-internal), `typ` at+jwt,
//    `iss` XYZ, `aud` MyHealth itself, unexpired, an `act` claim naming who acts for
//    the user, scope `form.read`, and a `sub` that is one of its own users.

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT, createRemoteJWKSet, jwtVerify } from "jose";
import { ALG, HttpError, cookies, json, listen, loadOrCreateKey, main, now, readBody, readForm, send } from "./lib.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const STATEMENT_LIFETIME_SECS = 120;
const REQUIRED_SCOPE = "form.read";
const KEPT = 20;

const { positionals, values: opt } = parseArgs({
  allowPositionals: true,
  options: {
    key: { type: "string" },
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    origin: { type: "string" },
    xyz: { type: "string" },
    "xyz-internal": { type: "string" },
    "partner-origins": { type: "string", default: "" },
    users: { type: "string", default: "alice,bob" },
  },
});

/** MyHealth's own patients: its ids are its own, unrelated to XYZ's or a partner's. */
const patients = opt.users.split(",").map((name, i) => ({ id: `p-${1001 + i}`, name }));
const partnerOrigins = opt["partner-origins"].split(",").filter(Boolean);

/**
 * A statement for XYZ that `patient` is MyHealth's user (the account-link step),
 * signing back the nonce XYZ issued to the XYZ user being linked.
 */
function linkStatement(key, patient, nonce) {
  const t = now();
  return new SignJWT({ nonce })
    .setProtectedHeader({ alg: ALG, typ: "account-link+jwt", kid: key.kid })
    .setIssuer(opt.origin)
    .setSubject(patient.id)
    .setAudience(opt.xyz)
    .setJti(randomUUID())
    .setIssuedAt(t)
    .setExpirationTime(t + STATEMENT_LIFETIME_SECS)
    .sign(key.privateKey);
}

/** A refused call of XYZ's, with the RFC 6750 challenge. */
const refused = (status, error, description) =>
  new HttpError(status, error, description, { "www-authenticate": `Bearer error="${error}"` });

/** MyHealth's own checks of a token that claims to come from XYZ. */
async function verifyXyzToken(xyzKeys, authorization) {
  const token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) throw refused(401, "invalid_token", "a bearer token is required");
  let payload;
  try {
    ({ payload } = await jwtVerify(token, xyzKeys, {
      issuer: opt.xyz,
      audience: opt.origin,
      typ: "at+jwt",
      algorithms: ["EdDSA", "ES256"],
    }));
  } catch (e) {
    throw refused(401, "invalid_token", `not a valid XYZ token for MyHealth (${e.code ?? "invalid"})`);
  }
  if (typeof payload.act?.sub !== "string") {
    throw refused(403, "access_denied", "only a delegated token (with act) may push records");
  }
  if (!String(payload.scope ?? "").split(" ").includes(REQUIRED_SCOPE)) {
    throw refused(403, "insufficient_scope", `the token lacks the ${REQUIRED_SCOPE} scope`);
  }
  const patient = patients.find((p) => p.id === payload.sub);
  if (!patient) throw refused(403, "access_denied", "not a MyHealth patient");
  return { patient, payload };
}

/** The names of the actors in an `act` chain, the current one first. */
function actors(act) {
  const chain = [];
  for (let a = act; a && chain.length < 8; a = a.act) chain.push(String(a.sub));
  return chain;
}

async function page(res, name) {
  send(res, 200, await readFile(join(ROOT, "www", "myhealth", name)), { "content-type": "text/html; charset=utf-8" });
}

async function serve() {
  const key = await loadOrCreateKey(opt.key);
  const xyzKeys = createRemoteJWKSet(new URL(`${opt["xyz-internal"]}/.well-known/jwks.json`));
  const sessions = new Map(); // session id → patient id
  const received = new Map(); // patient id → what XYZ sent, newest first
  const cookieName = "myhealth_session";

  listen("myhealth", { origin: opt.origin, port: opt.port, host: opt.host }, async (req, res, url) => {
    const sid = cookies(req)[cookieName];
    const patient = patients.find((p) => p.id === (sid && sessions.get(sid)));
    if (req.method === "GET" && url.pathname === "/") return await page(res, "index.html");
    if (req.method === "GET" && url.pathname === "/link") return await page(res, "link.html");
    if (req.method === "GET" && url.pathname === "/site.css") {
      return send(res, 200, await readFile(join(ROOT, "demo", "site.css")), { "content-type": "text/css" });
    }
    if (req.method === "GET" && url.pathname === "/myhealth.js") {
      return send(res, 200, await readFile(join(ROOT, "www", "myhealth", "myhealth.js")), {
        "content-type": "text/javascript; charset=utf-8",
      });
    }
    if (req.method === "GET" && url.pathname === "/session") {
      return json(res, 200, { patient: patient ?? null, patients, partnerOrigins });
    }
    if (req.method === "POST" && url.pathname === "/login") {
      const form = await readForm(req);
      const picked = patients.find((p) => p.id === form.get("patient"));
      if (!picked) return send(res, 400, "unknown patient");
      // Back to a page of this site only.
      const back = form.get("return") ?? "/";
      const id = randomUUID();
      sessions.set(id, picked.id);
      return send(res, 303, "", {
        location: back.startsWith("/") && !back.startsWith("//") ? back : "/",
        "set-cookie": `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax`,
      });
    }
    if (req.method === "POST" && url.pathname === "/logout") {
      if (sid) sessions.delete(sid);
      return send(res, 303, "", { location: "/", "set-cookie": `${cookieName}=; Path=/; HttpOnly; Max-Age=0` });
    }
    if (req.method === "POST" && url.pathname === "/link-statement") {
      // Our own page only, for our signed-in patient: another site cannot make the
      // patient's browser fetch one.
      if (req.headers.origin !== opt.origin) return json(res, 403, { error: "forbidden" });
      if (!patient) return json(res, 401, { error: "login_required" });
      let nonce = "";
      try {
        nonce = String(JSON.parse(await readBody(req)).nonce ?? "");
      } catch {
        // not JSON: no nonce
      }
      if (!/^[A-Za-z0-9_-]{8,128}$/.test(nonce)) return json(res, 400, { error: "nonce_required" });
      return json(res, 200, { statement: await linkStatement(key, patient, nonce) });
    }
    if (req.method === "GET" && url.pathname === "/received") {
      if (!patient) return json(res, 401, { error: "login_required" });
      return json(res, 200, { received: received.get(patient.id) ?? [] });
    }
    if (req.method === "POST" && url.pathname === "/xyz/record") {
      const { patient: who, payload } = await verifyXyzToken(xyzKeys, req.headers.authorization);
      let body = null;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        // answered below
      }
      if (!body?.record || typeof body.record !== "object" || !Number.isInteger(body.version)) {
        return json(res, 400, { error: "invalid_request", error_description: "expected {record, version}" });
      }
      const list = received.get(who.id) ?? [];
      // Saves may arrive out of order: the highest version wins.
      if (list.length && list[0].version >= body.version) return json(res, 200, { kept: false });
      list.unshift({ at: now(), version: body.version, record: body.record, actors: actors(payload.act) });
      received.set(who.id, list.slice(0, KEPT));
      console.log(`myhealth: record v${body.version} for ${who.id} from ${actors(payload.act).join(" <- ")}`);
      return json(res, 200, { kept: true });
    }
    send(res, 404, "not found");
  });
}

await main("myhealth.mjs", positionals[0], opt.key, serve);
