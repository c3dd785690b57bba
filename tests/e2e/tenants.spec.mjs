// Scenario 4: DEF's users never see ABC's data; an ABC token replayed from def's origin
// or against DEF's paths fails.
import { test, expect } from "@playwright/test";
import { ABC, DEF, XYZ } from "./env.mjs";
import { api, expectFormState, partnerSignIn, putRecord, sdk, xyzForm, xyzToken } from "./pages.mjs";

test("tenants are isolated, and an abc token is useless on def", async ({ context }) => {
  const marker = `ABC secret ${Date.now()}`;
  const abc = await context.newPage();
  await partnerSignIn(abc, ABC, "alice");
  const abcToken = await xyzToken("alice");
  expect((await putRecord(abcToken, { company: marker })).status).toBe(200);

  const def = await context.newPage();
  await partnerSignIn(def, DEF, "dave");
  // DEF's page (the SDK as an npm package) shows DEF's own form.
  const defForm = xyzForm(def);
  await expectFormState(defForm, "ready");
  await expect(defForm.getByLabel("Delivery address")).toBeVisible();
  await expect(defForm.getByLabel("Company")).toHaveCount(0);
  const seen = await def.evaluate(async () => {
    const xp = await window.crosspass;
    const form = await (await xp.fetch("/api/v1/form")).json();
    const record = await (await xp.fetch("/api/v1/me/record")).json();
    return { form, record };
  });
  expect(seen.form.title).toBe("Shipping preferences");
  expect(JSON.stringify(seen.record)).not.toContain(marker);

  // Replayed from def's origin, in the browser: the response is not readable there.
  const replayed = await def.evaluate(
    async ([url, token]) => {
      try {
        const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        return { blocked: e.name };
      }
    },
    [`${XYZ}/api/v1/me/record`, abcToken],
  );
  expect(replayed).toEqual({ blocked: "TypeError" });
  // …and the server itself refuses it for def's origin (so no CORS mistake could leak it).
  const fromDef = await api("/api/v1/me/record", { token: abcToken, origin: DEF });
  expect(fromDef.status).toBeGreaterThanOrEqual(400);
  expect(JSON.stringify(fromDef.json)).not.toContain(marker);
  expect(fromDef.headers.get("access-control-allow-origin")).toBeNull();

  // def's hub will not store a token issued to abc.
  expect(await sdk(def, "signIn", { accessToken: abcToken })).toMatchObject({ error: {} });
  expect(JSON.stringify(await def.evaluate(async () => {
    const r = await (await window.crosspass).fetch("/api/v1/me/record");
    return r.json();
  }))).not.toContain(marker);

  // DEF's partner paths do not take an abc token either.
  const provision = await api("/api/v1/partners/def/users/mallory", { token: abcToken, method: "PUT" });
  expect(provision.status).toBe(401);

  // The same token still works from abc's own origin: what failed was the replay.
  const fromAbc = await api("/api/v1/me/record", { token: abcToken, origin: ABC });
  expect(fromAbc.json.data.company).toBe(marker);
});
