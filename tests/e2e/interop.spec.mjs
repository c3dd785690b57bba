// XYZ's token endpoint against a mainstream JOSE library (jose), no browser: an
// assertion jose signs is accepted once, and the access token XYZ returns verifies with
// jose against XYZ's published keys and metadata.
import { test, expect } from "@playwright/test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { ABC, XYZ, XYZ_INTERNAL } from "./env.mjs";
import { mintAbcAssertion } from "./assertions.mjs";

function redeem(assertion) {
  return fetch(`${XYZ_INTERNAL}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion,
      client_id: "abc",
    }),
  });
}

test("a jose-signed assertion is redeemed once; the access token verifies with jose", async () => {
  const metadata = await (await fetch(`${XYZ_INTERNAL}/.well-known/oauth-authorization-server`)).json();
  expect(metadata.issuer).toBe(XYZ);
  expect(metadata.token_endpoint).toBe(`${XYZ}/oauth/token`);

  const assertion = await mintAbcAssertion("alice", { scope: "form.read" });
  const res = await redeem(assertion);
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toContain("no-store");
  const grant = await res.json();
  expect(grant).toMatchObject({ token_type: "Bearer", scope: "form.read" });

  const keys = createRemoteJWKSet(new URL(`${XYZ_INTERNAL}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(grant.access_token, keys, {
    issuer: XYZ,
    audience: `${XYZ}/api`,
    typ: "at+jwt",
  });
  expect(protectedHeader.kid).toBeTruthy();
  expect(payload).toMatchObject({ client_id: "abc", scope: "form.read" });
  expect(payload.sub).not.toBe("alice"); // an XYZ user id, not the partner's
  expect(payload.exp - payload.iat).toBeLessThanOrEqual(3600);

  // Single use: the same assertion again is refused, without echoing it.
  const again = await redeem(assertion);
  expect(again.status).toBe(400);
  const body = await again.text();
  expect(JSON.parse(body).error).toBe("invalid_grant");
  expect(body).not.toContain(assertion);
});

test("an assertion from an unregistered issuer is refused", async () => {
  const res = await redeem(await mintAbcAssertion("alice", { iss: ABC.replace("abc.", "abc2.") }));
  expect(res.status).toBe(400);
  expect((await res.json()).error).toBe("invalid_grant");
});
