// GHK integrates with embed sessions only: no keys, no JWT library. Its server asks XYZ
// for a single-use session with its client secret; the script tag fetches it from
// `data-session-url` and the hub redeems it.
import { test, expect } from "@playwright/test";
import { GHK, XYZ } from "./env.mjs";
import { expectFormState, partnerSignIn, xyzForm } from "./pages.mjs";

test("GHK signs in through an embed session; edit, save, reload keeps the edit", async ({ page }) => {
  const redemptions = [];
  page.on("request", (r) => {
    if (r.url() === `${XYZ}/oauth/token`) redemptions.push(new URLSearchParams(r.postData() ?? "").get("subject_token_type"));
  });
  await partnerSignIn(page, GHK, "gina");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  // The hub redeemed an embed session (token exchange), not an assertion.
  expect(redemptions).toEqual(["urn:crosspass:params:oauth:token-type:embed-session"]);

  const plot = `Gina's plot ${Date.now()}`;
  await form.getByLabel("Plot name").fill(plot);
  await form.getByLabel("Raised beds").fill("4");
  await form.getByRole("button", { name: "Save" }).click();
  await expectFormState(form, "saved");

  await page.reload();
  await expectFormState(form, "ready");
  await expect(form.getByLabel("Plot name")).toHaveValue(plot);
  await expect(form.getByLabel("Raised beds")).toHaveValue("4");
  // The session came from the stored token this time: no second redemption.
  expect(redemptions).toHaveLength(1);
});
