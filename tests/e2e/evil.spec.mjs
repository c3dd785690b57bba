// Scenario 3: a page on an unregistered origin that embeds the hub gets no answer and
// no token; the hub keeps answering abc.
import { test, expect } from "@playwright/test";
import { ABC, EVIL, XYZ } from "./env.mjs";
import { expectFormState, partnerSignIn, sdk, xyzForm } from "./pages.mjs";

test("evil.localhost gets no answer and no token; abc keeps working", async ({ context }) => {
  const abc = await context.newPage();
  await partnerSignIn(abc, ABC, "carol");
  await expectFormState(xyzForm(abc), "ready");

  const evil = await context.newPage();
  const toXyz = [];
  evil.on("request", (r) => r.url().startsWith(`${XYZ}/oauth/`) && toXyz.push(r.url()));
  await evil.goto(EVIL);
  // The SDK's handshake gets no answer (the hub said nothing at all, not even an
  // error) and names the likely setup mistakes.
  await expect(evil.locator("#status")).toHaveText(/origin_not_allowed/, { timeout: 20_000 });
  // The hub never ran under evil (frame-ancestors), so nothing reached the token endpoint.
  expect(toXyz).toEqual([]);

  // abc's session is untouched and its hub still answers.
  expect(await sdk(abc, "storage")).toMatchObject({ rung: "partitioned" });
  const status = await abc.evaluate(async () => (await (await window.crosspass).fetch("/api/v1/me/record")).status);
  expect(status).toBe(200);
});
