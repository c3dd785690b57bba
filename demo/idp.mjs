// A minimal enterprise IdP for the demo: the IdP leg of Cross-App Access.
// A partner app whose users sign in through it trades a user's ID token for an ID-JAG
// (RFC 8693 token exchange, `requested_token_type=…:id-jag`), which XYZ then redeems
// like a partner's own assertion. XYZ trusts this IdP for one tenant (`crosspass idp add`).
//
//   node demo/idp.mjs keygen --key FILE       create its signing key (once), print its public JWKS
//   node demo/idp.mjs serve --port 8085 --issuer http://idp.localhost:8085 --key FILE \
//        --client abc=.data/demo/keys/abc.jwks.json --audience http://sso.localhost:8080 \
//        --users alice,bob
//
// Clients authenticate with `private_key_jwt` against the keys pinned by --client; a
// client's id here is its client id at XYZ too, so it goes into the ID-JAG's
// `client_id` unchanged. `POST /demo/id-token` stands in for the OpenID Connect
// sign-in (it asks the user for nothing): a real IdP issues the ID token to the
// partner only after the user has authenticated.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SignJWT, createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { ALG, HttpError, json, listen, loadOrCreateKey, main, now, readForm, send } from "./lib.mjs";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG = "urn:ietf:params:oauth:token-type:id-jag";
const CLIENT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const ID_TOKEN_LIFETIME_SECS = 3600;
const ID_JAG_LIFETIME_SECS = 120;

const { positionals, values: opt } = parseArgs({
  allowPositionals: true,
  options: {
    key: { type: "string" },
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    issuer: { type: "string" },
    client: { type: "string", multiple: true, default: [] },
    audience: { type: "string", multiple: true, default: [] },
    scopes: { type: "string", default: "form.read form.write" },
    users: { type: "string", default: "alice,bob" },
  },
});

/** An RFC 6749 §5.2 error answer. */
const oauthError = (error, description, status = 400) => new HttpError(status, error, description);

/** client id → its pinned public keys. */
const clients = new Map(
  opt.client.map((c) => {
    const [id, file] = c.split("=");
    return [id, createLocalJWKSet(JSON.parse(readFileSync(file, "utf8")))];
  }),
);
const users = new Set(opt.users.split(","));
const allowedScopes = new Set(opt.scopes.split(" "));
const usedJtis = new Map(); // jti → exp, so each client assertion is used once

/** `private_key_jwt`: the client this request authenticates as. */
async function authenticate(form) {
  const fail = (why) => oauthError("invalid_client", `client authentication failed: ${why}`, 401);
  if (form.get("client_assertion_type") !== CLIENT_ASSERTION || !form.get("client_assertion")) {
    throw fail("a private_key_jwt client assertion is required");
  }
  const assertion = form.get("client_assertion");
  let clientId;
  try {
    clientId = decodeJwt(assertion).iss;
  } catch {
    throw fail("not a JWT");
  }
  const keys = clients.get(clientId);
  if (!keys) throw fail("unknown client");
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      issuer: clientId,
      subject: clientId,
      audience: [opt.issuer, `${opt.issuer}/oauth/token`],
      algorithms: ["ES256", "EdDSA"],
      maxTokenAge: "5m",
      requiredClaims: ["jti", "exp", "iat"],
    }));
  } catch (e) {
    throw fail(e.code ?? "invalid assertion");
  }
  const t = now();
  for (const [jti, exp] of usedJtis) if (exp < t) usedJtis.delete(jti);
  if (usedJtis.has(payload.jti)) throw fail("client assertion already used");
  usedJtis.set(payload.jti, payload.exp);
  return clientId;
}

