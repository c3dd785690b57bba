// The form frame's theming and texts: allowlisted appearance variables are applied,
// hostile values are refused with a typed error and change nothing, the locale picks
// the catalogue, and the frame's height follows its content.
import { test, expect } from "@playwright/test";
import { DEF } from "./env.mjs";
import { expectFormState, partnerSignIn, xyzForm } from "./pages.mjs";

/** The computed style of the form's Save button, inside XYZ's frame. */
const saveButtonStyle = (form) =>
  form.getByRole("button", { name: /Save|Speichern/ }).evaluate((b) => {
    const s = getComputedStyle(b);
    return { background: s.backgroundColor, radius: s.borderTopLeftRadius, font: s.fontFamily };
  });

test("DEF's appearance is applied; hostile values are refused and change nothing", async ({ page }) => {
  await partnerSignIn(page, DEF, "dave");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  // DEF mounts the form with colorPrimary #0b7a53, borderRadius 10px, fontFamily Georgia.
  const themed = await saveButtonStyle(form);
  expect(themed).toEqual({ background: "rgb(11, 122, 83)", radius: "10px", font: "Georgia, serif" });

  const hostile = [
    { colorPrimary: "url(https://evil.localhost/x.png)" },
    { colorPrimary: "expression(alert(1))" },
    { colorPrimary: "red;}button{display:none" },
    { colorPrimary: "#fff;} *{background:url(//evil.localhost)}" },
    { fontFamily: "x;}body{display:none" },
    { fontFamily: "a".repeat(5000) },
    { borderRadius: "calc(1px + 1px)" },
    { background: "#000" },
  ];
  for (const variables of hostile) {
    const outcome = await page.evaluate(async (variables) => {
      try {
        await window.xyzForm.update({ appearance: { variables } });
        return "applied";
      } catch (e) {
        return { code: e.code, name: e.name };
      }
    }, variables);
    expect(outcome, JSON.stringify(variables).slice(0, 60)).toEqual({ code: "invalid_appearance", name: "CrosspassError" });
  }
  // Nothing of any of them reached the frame's CSS.
  expect(await saveButtonStyle(form)).toEqual(themed);
  await expect(form.getByRole("button", { name: "Save" })).toBeVisible();
  const props = await form.locator("html").evaluate((html) => html.getAttribute("style"));
  expect(props).not.toMatch(/url|expression|evil|display/);

  // A good update applies at once.
  await page.evaluate(() => window.xyzForm.update({ appearance: { variables: { colorPrimary: "#102030" } } }));
  await expect.poll(async () => (await saveButtonStyle(form)).background).toBe("rgb(16, 32, 48)");
});

test("locale and text overrides come from the catalogue; the frame is titled and sized to its content", async ({ page }) => {
  await partnerSignIn(page, DEF, "dave");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  await page.evaluate(() => window.xyzForm.update({ locale: "de", messages: { save: "Sichern" } }));
  await expect(form.getByRole("button", { name: "Sichern" })).toBeVisible();
  await expect(form.locator("html")).toHaveAttribute("lang", "de");
  const refused = await page.evaluate(async () => {
    try {
      await window.xyzForm.update({ messages: { nope: "x" } });
      return "applied";
    } catch (e) {
      return e.code;
    }
  });
  expect(refused).toBe("invalid_request");

  const frame = page.locator("crosspass-form iframe");
  await expect(frame).toHaveAttribute("title", /.+/);
  // The iframe's height is the content's (no inner scrollbar, no empty space).
  await expect
    .poll(async () => {
      const outer = await frame.evaluate((f) => f.getBoundingClientRect().height);
      const inner = await form.locator("#form-root").evaluate((r) => r.getBoundingClientRect().height);
      return Math.abs(outer - Math.ceil(inner));
    })
    .toBeLessThanOrEqual(2);
});
