// Scenario 6: signed in on abc, then example2 (same tenant, another site). With storage
// access granted (permission over CDP, then a click in the hub) the session is reused;
// without it the first-party popup does it; the storage rung reported is right each time.
import { test, expect } from "@playwright/test";
import { ABC, EXAMPLE2, XYZ } from "./env.mjs";
import { countAssertionRequests, expectFormState, partnerSignIn, putRecord, sdk, xyzForm, xyzToken } from "./pages.mjs";

/**
 * Sets the `storage-access` permission of the hub embedded under `topLevel`. The CDP
 * session stays open: Chromium drops a session's permission overrides when it detaches.
 */
async function storageAccess(page, topLevel, setting) {
  const session = await page.context().newCDPSession(page);
  const { targetInfo } = await session.send("Target.getTargetInfo");
  const browser = await page.context().browser().newBrowserCDPSession();
  await browser.send("Browser.setPermission", {
    permission: { name: "storage-access" },
    setting,
    origin: topLevel,
    embeddedOrigin: XYZ,
    browserContextId: targetInfo.browserContextId,
  });
  await session.detach();
}

/** Starts `requestStorageAccess()` on the page; the SDK then shows the hub's button. */
async function askForStorage(page) {
  await page.evaluate(async () => {
    window.storageRequest = (await window.crosspass).requestStorageAccess();
  });
  const button = page.frameLocator(`iframe[src^="${XYZ}/hub"]`).locator("#continue");
  await expect(button).toBeVisible();
  return button;
}

const rung = async (page) => (await sdk(page, "storage")).rung;

async function signInOnAbc(page, user) {
  await partnerSignIn(page, ABC, user);
  await expectFormState(xyzForm(page), "ready");
  const token = await xyzToken(user);
  const company = `${user} Holdings ${Date.now()}`;
  expect((await putRecord(token, { company })).status).toBe(200);
  expect(await rung(page)).toBe("partitioned");
  return company;
}

/** On example2 (not signed in there): the form shows `company` without any assertion. */
async function expectReusedOnExample2(page, assertions, company, expectedRung) {
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  await expect(form.getByLabel("Company")).toHaveValue(company);
  expect(assertions.count).toBe(0);
  expect(await rung(page)).toBe(expectedRung);
  await expect(page.locator("#xyz-storage")).toHaveText(`XYZ session storage: ${expectedRung}`);
}

test("with storage access granted, example2 reuses abc's session (unpartitioned)", async ({ context }) => {
  const abc = await context.newPage();
  const company = await signInOnAbc(abc, "cora");
  await storageAccess(abc, ABC, "granted");
  await (await askForStorage(abc)).click();
  expect(await abc.evaluate(() => window.storageRequest)).toMatchObject({ rung: "unpartitioned" });

  const example2 = await context.newPage();
  const assertions = countAssertionRequests(example2);
  await example2.goto(EXAMPLE2);
  expect(await rung(example2)).toBe("partitioned");
  await storageAccess(example2, EXAMPLE2, "granted");
  await example2.locator("#reuse").click();
  await example2.frameLocator(`iframe[src^="${XYZ}/hub"]`).locator("#continue").click();
  await expectReusedOnExample2(example2, assertions, company, "unpartitioned");
});

test("without storage access, the first-party popup carries the session to example2", async ({ context }) => {
  // Records the window names XYZ's frames open popups under (the popup may close
  // before its own name can be read).
  await context.addInitScript(() => {
    const open = window.open;
    window.open = function (url, name, features) {
      window.__openedNames = [...(window.__openedNames ?? []), name];
      return open.call(this, url, name, features);
    };
  });
  const hubFrameOf = (page) => page.frames().find((f) => f.url().startsWith(`${XYZ}/hub?`));
  const abc = await context.newPage();
  const company = await signInOnAbc(abc, "alice");
  await storageAccess(abc, ABC, "denied");
  const onAbc = await askForStorage(abc);
  await onAbc.click();
  // Access refused: the same button now opens XYZ's own page.
  await expect(onAbc).toHaveText("Open XYZ to continue");
  const popup = context.waitForEvent("page");
  await onAbc.click();
  const opened = await popup;
  await expect(opened.url()).toContain(`${XYZ}/hub/popup`);
  // Named for this one open only, so no other page can target it by name.
  const [first] = await hubFrameOf(abc).evaluate(() => window.__openedNames);
  expect(first).toMatch(/^crosspass-[0-9a-f]+$/);
  expect(await abc.evaluate(() => window.storageRequest)).toMatchObject({ rung: "first_party_popup" });

  const example2 = await context.newPage();
  const assertions = countAssertionRequests(example2);
  await example2.goto(EXAMPLE2);
  await storageAccess(example2, EXAMPLE2, "denied");
  await example2.locator("#reuse").click();
  const onExample2 = example2.frameLocator(`iframe[src^="${XYZ}/hub"]`).locator("#continue");
  await onExample2.click();
  await expect(onExample2).toHaveText("Open XYZ to continue");
  await onExample2.click();
  await expectReusedOnExample2(example2, assertions, company, "first_party_popup");
  const [second] = await hubFrameOf(example2).evaluate(() => window.__openedNames);
  expect(second).toMatch(/^crosspass-[0-9a-f]+$/);
  expect(second).not.toBe(first);
});
