// Scenario 9: chained delegation. On abc the user links their MyHealth account
// — in a MyHealth popup, signed in to MyHealth there, which signs a statement about its
// own user — then saves the XYZ form; XYZ sends the record to MyHealth on the user's
// behalf with a token exchanged for MyHealth, and MyHealth's own page shows it.
import { test, expect } from "@playwright/test";
import { decodeJwt } from "jose";
import { ABC, MYHEALTH, MYHEALTH_INTERNAL } from "./env.mjs";
import { api, expectFormState, partnerSignIn, xyzForm, xyzToken } from "./pages.mjs";

test("link MyHealth on abc, save the form: the record reaches MyHealth", async ({ page, context }) => {
  await partnerSignIn(page, ABC, "cyd");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  await expect(page.locator("#myhealth-status")).toHaveText("Not linked.");

  // The authenticated step: MyHealth's own sign-in, then its signed statement.
  const opened = page.waitForEvent("popup");
  await page.locator("#myhealth-link").click();
  const popup = await opened;
  await popup.locator("#myhealth-picker").selectOption({ label: "Cyd (p-1004)" });
  await popup.locator("#myhealth-sign-in").click();
  await popup.locator("#share").click();
  await expect(page.locator("#myhealth-subject")).toHaveText("p-1004");

  const company = `Cyd's Clinic ${Date.now()}`;
  await form.getByLabel("Company").fill(company);
  await form.getByRole("button", { name: "Save" }).click();
  await expectFormState(form, "saved");
  await expect(page.locator("#myhealth-sync")).toHaveText("ok");

  // MyHealth, on its own site (signed in there since the popup), lists what XYZ sent.
  const myhealth = await context.newPage();
  await myhealth.goto(MYHEALTH);
  const newest = myhealth.locator("#received li").first();
  await expect(newest).toContainText(company);
  await expect(newest).toContainText("sent by records-sync");

  // XYZ's side agrees: the link is the MyHealth account, and the last sync went through.
  const token = await xyzToken("cyd");
  const links = await api("/api/v1/me/links", { token });
  expect(links.json.links).toEqual([
    expect.objectContaining({ downstream: "myhealth", subject: "p-1004", sync_status: "ok" }),
  ]);
});

test("MyHealth validates tokens itself: a user's XYZ token is not for it", async ({ page }) => {
  const push = (authorization) =>
    fetch(`${MYHEALTH_INTERNAL}/xyz/record`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ record: { company: "Forged" }, version: 99 }),
    });
  expect((await push()).status).toBe(401);
  await partnerSignIn(page, ABC, "cora");
  await expectFormState(xyzForm(page), "ready");
  const token = await xyzToken("cora");
  expect(decodeJwt(token).aud).not.toBe(MYHEALTH);
  const res = await push(`Bearer ${token}`);
  expect(res.status).toBe(401);
  expect((await res.json()).error).toBe("invalid_token");
});

test("the MyHealth link page answers only a partner site that opened it", async ({ page }) => {
  await page.goto(`${MYHEALTH}/link?for=${encodeURIComponent("http://evil.localhost")}`);
  await expect(page.locator("#link-error")).toBeVisible();
  await expect(page.locator("#share")).toHaveCount(0);
});
