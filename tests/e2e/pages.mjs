// Helpers shared by the specs.
import { fileURLToPath } from "node:url";
import { expect } from "@playwright/test";
import { XYZ } from "./env.mjs";

export { api, putRecord, xyzToken } from "./xyz-api.mjs";

const RAW_CLIENT = fileURLToPath(new URL("./raw-hub-client.js", import.meta.url));

export const hubUrl = (clientId) => `${XYZ}/hub?client_id=${encodeURIComponent(clientId)}`;

/**
 * Opens a page on `origin` with the raw hub client injected. The page is the partner
 * server's `/session` JSON: a real response from loopback, as Chrome's local network
 * access checks would block the hub frame under a document made up by interception.
 */
export async function blankPage(context, origin) {
  const page = await context.newPage();
  await page.addInitScript({ path: RAW_CLIENT });
  await page.goto(`${origin}/session`);
  return page;
}

/** Runs the handshake from `page`; resolves to the hub's reply or "no answer". */
export function handshake(page, clientId, opts = {}) {
  return page.evaluate(([url, id, o]) => window.rawHub.connect(url, id, o), [hubUrl(clientId), clientId, opts]);
}

/**
 * Signs `user` in on the partner site at `origin` (its own login, not XYZ's) and waits
 * for its page to load again signed in.
 */
export async function partnerSignIn(page, origin, user) {
  await page.goto(origin);
  await page.locator("#partner-user-picker").selectOption(user);
  await page.locator("#partner-sign-in").click();
  await page.locator("#partner-user").getByText(user, { exact: true }).waitFor();
}

/** Counts the page's requests to its partner backend for an assertion. */
export function countAssertionRequests(page) {
  const seen = { count: 0 };
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/xyz-assertion") seen.count += 1;
  });
  return seen;
}

/** Runs `crosspass.<method>(...args)` on the page's SDK connection; errors come back as `{ error }`. */
export function sdk(page, method, ...args) {
  return page.evaluate(
    async ([m, a]) => {
      try {
        const xp = await window.crosspass;
        return await xp[m](...a);
      } catch (e) {
        return { error: { code: e.code ?? null, message: String(e.message ?? e) } };
      }
    },
    [method, args],
  );
}

/**
 * XYZ's form on `page`: a locator inside the form's frame (XYZ's origin), with `host`,
 * the partner page's `<crosspass-form>` element, which reflects the form's state.
 */
export function xyzForm(page) {
  const frame = page.frameLocator("crosspass-form iframe");
  frame.host = page.locator("crosspass-form");
  return frame;
}

/** Waits until the form is in `state` (its host's `data-state` attribute). */
export function expectFormState(form, state, timeout = 15_000) {
  return expect(form.host).toHaveAttribute("data-state", state, { timeout });
}
