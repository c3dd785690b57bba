// Scenario 7: with storage blocked in the hub it falls back to memory and still works
// within the page.
import { test, expect } from "@playwright/test";
import { ABC, XYZ } from "./env.mjs";
import { countAssertionRequests, expectFormState, partnerSignIn, sdk, xyzForm } from "./pages.mjs";

test("storage blocked in the hub: memory rung, the form still works", async ({ context }) => {
  // What a browser does when the user blocks site data for sso.localhost: every
  // storage getter of XYZ's documents throws.
  await context.addInitScript((xyz) => {
    if (location.origin !== xyz) return;
    const blocked = () => {
      throw new DOMException("Access is denied for this document.", "SecurityError");
    };
    for (const name of ["localStorage", "sessionStorage", "indexedDB"]) {
      Object.defineProperty(window, name, { get: blocked, configurable: true });
    }
  }, XYZ);

  const page = await context.newPage();
  const assertions = countAssertionRequests(page);
  await partnerSignIn(page, ABC, "cleo");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  expect(await sdk(page, "storage")).toMatchObject({ rung: "memory" });

  await form.getByLabel("Company").fill("Cleo's Cleaners");
  await form.getByLabel("Employees").fill("7");
  await form.getByRole("button", { name: "Save" }).click();
  await expectFormState(form, "saved");
  const signIns = assertions.count;
  expect(signIns).toBeGreaterThan(0);
  // Within the page the session holds: no new assertion for another call.
  expect(await page.evaluate(async () => (await (await window.crosspass).fetch("/api/v1/me/record")).status)).toBe(200);
  expect(assertions.count).toBe(signIns);

  // Nothing persisted: a reload needs a fresh assertion, and works with it.
  await page.reload();
  await expectFormState(form, "ready");
  await expect(form.getByLabel("Employees")).toHaveValue("7");
  expect(assertions.count).toBeGreaterThan(signIns);
});
