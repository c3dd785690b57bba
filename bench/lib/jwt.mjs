// Partner keys and ID-JAG assertions for the benchmarks, signed with node:crypto
// (OpenSSL), fast enough to pre-mint a hundred thousand single-use assertions.
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";

/** Longest lifetime XYZ accepts for an assertion (docs/design.md: exp ≤ 5 min). */
export const ASSERTION_LIFETIME_SECS = 300;

/** A new P-256 key pair: `{ kid, privateKey, jwks }` (the public JWKS XYZ pins). */
export function newPartnerKey(kid = "bench-es256") {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" };
  return { kid, privateKey, jwks: { keys: [jwk] } };
}

const b64 = (text) => Buffer.from(text).toString("base64url");

/**
 * A fresh single-use assertion of `sub` at partner `clientId` (issuer `iss`) for XYZ
 * `aud`, valid for `lifetime` seconds.
 */
export function mintAssertion(key, { iss, sub, aud, clientId, lifetime = ASSERTION_LIFETIME_SECS }) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64(JSON.stringify({ alg: "ES256", typ: "oauth-id-jag+jwt", kid: key.kid }));
  const claims = b64(
    JSON.stringify({
      iss,
      sub,
      aud,
      client_id: clientId,
      jti: randomUUID(),
      iat: now,
      exp: now + lifetime,
      scope: "form.read form.write",
    }),
  );
  const input = `${header}.${claims}`;
  const signature = sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}
