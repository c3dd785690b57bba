// XYZ's tokens stay on XYZ's origin. On ABC (not registered to receive tokens) a
// script of the partner page watches everything it can reach — every message any
// window or port of the page receives, globals, the DOM, its storage and cookies —
// while the user signs in, loads, edits and saves the form and the page calls the API
// through `fetch`: no XYZ access token ever shows up. DEF, registered with
// --expose-tokens, does get one from getToken().
import { test, expect } from "@playwright/test";
import { ABC, DEF, XYZ } from "./env.mjs";
import { api, expectFormState, partnerSignIn, sdk, xyzForm } from "./pages.mjs";

/** Records every `message` the partner page's windows and ports receive. */
function recordMessages(abcOrigin) {
  if (location.origin !== abcOrigin) return;
  const seen = [];
  Object.defineProperty(window, "__seenMessages", { value: seen });
  const text = (d) => (typeof d === "string" ? d : JSON.stringify(d) ?? String(d));
  // Capturing listeners on the window see every window message first.
  window.addEventListener("message", (e) => seen.push(text(e.data)), true);
  // Ports deliver only to their own handlers: wrap both ways of setting one.
  const wrap = (handler) =>
    function (e) {
      seen.push(text(e.data));
      return handler.call(this, e);
    };
  const add = MessagePort.prototype.addEventListener;
  MessagePort.prototype.addEventListener = function (type, handler, ...rest) {
    return add.call(this, type, type === "message" && typeof handler === "function" ? wrap(handler) : handler, ...rest);
  };
  const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, "onmessage");
  Object.defineProperty(MessagePort.prototype, "onmessage", {
    get: onmessage.get,
    set(handler) {
      onmessage.set.call(this, typeof handler === "function" ? wrap(handler) : handler);
    },
  });
}

/** Everything the page's own scripts can read, as text. */
function pageView() {
  const globals = [];
  for (const name of Object.getOwnPropertyNames(window)) {
    try {
      const v = window[name];
      if (typeof v === "string") globals.push(v);
      else if (v && typeof v === "object" && !(v instanceof Node) && v !== window) globals.push(JSON.stringify(v));
    } catch {
      // cyclic or throwing getters
    }
  }
  const store = (s) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`);
  return [
    ...window.__seenMessages,
    ...globals,
    document.documentElement.outerHTML,
    ...store(localStorage),
    ...store(sessionStorage),
    document.cookie,
  ].join("\n");
}

/** Compact JWTs in `text` whose header says they are access tokens (`typ: at+jwt`). */
function accessTokensIn(text) {
  return [...text.matchAll(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g)]
    .map((m) => m[0])
    .filter((jwt) => {
      try {
        return JSON.parse(Buffer.from(jwt.split(".")[0], "base64url")).typ === "at+jwt";
      } catch {
        return false;
      }
    });
}

test("ABC's page never sees an XYZ access token, whatever it watches", async ({ context }) => {
  await context.addInitScript(recordMessages, ABC);
  const page = await context.newPage();
  await partnerSignIn(page, ABC, "alice");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  await form.getByLabel("Company").fill(`Alice's ${Date.now()}`);
  await form.getByRole("button", { name: "Save" }).click();
  await expectFormState(form, "saved");
  expect(await page.evaluate(async () => (await (await window.crosspass).fetch("/api/v1/me/record")).status)).toBe(200);
  expect(await sdk(page, "getToken")).toMatchObject({ error: { code: "token_not_exposed" } });

  const seen = await page.evaluate(pageView);
  // The recorder works: the SDK's own traffic with the hub went through it.
  expect(seen).toContain('"crosspass":2');
  expect(seen).toContain("form.state");
  expect(accessTokensIn(seen)).toEqual([]);
});

test("DEF, registered with --expose-tokens, gets its user's access token", async ({ page }) => {
  await partnerSignIn(page, DEF, "dave");
  await expectFormState(xyzForm(page), "ready");
  const token = await sdk(page, "getToken");
  expect(token).toMatchObject({ tokenType: "Bearer", expiresAt: expect.any(Number) });
  expect(accessTokensIn(token.accessToken)).toEqual([token.accessToken]);

  // Kept on the page, as auth0-spa-js keeps its tokens: the next calls do not cross to
  // the hub, unless asked to; a sign-in elsewhere or a sign-out clears the copy.
  const tokenGets = () =>
    page.evaluate(() => {
      window.__tokenGets ??= 0;
      if (!window.__counting) {
        window.__counting = true;
        const post = MessagePort.prototype.postMessage;
        MessagePort.prototype.postMessage = function (message, ...rest) {
          if (typeof message === "string" && message.includes('"method":"token.get"')) window.__tokenGets += 1;
          return post.call(this, message, ...rest);
        };
      }
      return window.__tokenGets;
    });
  expect(await tokenGets()).toBe(0);
  expect((await sdk(page, "getToken")).accessToken).toBe(token.accessToken);
  expect((await sdk(page, "getToken")).accessToken).toBe(token.accessToken);
  expect(await tokenGets()).toBe(0);
  expect((await sdk(page, "getToken", { cacheMode: "off" })).accessToken).toBe(token.accessToken);
  expect(await tokenGets()).toBe(1);
  const narrower = await sdk(page, "getToken", { scope: "form.read" });
  expect(narrower.accessToken).toBeTruthy();
  expect(await tokenGets()).toBe(2);

  // Signing out revokes the token on the server (RFC 7009): a copy the page kept is
  // refused at once, not merely forgotten by the browser.
  const read = () => api("/api/v1/me/record", { token: token.accessToken });
  expect((await read()).status).toBe(200);
  const revoked = page.waitForResponse(`${XYZ}/oauth/revoke`);
  expect(await sdk(page, "signOut")).toBeUndefined();
  expect((await revoked).status()).toBe(200);
  const refused = await read();
  expect(refused.status).toBe(401);
  expect(refused.json).toMatchObject({ error: "invalid_token" });
  // The page's copy went with the session: the next getToken signs in again through
  // DEF's getAssertion (DEF's own session is still there) and hands out a new token,
  // never the revoked one.
  const next = await sdk(page, "getToken");
  expect(next.accessToken).toBeTruthy();
  expect(next.accessToken).not.toBe(token.accessToken);
  expect((await api("/api/v1/me/record", { token: next.accessToken })).status).toBe(200);
});
