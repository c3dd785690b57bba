// Scenario 5: two tabs edit the same record; the second save shows the conflict and
// nothing either user typed is lost.
import { test, expect } from "@playwright/test";
import { ABC } from "./env.mjs";
import { api, expectFormState, partnerSignIn, xyzForm, xyzToken } from "./pages.mjs";

test("concurrent edits: the second save shows a conflict and loses nothing", async ({ context }) => {
  const first = await context.newPage();
  await partnerSignIn(first, ABC, "casey");
  const second = await context.newPage();
  await second.goto(ABC);
  const [a, b] = [xyzForm(first), xyzForm(second)];
  await expectFormState(a, "ready");
  await expectFormState(b, "ready");

  await a.getByLabel("Company").fill("Casey from tab one");
  await b.getByLabel("Company").fill("Casey from tab two");
  await a.getByRole("button", { name: "Save" }).click();
  await expectFormState(a, "saved");

  await b.getByRole("button", { name: "Save" }).click();
  await expectFormState(b, "conflict");
  // Tab two's text is still in its form, and the conflict names both versions.
  await expect(b.getByLabel("Company")).toHaveValue("Casey from tab two");
  const conflict = b.locator("section.conflict");
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText("Casey from tab one");
  await expect(conflict).toContainText("Casey from tab two");
  // Tab one's save stands on the server until tab two decides.
  const token = await xyzToken("casey");
  expect((await api("/api/v1/me/record", { token })).json.data.company).toBe("Casey from tab one");

  // Tab two keeps its version, on purpose: now it is saved over the newer one.
  await b.getByRole("button", { name: "Keep my version" }).click();
  await expectFormState(b, "saved");
  const stored = await api("/api/v1/me/record", { token });
  expect(stored.json.data.company).toBe("Casey from tab two");
  expect(stored.json.version).toBe(2);
});
