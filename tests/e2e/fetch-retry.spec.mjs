// `fetch()` adds the bearer token, and on a 401 signs in afresh once and retries. A
// token the API refuses reaches the hub through the server path (`signIn({accessToken})`):
// the hub checks a token's binding, not its signature, which only XYZ's server can.
import { test, expect } from "@playwright/test";
import { ABC } from "./env.mjs";
import { countAssertionRequests, expectFormState, partnerSignIn, sdk, xyzForm } from "./pages.mjs";

/** `token` with its signature replaced: same claims, refused by the API. */
function forged(token) {
  const [header, payload] = token.split(".");
  return `${header}.${payload}.${"A".repeat(86)}`;
}

test("fetch signs in afresh once on a 401 and retries with the new token", async ({ page }) => {
  await partnerSignIn(page, ABC, "alice");
  await expectFormState(xyzForm(page), "ready");
  const good = (await sdk(page, "getToken")).accessToken;
  const bad = forged(good);
  expect((await sdk(page, "signIn", { accessToken: bad })).accessToken).toBe(bad);

  const assertions = countAssertionRequests(page);
  const result = await page.evaluate(async () => {
    const xp = await window.crosspass;
    const r = await xp.fetch("/api/v1/me/record");
    return { status: r.status, token: (await xp.getToken()).accessToken };
  });
  expect(result.status).toBe(200);
  expect(assertions.count).toBe(1);
  expect(result.token).not.toBe(bad);
  expect(result.token).not.toBe(good);
});

test("fetch fails with login_required when no fresh sign-in can be had", async ({ page }) => {
  await partnerSignIn(page, ABC, "carol");
  await expectFormState(xyzForm(page), "ready");
  const bad = forged((await sdk(page, "getToken")).accessToken);
  await sdk(page, "signIn", { accessToken: bad });
  // The partner session ends (its own sign-out, not XYZ's): no new assertion can be had.
  await page.evaluate(() => fetch("/logout", { method: "POST" }));
  const status = await page.evaluate(async () => {
    const xp = await window.crosspass;
    try {
      return (await xp.fetch("/api/v1/me/record")).status;
    } catch (e) {
      return e.code;
    }
  });
  expect(status).toBe("login_required");
});
