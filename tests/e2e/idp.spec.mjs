// Scenario 10: Cross-App Access. example2's users sign in through tenant abc's
// enterprise IdP (demo/idp.mjs): the IdP trades the user's ID token for an ID-JAG
// (RFC 8693), and XYZ redeems the ID-JAG for its own access token. In Chromium on
// example2, then the two stages by hand from Node, with each refusal of the IdP.
import { test, expect } from "@playwright/test";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { postForm } from "../../demo/lib.mjs";
import { EXAMPLE2, IDP, IDP_INTERNAL, XYZ, XYZ_INTERNAL } from "./env.mjs";
import { abcClientAssertion } from "./assertions.mjs";
import { expectFormState, partnerSignIn, xyzForm } from "./pages.mjs";

const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG = "urn:ietf:params:oauth:token-type:id-jag";
const CLIENT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** abc authenticated at `audience` with a fresh client assertion. */
async function asAbc(audience) {
  return { client_assertion_type: CLIENT_ASSERTION, client_assertion: await abcClientAssertion(audience) };
}

/** The stand-in for the OIDC sign-in: the IdP's ID token of `user` for abc. */
async function idToken(user) {
  const r = await postForm(`${IDP_INTERNAL}/demo/id-token`, { user, ...(await asAbc(IDP)) });
  expect(r.status).toBe(200);
  return r.body.id_token;
}

async function exchangeAtIdp(fields) {
  return postForm(`${IDP_INTERNAL}/oauth/token`, fields);
}

test("example2 signs in through the IdP: its ID-JAG is the IdP's, and XYZ takes it", async ({ page }) => {
  const assertions = [];
  page.on("response", async (r) => {
    if (new URL(r.url()).pathname === "/xyz-assertion" && r.ok()) assertions.push((await r.json()).assertion);
  });
  await partnerSignIn(page, EXAMPLE2, "cass");
  await expectFormState(xyzForm(page), "ready");
  expect(assertions.length).toBeGreaterThan(0);
  expect(decodeProtectedHeader(assertions[0]).typ).toBe("oauth-id-jag+jwt");
  expect(decodeJwt(assertions[0])).toMatchObject({ iss: IDP, aud: XYZ, sub: "cass", client_id: "abc" });
});

test("ID token → ID-JAG at the IdP → XYZ access token, each ID-JAG once", async () => {
  const subject = await idToken("alice");
  const r = await exchangeAtIdp({
    grant_type: EXCHANGE,
    requested_token_type: ID_JAG,
    audience: XYZ,
    scope: "form.read",
    subject_token: subject,
    subject_token_type: ID_TOKEN,
    ...(await asAbc(IDP)),
  });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ issued_token_type: ID_JAG, token_type: "N_A", scope: "form.read" });
  const idJag = r.body.access_token;
  expect(decodeJwt(idJag)).toMatchObject({ iss: IDP, sub: "alice", aud: XYZ, client_id: "abc" });

  const redeem = async () =>
    postForm(`${XYZ_INTERNAL}/oauth/token`, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: idJag,
      ...(await asAbc(XYZ)),
    });
  const grant = await redeem();
  expect(grant.status).toBe(200);
  const keys = createRemoteJWKSet(new URL(`${XYZ_INTERNAL}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(grant.body.access_token, keys, { issuer: XYZ, audience: `${XYZ}/api` });
  expect(payload).toMatchObject({ client_id: "abc", tenant: "abc", scope: "form.read" });
  expect(payload.sub).not.toBe("alice");
  const again = await redeem();
  expect([again.status, again.body.error]).toEqual([400, "invalid_grant"]);
});

test("the IdP refuses each bad exchange with its error", async () => {
  const subject = await idToken("bob");
  const good = async () => ({
    grant_type: EXCHANGE,
    requested_token_type: ID_JAG,
    audience: XYZ,
    subject_token: subject,
    subject_token_type: ID_TOKEN,
    ...(await asAbc(IDP)),
  });
  const reused = await good();
  expect((await exchangeAtIdp(reused)).status).toBe(200);
  const [head, , signature] = subject.split(".");
  const forged = [head, Buffer.from(JSON.stringify({ ...decodeJwt(subject), sub: "alice" })).toString("base64url"), signature].join(".");
  const cases = [
    ["another grant type", { grant_type: "client_credentials" }, 400, "unsupported_grant_type"],
    ["an access token requested", { requested_token_type: "urn:ietf:params:oauth:token-type:access_token" }, 400, "invalid_request"],
    ["an access token as subject", { subject_token_type: "urn:ietf:params:oauth:token-type:access_token" }, 400, "invalid_request"],
    ["another audience", { audience: "http://other.localhost" }, 400, "invalid_target"],
    ["a scope beyond the IdP's", { scope: "admin" }, 400, "invalid_scope"],
    ["a tampered ID token", { subject_token: forged }, 400, "invalid_grant"],
    ["no client authentication", { client_assertion: "", client_assertion_type: "" }, 401, "invalid_client"],
    ["a replayed client assertion", { client_assertion: reused.client_assertion }, 401, "invalid_client"],
  ];
  for (const [name, change, status, error] of cases) {
    const r = await exchangeAtIdp({ ...(await good()), ...change });
    expect([name, r.status, r.body.error]).toEqual([name, status, error]);
    expect(JSON.stringify(r.body)).not.toContain(subject);
  }
});
