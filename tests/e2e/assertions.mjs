// Mints partner assertions and client assertions with abc's real key, correct or broken
// on purpose.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { SignJWT, importJWK } from "jose";
import { clientAssertion } from "../../demo/lib.mjs";
import { ABC, XYZ } from "./env.mjs";

/** The private JWK the abc site signs with (made by the stack in its data dir). */
function abcKey() {
  return JSON.parse(readFileSync(join(process.env.E2E_DATA_DIR, "keys", "abc.private.jwk"), "utf8"));
}

/** An assertion for `sub` on client abc; `claims` overrides or removes (undefined) claims. */
export async function mintAbcAssertion(sub, claims = {}) {
  const jwk = abcKey();
  const now = Math.floor(Date.now() / 1000);
  const body = {
    iss: ABC,
    sub,
    aud: XYZ,
    client_id: "abc",
    jti: randomUUID(),
    iat: now,
    exp: now + 120,
    scope: "form.read form.write",
    ...claims,
  };
  return new SignJWT(body)
    .setProtectedHeader({ alg: "ES256", typ: "oauth-id-jag+jwt", kid: jwk.kid })
    .sign(await importJWK(jwk, "ES256"));
}

/** A one-use `private_key_jwt` client assertion of abc for the server whose issuer is `audience`. */
export async function abcClientAssertion(audience) {
  const jwk = abcKey();
  return clientAssertion({ kid: jwk.kid, privateKey: await importJWK(jwk, "ES256") }, "abc", audience);
}
