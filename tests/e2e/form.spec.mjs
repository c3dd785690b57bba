// Scenario 1: sign in on abc → the form shows the user's record → edit → save → reload
// → the edit is there (and the API returns it).
import { test, expect } from "@playwright/test";
import { ABC } from "./env.mjs";
import { api, expectFormState, partnerSignIn, putRecord, xyzForm, xyzToken } from "./pages.mjs";

test("sign in on abc, edit and save the form, reload: the edit is kept", async ({ page }) => {
  await partnerSignIn(page, ABC, "bob");
  const form = xyzForm(page);
  await expectFormState(form, "ready");

  // The form shows what XYZ holds for this user.
  const token = await xyzToken("bob");
  const seeded = `Bob's Bakery ${Date.now()}`;
  expect((await putRecord(token, { company: seeded, employees: 12 })).status).toBe(200);
  await page.reload();
  await expectFormState(form, "ready");
  await expect(form.getByLabel("Company")).toHaveValue(seeded);
  await expect(form.getByLabel("Employees")).toHaveValue("12");

  const edited = `${seeded} & Sons`;
  await form.getByLabel("Company").fill(edited);
  await form.getByRole("button", { name: "Save" }).click();
  await expectFormState(form, "saved");

  await page.reload();
  await expectFormState(form, "ready");
  await expect(form.getByLabel("Company")).toHaveValue(edited);
  const stored = await api("/api/v1/me/record", { token });
  expect(stored.json.data).toMatchObject({ company: edited, employees: 12 });
});
