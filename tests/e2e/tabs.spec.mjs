// Scenario 2: a second tab on abc is signed in without a new assertion; signing out in
// one tab signs out the other.
import { test, expect } from "@playwright/test";
import { ABC } from "./env.mjs";
import { countAssertionRequests, expectFormState, partnerSignIn, xyzForm } from "./pages.mjs";

test("a second tab reuses the session; signing out in one tab signs out the other", async ({ context }) => {
  const first = await context.newPage();
  await partnerSignIn(first, ABC, "chris");
  await expectFormState(xyzForm(first), "ready");

  const second = await context.newPage();
  const assertions = countAssertionRequests(second);
  await second.goto(ABC);
  await expectFormState(xyzForm(second), "ready");
  expect(assertions.count).toBe(0);

  // Listen in the second tab, then sign out in the first.
  await second.evaluate(async () => {
    window.sessionEvents = [];
    (await window.crosspass).on("session", (e) => window.sessionEvents.push(e));
  });
  await first.locator("#partner-sign-out").click();
  await expect.poll(() => second.evaluate(() => window.sessionEvents)).toContainEqual({ signedIn: false });
  await expectFormState(xyzForm(second), "signed_out");
  // The first tab ends the partner session after XYZ's: once it shows its sign-in
  // picker again, no new assertion can be had, so the second tab stays signed out.
  await first.locator("#partner-user-picker").waitFor();
  const code = await second.evaluate(async () => {
    try {
      await (await window.crosspass).fetch("/api/v1/me/record");
      return "fetched";
    } catch (e) {
      return e.code;
    }
  });
  expect(code).toBe("assertion_failed");
  await expectFormState(xyzForm(second), "signed_out");
});
