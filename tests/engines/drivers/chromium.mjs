// Debian's Chromium through puppeteer-core (CDP), launched so that it behaves like the
// Chrome users run: third-party storage partitioned by top-level site.
import puppeteer from "puppeteer-core";
import { launchOptions } from "../../e2e/browser.mjs";
import { wrapBrowser } from "./puppeteer.mjs";

// The Playwright suite's launch (tests/e2e/browser.mjs) has the executable and the
// switches this closed, root-run machine needs; its `--disable-features` is Playwright's
// own list and has no place here.
const EXECUTABLE = launchOptions.executablePath;
const ARGS = launchOptions.args.filter((a) => !a.startsWith("--disable-features="));

// Features whose absence would make third-party storage behave unlike real Chrome
// (Playwright's default launch disables the first one: every third-party iframe's
// storage then throws instead of being partitioned).
const PARTITIONING_FEATURES = ["ThirdPartyStoragePartitioning", "PartitionedCookies"];

/**
 * Puppeteer's own default arguments, checked rather than trusted: a `--disable-features`
 * that names a partitioning feature is dropped and passed back without it. Its popup
 * blocker switch is dropped too: popups open only from a user's click, as for users.
 */
function defaultArgsFixed() {
  const ignoreDefaultArgs = ["--disable-popup-blocking"];
  const disabling = puppeteer
    .defaultArgs({ browser: "chrome", headless: true })
    .find((a) => a.startsWith("--disable-features="));
  const features = disabling ? disabling.slice("--disable-features=".length).split(",") : [];
  if (!features.some((f) => PARTITIONING_FEATURES.includes(f))) return { ignoreDefaultArgs, args: [] };
  const kept = features.filter((f) => !PARTITIONING_FEATURES.includes(f));
  return {
    ignoreDefaultArgs: [...ignoreDefaultArgs, disabling],
    args: kept.length ? [`--disable-features=${kept.join(",")}`] : [],
  };
}

/**
 * A fresh Chromium with a throwaway profile.
 * @param {import("./common.mjs").LaunchOptions} [_options] storage access is set per site
 * @returns {Promise<import("./common.mjs").Browser>}
 */
export async function launch(_options = {}) {
  const { ignoreDefaultArgs, args } = defaultArgsFixed();
  const browser = await puppeteer.launch({
    executablePath: EXECUTABLE,
    headless: true,
    ignoreDefaultArgs,
    args: [...args, ...ARGS],
  });
  const launched = browser.process()?.spawnargs ?? [];
  const unlike = launched.filter(
    (a) => a === "--disable-popup-blocking" || (a.startsWith("--disable-features=") && PARTITIONING_FEATURES.some((f) => a.includes(f))),
  );
  if (unlike.length) {
    await browser.close();
    throw new Error(`Chromium was launched unlike users' Chrome: ${unlike.join(" ")}`);
  }
  // Chromium drops a CDP session's permission overrides when it detaches: this one
  // stays open as long as the browser.
  let cdp;
  return wrapBrowser("chromium", browser, async (topOrigin, embeddedOrigin, setting) => {
    cdp ??= await browser.target().createCDPSession();
    await cdp.send("Browser.setPermission", {
      permission: { name: "storage-access" },
      setting,
      origin: topOrigin,
      embeddedOrigin,
    });
  });
}