/** The stand-in for the OpenID Connect sign-in: an ID token of `user` for the client. */
async function idToken(key, form) {
  const clientId = await authenticate(form);
  const user = form.get("user");
  if (!users.has(user)) throw oauthError("invalid_request", "unknown user");
  const t = now();
  const token = await new SignJWT({ auth_time: t })
    .setProtectedHeader({ alg: ALG, typ: "JWT", kid: key.kid })
    .setIssuer(opt.issuer)
    .setSubject(user)
    .setAudience(clientId)
    .setIssuedAt(t)
    .setExpirationTime(t + ID_TOKEN_LIFETIME_SECS)
    .sign(key.privateKey);
  return { id_token: token, token_type: "N_A", expires_in: ID_TOKEN_LIFETIME_SECS };
}

/** RFC 8693 token exchange: the client's ID token of a user → an ID-JAG for `audience`. */
async function exchange(key, ownKeys, form) {
  if (form.get("grant_type") !== TOKEN_EXCHANGE) throw oauthError("unsupported_grant_type", "unsupported grant_type");
  const clientId = await authenticate(form);
  if (form.get("requested_token_type") !== ID_JAG) {
    throw oauthError("invalid_request", `requested_token_type must be ${ID_JAG}`);
  }
  if (form.get("subject_token_type") !== ID_TOKEN) {
    throw oauthError("invalid_request", `subject_token_type must be ${ID_TOKEN}`);
  }
  const audience = form.get("audience");
  if (!opt.audience.includes(audience)) {
    throw oauthError("invalid_target", "audience is not an authorization server this IdP issues ID-JAGs for");
  }
  let subject;
  try {
    // Issued by us, to this very client, and still valid.
    ({ payload: subject } = await jwtVerify(form.get("subject_token") ?? "", ownKeys, {
      issuer: opt.issuer,
      audience: clientId,
      algorithms: [ALG],
    }));
  } catch (e) {
    throw oauthError("invalid_grant", `subject_token: ${e.code ?? "invalid"}`);
  }
  const requested = (form.get("scope") ?? "").split(" ").filter(Boolean);
  const scope = requested.length ? requested : [...allowedScopes];
  if (!scope.every((s) => allowedScopes.has(s))) throw oauthError("invalid_scope", "scope not allowed");
  const t = now();
  const idJag = await new SignJWT({ client_id: clientId, scope: scope.join(" ") })
    .setProtectedHeader({ alg: ALG, typ: "oauth-id-jag+jwt", kid: key.kid })
    .setIssuer(opt.issuer)
    .setSubject(subject.sub)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt(t)
    .setExpirationTime(t + ID_JAG_LIFETIME_SECS)
    .sign(key.privateKey);
  console.log(`idp: ID-JAG for ${subject.sub} to ${clientId} at ${audience}`);
  return {
    access_token: idJag,
    issued_token_type: ID_JAG,
    // RFC 8693 §2.2.1: the ID-JAG is not an access token.
    token_type: "N_A",
    expires_in: ID_JAG_LIFETIME_SECS,
    scope: scope.join(" "),
  };
}

async function serve() {
  const key = await loadOrCreateKey(opt.key);
  const ownKeys = createLocalJWKSet({ keys: [key.publicJwk] });
  listen("idp", { origin: opt.issuer, port: opt.port, host: opt.host }, async (req, res, url) => {
    if (req.method === "GET" && url.pathname === "/") {
      return send(res, 200, "An enterprise IdP of the Crosspass demo: it issues ID-JAGs for XYZ (POST /oauth/token).\n", {
        "content-type": "text/plain; charset=utf-8",
      });
    }
    if (req.method === "GET" && url.pathname === "/.well-known/jwks.json") {
      return json(res, 200, { keys: [key.publicJwk] });
    }
    if (req.method === "POST" && url.pathname === "/demo/id-token") {
      return json(res, 200, await idToken(key, await readForm(req)));
    }
    if (req.method === "POST" && url.pathname === "/oauth/token") {
      return json(res, 200, await exchange(key, ownKeys, await readForm(req)));
    }
    send(res, 404, "not found");
  });
}

await main("idp.mjs", positionals[0], opt.key, serve);
