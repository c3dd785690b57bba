// `fetch()` is carried out by the hub with the session's token; on a 401 the hub drops
// that token, the SDK signs in afresh once and retries. A token the API refuses reaches
// the hub through the server path (`signIn({accessToken})`): the hub checks a token's
// binding, not its signature, which only XYZ's server can.
import { test, expect } from "@playwright/test";
import { ABC } from "./env.mjs";
import { countAssertionRequests, expectFormState, partnerSignIn, sdk, xyzForm, xyzToken } from "./pages.mjs";

/** `token` with its signature replaced: same claims, refused by the API. */
function forged(token) {
  const [header, payload] = token.split(".");
  return `${header}.${payload}.${"A".repeat(86)}`;
}

test("fetch signs in afresh once on a 401 and retries with the new token", async ({ page }) => {
  await partnerSignIn(page, ABC, "alice");
  await expectFormState(xyzForm(page), "ready");
  const bad = forged(await xyzToken("alice"));
  // The hub takes it (well bound) and says until when, without echoing it.
  const began = await sdk(page, "signIn", { accessToken: bad });
  expect(began).toMatchObject({ expiresAt: expect.any(Number) });
  expect(JSON.stringify(began)).not.toContain(bad.split(".")[2]);

  const assertions = countAssertionRequests(page);
  const result = await page.evaluate(async () => {
    const xp = await window.crosspass;
    const r = await xp.fetch("/api/v1/me/record");
    return { status: r.status, etag: r.headers.get("etag"), body: await r.json() };
  });
  expect(result.status).toBe(200);
  expect(result.etag).toBeTruthy();
  expect(result.body).toMatchObject({ data: expect.any(Object) });
  expect(assertions.count).toBe(1);
});

test("fetch fails with login_required when no fresh sign-in can be had", async ({ page }) => {
  await partnerSignIn(page, ABC, "carol");
  await expectFormState(xyzForm(page), "ready");
  await sdk(page, "signIn", { accessToken: forged(await xyzToken("carol")) });
  // The partner session ends (its own sign-out, not XYZ's): no new assertion can be had.
  await page.evaluate(() => fetch("/logout", { method: "POST" }));
  const failure = await page.evaluate(async () => {
    const xp = await window.crosspass;
    try {
      return { status: (await xp.fetch("/api/v1/me/record")).status };
    } catch (e) {
      return { code: e.code, name: e.name, hasCause: e.cause !== undefined };
    }
  });
  // The partner's own backend refused the assertion: that failure is kept as the cause.
  expect(failure).toEqual({ code: "assertion_failed", name: "CrosspassError", hasCause: true });
});

test("fetch reaches only XYZ's API, and never takes a credential from the page", async ({ page }) => {
  await partnerSignIn(page, ABC, "alice");
  await expectFormState(xyzForm(page), "ready");
  const codes = await page.evaluate(async () => {
    const xp = await window.crosspass;
    const attempt = async (path, init) => {
      try {
        return (await xp.fetch(path, init)).status;
      } catch (e) {
        return e.code;
      }
    };
    return {
      outside: await attempt("/oauth/token", { method: "POST", body: "x" }),
      traversal: await attempt("/api/../oauth/token"),
      absolute: await attempt("https://evil.example/api/v1/me/record"),
      credential: await attempt("/api/v1/me/record", { headers: { Authorization: "Bearer x" } }),
    };
  });
  expect(codes).toEqual({
    outside: "invalid_request",
    traversal: "invalid_request",
    absolute: "invalid_request",
    credential: "invalid_request",
  });
});

test("a call the hub does not answer in time fails with timeout, and the next call is answered", async ({ page }) => {
  test.setTimeout(60_000);
  await partnerSignIn(page, ABC, "alice");
  await expectFormState(xyzForm(page), "ready");
  // The API request the hub makes for the page hangs: the hub cannot answer `fetch`.
  const held = [];
  await page.route("**/api/v1/me/record", (route) => held.push(route));
  const failure = await page.evaluate(async () => {
    const xp = await window.crosspass;
    const start = Date.now();
    try {
      return { status: (await xp.fetch("/api/v1/me/record")).status };
    } catch (e) {
      return { code: e.code, name: e.name, ms: Date.now() - start };
    }
  });
  // The connection's default time limit (10 s), not sooner and not much later.
  expect(failure).toEqual({ code: "timeout", name: "CrosspassError", ms: expect.any(Number) });
  expect(failure.ms).toBeGreaterThanOrEqual(9_900);
  expect(failure.ms).toBeLessThan(12_000);
  expect(held.length).toBe(1);
  await page.unroute("**/api/v1/me/record");
  await Promise.all(held.map((r) => r.abort().catch(() => {})));
  // The connection carries on: the next calls are answered.
  const after = await page.evaluate(async () => {
    const xp = await window.crosspass;
    return { storage: (await xp.storage()).rung, status: (await xp.fetch("/api/v1/me/record")).status };
  });
  expect(after).toEqual({ storage: expect.any(String), status: 200 });
});
