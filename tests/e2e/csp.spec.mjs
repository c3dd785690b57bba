// ABC serves its pages with the strictest policy an integration needs: XYZ only in
// script-src and frame-src, no 'wasm-unsafe-eval', no connect-src to XYZ. Sign-in,
// the form, saving and the API through the hub all work under it, and a correct
// integration logs nothing at all to the console.
import { test, expect } from "@playwright/test";
import { ABC, XYZ } from "./env.mjs";
import { expectFormState, partnerSignIn, xyzForm } from "./pages.mjs";

test("under a strict CSP, ABC signs in, saves and calls the API, and the console stays empty", async ({ page }) => {
  const console = [];
  page.on("console", (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => console.push(`pageerror: ${e.message}`));
  const response = await page.goto(ABC);
  const csp = response.headers()["content-security-policy"];
  expect(csp).toContain(`script-src 'self' ${XYZ}`);
  expect(csp).toContain(`frame-src ${XYZ}`);
  expect(csp).toContain("connect-src 'self'");
  expect(csp).not.toContain("wasm-unsafe-eval");

  await partnerSignIn(page, ABC, "bob");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  await form.getByLabel("Company").fill("Bob's Bikes");
  await form.getByLabel("Employees").fill("21");
  await form.getByRole("button", { name: "Save" }).click();
  await expectFormState(form, "saved");
  expect(await page.evaluate(async () => (await (await window.crosspass).fetch("/api/v1/me/record")).json())).toMatchObject({
    data: { employees: 21 },
  });
  // No wasm on the partner page: its only scripts are its own and the SDK's.
  const scripts = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
  expect(scripts.filter((u) => u.endsWith(".wasm"))).toEqual([]);
  expect(console).toEqual([]);
});
