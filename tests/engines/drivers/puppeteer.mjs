// The common interface (common.mjs) over a puppeteer browser: Chromium speaks CDP to
// it, Firefox WebDriver BiDi; the page-level calls are the same for both.
import { DEFAULT_TIMEOUT_MS, waitUntil, withTimeout } from "./common.mjs";

/**
 * The frame of `page` whose URL starts with `prefix`, or the main frame without one.
 * @param {import("puppeteer-core").Page} page
 * @param {string | undefined} prefix
 */
function frameOf(page, prefix) {
  if (!prefix) return page.mainFrame();
  return waitUntil(() => page.frames().find((f) => f.url().startsWith(prefix)), { what: `a frame at ${prefix}` });
}

/**
 * Runs `action` on a locator of `selector` with the page in front, as a user's input
 * is: a background tab gets no animation frames, which a locator waits for to see the
 * element still. Errors name the action (a locator's own say only "Timed out").
 */
async function inFront(page, verb, selector, frame, action) {
  try {
    await page.bringToFront();
    await action((await frameOf(page, frame)).locator(selector).setTimeout(DEFAULT_TIMEOUT_MS));
  } catch (e) {
    throw new Error(`${verb} ${selector}${frame ? ` in the frame at ${frame}` : ""}: ${e.message}`);
  }
}

/**
 * @param {import("puppeteer-core").Page} page
 * @returns {import("./common.mjs").Page}
 */
export function wrapPage(page) {
  const loaded = { waitUntil: "load", timeout: DEFAULT_TIMEOUT_MS };
  return {
    async goto(url) {
      await page.goto(url, loaded);
    },
    async reload() {
      await page.reload(loaded);
    },
    async url() {
      return page.url();
    },
    evaluate(fn, ...args) {
      return withTimeout(page.evaluate(fn, ...args), DEFAULT_TIMEOUT_MS, `script in ${page.url()}`);
    },
    async evaluateInFrame(prefix, fn, ...args) {
      const frame = await frameOf(page, prefix);
      return withTimeout(frame.evaluate(fn, ...args), DEFAULT_TIMEOUT_MS, `script in the frame at ${prefix}`);
    },
    click(selector, { frame } = {}) {
      // A locator waits until the element is visible, enabled and still, then clicks
      // it with input events (a trusted click, even inside a cross-origin frame).
      return inFront(page, "click", selector, frame, (l) => l.click());
    },
    fill(selector, value, { frame } = {}) {
      return inFront(page, "fill", selector, frame, (l) => l.fill(value));
    },
    onRequest(listener) {
      page.on("request", (request) => listener(request.url()));
      return true;
    },
    async close() {
      await page.close();
    },
  };
}

/**
 * The common browser interface over a launched puppeteer browser.
 * @param {string} engine
 * @param {import("puppeteer-core").Browser} browser
 * @param {import("./common.mjs").Browser["setStorageAccess"]} setStorageAccess
 * @returns {Promise<import("./common.mjs").Browser>}
 */
export async function wrapBrowser(engine, browser, setStorageAccess) {
  return {
    engine,
    version: await browser.version(),
    async newPage() {
      return wrapPage(await browser.newPage());
    },
    async pages() {
      return (await browser.pages()).map(wrapPage);
    },
    setStorageAccess,
    async close() {
      // A browser that hangs on close must not hang the run: its process is killed.
      await withTimeout(browser.close(), 10_000, `closing ${engine}`).catch(() => browser.process()?.kill("SIGKILL"));
    },
  };
}
