// docs/partner-guide.md's JavaScript runs as written: the Node assertion minting against
// the real token endpoint, and the page's sign-out in ABC's page. The snippets are read
// from the guide itself; only the placeholders (XYZ's and ABC's URLs, the key) change.
import { test, expect } from "@playwright/test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ABC, XYZ, XYZ_INTERNAL } from "./env.mjs";
import { expectFormState, partnerSignIn, xyzForm } from "./pages.mjs";

const guide = readFileSync(fileURLToPath(new URL("../../docs/partner-guide.md", import.meta.url)), "utf8");
const snippets = [...guide.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const snippet = (marker) => {
  const found = snippets.find((s) => s.includes(marker));
  expect(found, marker).toBeTruthy();
  return found;
};

test("the guide's Node assertion minting is redeemed by XYZ", async () => {
  // The snippet as a module of its own, with the key it expects in scope.
  const key = readFileSync(join(process.env.E2E_DATA_DIR, "keys", "abc.private.jwk"), "utf8");
  const code = `const privateJwk = ${key};\n${snippet("export async function mintAssertion")}`
    .replaceAll("https://abc.example", ABC)
    .replaceAll("https://sso.xyz", XYZ);
  const file = fileURLToPath(new URL("./.output/guide-mint.mjs", import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
  const { mintAssertion } = await import(pathToFileURL(file).href);
  const res = await fetch(`${XYZ_INTERNAL}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: await mintAssertion("alice"),
    }),
  });
  expect(res.status).toBe(200);
  expect((await res.json()).token_type).toBe("Bearer");
});

test("the guide's sign-out ends the XYZ session on the page", async ({ page }) => {
  await partnerSignIn(page, ABC, "cass");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  await page.evaluate(() => {
    const button = document.createElement("button");
    button.id = "sign-out";
    document.body.append(button);
  });
  await page.evaluate(snippet('querySelector("#sign-out")'));
  await page.locator("#sign-out").click();
  await expectFormState(form, "signed_out");
});
