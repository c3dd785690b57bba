// Helpers shared by the specs.
import { fileURLToPath } from "node:url";
import { expect } from "@playwright/test";
import { XYZ, XYZ_INTERNAL } from "./env.mjs";

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

/** Calls XYZ's API from Node (as a server, or pretending to be a browser with `origin`). */
export async function api(path, { token, method = "GET", body, origin, ifMatch } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (origin) headers.origin = origin;
  if (ifMatch) headers["if-match"] = ifMatch;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${XYZ_INTERNAL}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, json };
}

/** Writes `data` as the record of the token's user, whatever version is stored. */
export async function putRecord(token, data) {
  const current = await api("/api/v1/me/record", { token });
  return api("/api/v1/me/record", { token, method: "PUT", body: data, ifMatch: current.headers.get("etag") });
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

/**
 * An XYZ access token for `user` of client abc, got as a partner backend gets one
 * (server path): abc's assertion redeemed at the token endpoint from Node. ABC's pages
 * never hold one.
 */
export async function xyzToken(user) {
  const { mintAbcAssertion } = await import("./assertions.mjs");
  const res = await fetch(`${XYZ_INTERNAL}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: await mintAbcAssertion(user),
      client_id: "abc",
    }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
  return body.access_token;
}
