// Firefox ESR through puppeteer-core over WebDriver BiDi, headless, with its default
// Total Cookie Protection (third-party storage partitioned by top-level site).
import puppeteer from "puppeteer-core";
import { wrapBrowser } from "./puppeteer.mjs";

const EXECUTABLE = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/**
 * A fresh Firefox with a throwaway profile. Firefox answers `requestStorageAccess()`
 * from prefs read at launch, so `storageAccess` is fixed for the browser's life; left
 * out, a request waits on a prompt nobody sees.
 * @param {import("./common.mjs").LaunchOptions} [options]
 * @returns {Promise<import("./common.mjs").Browser>}
 */
export async function launch({ storageAccess } = {}) {
  const prefs = {
    // Puppeteer's profile turns off what users have on: its content-blocking category
    // says cookieBehavior0 (third-party cookies unpartitioned) and its popup blocker
    // is off. Firefox's own defaults are put back: Total Cookie Protection, and popups
    // only from a user's click.
    "network.cookie.cookieBehavior": 5,
    "dom.disable_open_during_load": true,
    ...(storageAccess && {
      "dom.storage_access.prompt.testing": true,
      "dom.storage_access.prompt.testing.allow": storageAccess === "granted",
    }),
  };
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: EXECUTABLE,
    headless: true,
    extraPrefsFirefox: prefs,
  });
  return wrapBrowser("firefox", browser, async (_top, _embedded, setting) => {
    if (setting !== storageAccess) {
      throw new Error(`Firefox answers storage access from prefs set at launch: launch with { storageAccess: "${setting}" }`);
    }
  });
}
