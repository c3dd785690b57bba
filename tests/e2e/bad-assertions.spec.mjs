// Scenario 8: bad assertions (expired, wrong audience, replayed) leave the widget in a
// clear signed-out state, not a broken page.
import { test, expect } from "@playwright/test";
import { ABC, XYZ } from "./env.mjs";
import { mintAbcAssertion } from "./assertions.mjs";
import { expectFormState, partnerSignIn, sdk, xyzForm } from "./pages.mjs";

/** Makes abc's backend hand the page `assertion` instead of minting a good one. */
function serveAssertion(page, assertion) {
  return page.route(`${ABC}/xyz-assertion`, (route) => route.fulfill({ json: { assertion } }));
}

async function expectSignedOut(page, errors) {
  const form = xyzForm(page);
  await expectFormState(form, "signed_out");
  await expect(form.getByRole("status")).toHaveText("Sign in to see this form.");
  await expect(form.getByRole("button", { name: "Sign in" })).toBeVisible();
  // Nothing can be saved (fields a user already had stay on screen, by design).
  await expect(form.getByRole("button", { name: "Save" })).toBeHidden();
  // The partner page around it is fine.
  await expect(page.locator("#partner-user")).toBeVisible();
  expect(errors).toEqual([]);
}

function pageErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

const now = () => Math.floor(Date.now() / 1000);

test("an expired assertion shows the signed-out state", async ({ page }) => {
  const errors = pageErrors(page);
  await serveAssertion(page, await mintAbcAssertion("bob", { iat: now() - 600, exp: now() - 300 }));
  await partnerSignIn(page, ABC, "bob");
  await expectSignedOut(page, errors);
});

test("an assertion for another audience shows the signed-out state", async ({ page }) => {
  const errors = pageErrors(page);
  await serveAssertion(page, await mintAbcAssertion("bob", { aud: "https://elsewhere.example" }));
  await partnerSignIn(page, ABC, "bob");
  await expectSignedOut(page, errors);
});

test("a replayed assertion shows the signed-out state", async ({ page }) => {
  const errors = pageErrors(page);
  const once = await mintAbcAssertion("bob");
  await serveAssertion(page, once);
  await partnerSignIn(page, ABC, "bob");
  await expectFormState(xyzForm(page), "ready");

  // Signed out of XYZ, the widget's own "Sign in" gets the same assertion again.
  expect(await sdk(page, "signOut")).toBeUndefined();
  await expectFormState(xyzForm(page), "signed_out");
  const redeemed = page.waitForResponse(`${XYZ}/oauth/token`);
  await xyzForm(page).getByRole("button", { name: "Sign in" }).click();
  expect((await redeemed).status()).toBe(400);
  await expectSignedOut(page, errors);
});
