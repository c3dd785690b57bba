// The browser under test partitions third-party storage by top-level site, as real
// Chrome does. Every cross-site scenario in this suite means something only if this holds.
// The pages are served by request interception: this checks the browser, not our code.
import { test, expect } from "@playwright/test";

const FRAME = "http://sso.localhost:1/probe";
const top = (site) => `http://${site}.localhost:1/`;

test.beforeEach(async ({ context }) => {
  await context.route("http://*.localhost:1/**", (route) => {
    const url = new URL(route.request().url());
    const body = url.pathname === "/probe" ? "<p>probe</p>" : `<iframe src="${FRAME}"></iframe>`;
    return route.fulfill({ contentType: "text/html", body });
  });
});

async function probeFrame(page, site) {
  await page.goto(top(site));
  const frame = page.frame({ url: FRAME });
  await expect.poll(() => frame?.evaluate(() => document.readyState)).toBe("complete");
  return frame;
}

test("an sso.localhost iframe under def does not see what it stored under abc", async ({ page }) => {
  const underAbc = await probeFrame(page, "abc");
  await underAbc.evaluate(() => localStorage.setItem("probe", "stored-under-abc"));

  const underDef = await probeFrame(page, "def");
  expect(await underDef.evaluate(() => localStorage.getItem("probe"))).toBeNull();

  // Same top-level site again: the value is there, so storage works and is only partitioned.
  const underAbcAgain = await probeFrame(page, "abc");
  expect(await underAbcAgain.evaluate(() => localStorage.getItem("probe"))).toBe("stored-under-abc");

  // First party on sso.localhost is yet another partition.
  await page.goto(FRAME);
  expect(await page.evaluate(() => localStorage.getItem("probe"))).toBeNull();
});
