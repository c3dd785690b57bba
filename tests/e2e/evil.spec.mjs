// Scenario 3: a page on an unregistered origin that embeds the hub gets no answer and
// no token; the hub keeps answering abc.
import { test, expect } from "@playwright/test";
import { ABC, EVIL, XYZ } from "./env.mjs";
import { partnerSignIn, sdk } from "./pages.mjs";

test("evil.localhost gets no answer and no token; abc keeps working", async ({ context }) => {
  const abc = await context.newPage();
  await partnerSignIn(abc, ABC, "carol");
  const before = await sdk(abc, "getToken");
  expect(before.accessToken).toBeTruthy();

  const evil = await context.newPage();
  const toXyz = [];
  evil.on("request", (r) => r.url().startsWith(`${XYZ}/oauth/`) && toXyz.push(r.url()));
  await evil.goto(EVIL);
  // The SDK's handshake times out: the hub said nothing at all (not even an error).
  await expect(evil.locator("#status")).toHaveText("The XYZ hub did not talk to this page (timeout).", {
    timeout: 20_000,
  });
  // The hub never ran under evil (frame-ancestors), so nothing reached the token endpoint.
  expect(toXyz).toEqual([]);
  expect(await sdk(evil, "getToken")).toMatchObject({ error: { code: "timeout" } });

  // abc's session is untouched and its hub still answers.
  const after = await sdk(abc, "getToken");
  expect(after.accessToken).toBe(before.accessToken);
});
