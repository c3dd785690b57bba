// The product's core flows, written once against the driver interface
// (drivers/common.mjs) and run in every engine. Each scenario has its own demo user
// (demo/stack.mjs DEMO_USERS), so what one leaves at XYZ cannot make another pass; the
// same user does serve every engine, so values are fresh per run and versions relative.
// Imported once the stack's ports are set (env.mjs reads them on import).
import assert from "node:assert/strict";
import { ABC, DEF, EVIL, EXAMPLE2, XYZ } from "../e2e/env.mjs";
import { waitUntil } from "./drivers/common.mjs";
import { api, putRecord, readRecord, xyzToken } from "./xyz.mjs";

/** XYZ's form frame (the SDK mounts it in `<crosspass-form>`) and its hub frame. */
const FORM = `${XYZ}/embed/form`;
const HUB = `${XYZ}/hub?`;
const SAVE = 'button[data-action="save"]';
const KEEP_MINE = 'button[data-action="keep-mine"]';
const POPUP_LABEL = "Open XYZ to continue";

/** @typedef {import("./drivers/common.mjs").Page} Page */
/** @typedef {import("./drivers/common.mjs").Browser} Browser */

// --- waiting and reading ---------------------------------------------------------------

/**
 * Waits until `get()` is `expected`; a timeout names what was awaited and what was
 * last seen.
 */
async function eventually(what, get, expected, timeout) {
  let last;
  try {
    await waitUntil(async () => (last = await get()) === expected, { what, timeout });
  } catch (e) {
    throw new Error(`${e.message.replace(/ \(last .*\)$/s, "")}: wanted ${JSON.stringify(expected)}, last saw ${JSON.stringify(last)}`);
  }
}

const formState = (page) => page.evaluate(() => document.querySelector("crosspass-form")?.dataset.state ?? null);
const expectFormState = (page, state, timeout) => eventually(`the form's state`, () => formState(page), state, timeout);
const formValue = (page, name) => page.evaluateInFrame(FORM, (n) => document.querySelector(`[name="${n}"]`).value, name);
const text = (page, selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);

/** `crosspass.<method>(...args)` on the page's SDK connection; errors come back as `{ error }`. */
function sdk(page, method, ...args) {
  return page.evaluate(
    async (m, a) => {
      try {
        const xp = await window.crosspass;
        return (await xp[m](...a)) ?? null;
      } catch (e) {
        return { error: { code: e.code ?? null, message: String(e.message ?? e) } };
      }
    },
    method,
    args,
  );
}

const rung = async (page) => (await sdk(page, "storage")).rung;

/**
 * The URLs `page` requests from now on. Where the driver sees no network traffic
 * (WebKit), the top document's resource timing stands in: it lists what the page's own
 * scripts fetched (as `/xyz-assertion`), not what its frames did.
 */
function watchRequests(page) {
  const seen = [];
  const live = page.onRequest((url) => seen.push(url));
  return {
    live,
    async urls() {
      return live ? seen : page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
    },
    async count(pathname) {
      return (await this.urls()).filter((u) => new URL(u).pathname === pathname).length;
    },
  };
}

// --- flows -------------------------------------------------------------------------

/** Signs `user` in on the partner site at `origin` with its own login (the user picker). */
async function partnerSignIn(page, origin, user) {
  await page.goto(origin);
  await page.fill("#partner-user-picker", user);
  await page.click("#partner-sign-in");
  await eventually(`${user} signed in on ${origin}`, () => text(page, "#partner-user strong"), user);
}

/** A company name no earlier run or engine has stored. */
const fresh = (label, engine) => `${label} (${engine} ${Date.now()})`;

/**
 * Signs `user` in on abc (in `page`, or a new one) with a fresh company stored at XYZ;
 * the form is ready, storage partitioned.
 */
async function signedInOnAbc(browser, user, page) {
  const company = fresh(`${user} Holdings`, browser.engine);
  assert.equal((await putRecord(await xyzToken(user), { company })).status, 200);
  page ??= await browser.newPage();
  await partnerSignIn(page, ABC, user);
  await expectFormState(page, "ready");
  assert.equal(await formValue(page, "company"), company);
  assert.equal(await rung(page), "partitioned");
  return { page, company };
}

/** Starts `requestStorageAccess()` on the page (kept on `window`); the hub then shows its button. */
async function askForStorage(page) {
  await page.evaluate(async () => {
    const xp = await window.crosspass;
    window.storageRequest = xp
      .requestStorageAccess()
      .catch((e) => ({ error: { code: e.code ?? null, message: String(e.message ?? e) } }));
  });
}

/** The hub frame's consent button: shown or not, and its text. */
const hubButton = (page) =>
  page.evaluateInFrame(HUB, () => {
    const b = document.getElementById("continue");
    return { shown: !b.hidden, text: b.textContent };
  });

/** The hub frame's box in the partner page, read after the page has drawn a frame. */
const hubFrameBox = (page) =>
  page.evaluate(
    (prefix) =>
      new Promise((resolve) => {
        const read = () => {
          const f = [...document.querySelectorAll("iframe")].find((i) => i.src.startsWith(prefix));
          const r = f?.getBoundingClientRect();
          resolve(r ? `${r.x},${r.y} ${r.width}x${r.height}` : null);
        };
        // Two animation frames: the layout the page asked for has been drawn. A page
        // in the background draws none, so a timer reads the box anyway.
        requestAnimationFrame(() => requestAnimationFrame(read));
        setTimeout(read, 1000);
      }),
    HUB,
  );

/**
 * Clicks the hub's consent button as a user does: once it is shown and the partner
 * page has drawn the frame where it now sits (the SDK moves the frame into view just
 * before the hub shows the button; a click dispatched at coordinates before the page
 * drew that lands where the frame used to be). Then checks that the click reached the
 * hub frame's button, so that what follows is the hub's answer to a real click.
 */
async function clickHubButton(page) {
  await eventually("the hub's #continue button shown", () => hubButton(page).then((b) => b.shown), true);
  let box = await hubFrameBox(page);
  await waitUntil(async () => box === (box = await hubFrameBox(page)), { what: "the hub frame to sit still" });
  await page.evaluateInFrame(HUB, () => {
    if (window.__clicks === undefined) {
      document.getElementById("continue").addEventListener("click", (e) => (window.__clicks += e.isTrusted ? 1 : 0));
    }
    window.__clicks = 0;
  });
  const reached = () => page.evaluateInFrame(HUB, () => window.__clicks);
  await page.click("#continue", { frame: HUB });
  try {
    await eventually("the click to reach the hub's button", reached, 1, 2_000);
  } catch {
    // The hub saw nothing, so nothing was started: a user whose click went nowhere
    // clicks again. Said on stderr, so that a run shows how often it happens.
    console.error(`a click on the hub's button (frame at ${box}) did not reach it; clicking again`);
    await page.click("#continue", { frame: HUB });
    await eventually(`the second click to reach the hub's button (frame at ${box})`, reached, 1, 5_000);
  }
}

/**
 * Records, in the hub frame, the URL and window name of every popup it opens (the
 * popup may close before its own name or URL can be read).
 */
const recordPopups = (page) =>
  page.evaluateInFrame(HUB, () => {
    const open = window.open;
    window.__popups = [];
    window.open = function (url, name, features) {
      const opened = open.call(this, url, name, features);
      window.__popups.push({ url: new URL(url, location.href).href, name, opened: opened !== null });
      return opened;
    };
  });
const popupsOpened = (page) => page.evaluateInFrame(HUB, () => window.__popups);

/** On example2 (its partner user not signed in): the form shows `company` without any assertion. */
async function expectReusedOnExample2(page, requests, company, expectedRung) {
  await expectFormState(page, "ready");
  assert.equal(await formValue(page, "company"), company);
  assert.equal(await requests.count("/xyz-assertion"), 0, "example2 asked its backend for an assertion");
  assert.equal(await rung(page), expectedRung);
  await eventually("example2's storage line", () => text(page, "#xyz-storage"), `XYZ session storage: ${expectedRung}`);
}

/**
 * example2, opened fresh: no partner user, no form, partitioned storage — both as the
 * hub reports it and as seen directly: XYZ's frame under example2 does not see what
 * XYZ's frame under abc (`abc`) stored.
 */
async function openExample2(browser, abc) {
  const probe = `under abc ${Date.now()}`;
  await abc.evaluateInFrame(HUB, (v) => localStorage.setItem("engines-probe", v), probe);
  assert.equal(await abc.evaluateInFrame(HUB, () => localStorage.getItem("engines-probe")), probe);
  const page = await browser.newPage();
  const requests = watchRequests(page);
  await page.goto(EXAMPLE2);
  await eventually("example2's sign-in picker", () => page.evaluate(() => !!document.getElementById("partner-user-picker")), true);
  assert.equal(await page.evaluate(() => document.querySelector("crosspass-form")), null);
  assert.equal(await rung(page), "partitioned");
  assert.equal(await page.evaluateInFrame(HUB, () => localStorage.getItem("engines-probe")), null);
  return { page, requests };
}

/**
 * Clicks the hub's button once access was refused (the text says so) and checks that
 * the popup it opened was XYZ's own page, named for this one open only, and that it
 * closed by itself once `synced()` saw its work done. Resolves to the popup's window name.
 */
async function continueThroughPopup(browser, page, synced) {
  // WebKit's request never settles (a native prompt): the hub gives up after a few
  // seconds and offers the popup, hence the longer wait.
  try {
    await eventually("the hub's button to offer the popup", () => hubButton(page).then((b) => b.text), POPUP_LABEL, 20_000);
  } catch (e) {
    // What the page's storage request came to says why (e.g. access was granted).
    const outcome = await Promise.race([page.evaluate(() => window.storageRequest), new Promise((r) => setTimeout(() => r("pending"), 500))]);
    const button = await hubButton(page);
    const seen = await page.evaluate(() => ({ url: location.href, nav: performance.getEntriesByType("navigation")[0]?.type, t: performance.now() }));
    throw new Error(`${e.message}; the page's requestStorageAccess(): ${JSON.stringify(outcome)}; button ${JSON.stringify(button)}; page ${JSON.stringify(seen)}`);
  }
  const windows = (await browser.pages()).length;
  await clickHubButton(page);
  await eventually("the hub to open a popup", () => popupsOpened(page).then((p) => p.length), 1);
  const [popup] = await popupsOpened(page);
  assert.ok(popup.opened, "window.open returned no window");
  assert.ok(popup.url.startsWith(`${XYZ}/hub/popup?`), popup.url);
  assert.match(popup.name, /^crosspass-[0-9a-f]+$/);
  await synced();
  await eventually("the popup to close by itself", async () => (await browser.pages()).length, windows);
  return popup.name;
}

// --- scenarios ---------------------------------------------------------------------

// Chromium's StorageAccessHandle gives first-party localStorage; Firefox's grant unlocks
// cookies only, so there the hub keeps the session in XYZ's first-party cookie.
const GRANTED_RUNG = { chromium: "unpartitioned", firefox: "first_party_cookie" };
const WEBKIT_PROMPT =
  "with ITP, requestStorageAccess() waits on a native prompt that no WebDriver command can answer; the popup row is WebKit's way";

/**
 * @typedef {"chromium" | "firefox" | "webkit"} Engine
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title
 * @property {Partial<Record<Engine, string>>} [na] engines it cannot run in, and why
 * @property {import("./drivers/common.mjs").LaunchOptions} [launch]
 * @property {(browser: Browser) => Promise<string | void>} run  resolves with what it observed, if worth a table cell
 */

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    id: "sign-in",
    title: "Sign in on abc: an assertion from abc's backend, the form shows the record, storage partitioned",
    async run(browser) {
      const user = "bob";
      const company = fresh("Bob's Bakery", browser.engine);
      assert.equal((await putRecord(await xyzToken(user), { company })).status, 200);
      const page = await browser.newPage();
      const requests = watchRequests(page);
      await partnerSignIn(page, ABC, user);
      await expectFormState(page, "ready");
      assert.equal(await formValue(page, "company"), company);
      assert.ok((await requests.count("/xyz-assertion")) >= 1, "no assertion was asked of abc's backend");
      assert.equal(await rung(page), "partitioned");
      await eventually("abc's storage line", () => text(page, "#xyz-storage"), "XYZ session storage: partitioned");
      return "rung `partitioned`";
    },
  },
  {
    id: "save-reload",
    title: "Edit and save the form; after a reload the edit is there, and in the API",
    async run(browser) {
      const user = "chris";
      const { page, company } = await signedInOnAbc(browser, user);
      const edited = `${company} & Sons`;
      await page.fill('input[name="company"]', edited, { frame: FORM });
      await page.click(SAVE, { frame: FORM });
      await expectFormState(page, "saved");
      await page.reload();
      await expectFormState(page, "ready");
      assert.equal(await formValue(page, "company"), edited);
      assert.equal((await readRecord(await xyzToken(user))).data.company, edited);
    },
  },
  {
    id: "conflict",
    title: "Two tabs edit the record: the second save is a conflict that loses nothing; keeping it saves it",
    async run(browser) {
      const user = "casey";
      const { page: first } = await signedInOnAbc(browser, user);
      const second = await browser.newPage();
      await second.goto(ABC);
      await expectFormState(second, "ready");

      const [one, two] = [fresh("Casey from tab one", browser.engine), fresh("Casey from tab two", browser.engine)];
      await first.fill('input[name="company"]', one, { frame: FORM });
      await second.fill('input[name="company"]', two, { frame: FORM });
      await first.click(SAVE, { frame: FORM });
      await expectFormState(first, "saved");

      await second.click(SAVE, { frame: FORM });
      await expectFormState(second, "conflict");
      // Tab two's text is still in its form, and the conflict names both versions.
      assert.equal(await formValue(second, "company"), two);
      const conflict = await second.evaluateInFrame(FORM, () => {
        const section = document.querySelector("section.conflict");
        return { shown: !section.hidden, text: section.textContent };
      });
      assert.ok(conflict.shown, "the conflict panel is hidden");
      assert.ok(conflict.text.includes(one), `the conflict panel lacks tab one's version: ${conflict.text}`);
      assert.ok(conflict.text.includes(two), `the conflict panel lacks tab two's version: ${conflict.text}`);
      // Tab one's save stands on the server until tab two decides.
      const token = await xyzToken(user);
      const afterOne = await readRecord(token);
      assert.equal(afterOne.data.company, one);

      await second.click(KEEP_MINE, { frame: FORM });
      await expectFormState(second, "saved");
      const stored = await readRecord(token);
      assert.equal(stored.data.company, two);
      assert.equal(stored.version, afterOne.version + 1);
    },
  },
  {
    id: "sign-out",
    title: "Partner sign-out ends the XYZ session: the token is revoked, the form is signed out",
    async run(browser) {
      // DEF is registered with --expose-tokens: its page can hold the token to check.
      const user = "erin";
      const page = await browser.newPage();
      await partnerSignIn(page, DEF, user);
      await expectFormState(page, "ready");
      const token = await sdk(page, "getToken");
      assert.equal(typeof token.accessToken, "string", JSON.stringify(token));
      const read = () => api("/api/v1/me/record", { token: token.accessToken });
      assert.equal((await read()).status, 200);

      await page.click("#partner-sign-out");
      await eventually("DEF's sign-in picker after sign-out", () => page.evaluate(() => !!document.getElementById("partner-user-picker")), true);
      // Revoked at XYZ (RFC 7009): the copy is refused, not merely forgotten.
      await eventually("the captured token to be refused", async () => (await read()).status, 401);
      assert.equal((await read()).json?.error, "invalid_token");
      // The hub holds no session: a token now needs an assertion DEF no longer gives.
      const after = await sdk(page, "getToken");
      assert.equal(after.error?.code, "assertion_failed", JSON.stringify(after));
      // A form mounted now stays signed out.
      await page.evaluate(async () => {
        const host = document.createElement("crosspass-form");
        document.getElementById("xyz").append(host);
        (await window.crosspass).mountForm(host);
      });
      await expectFormState(page, "signed_out");
    },
  },
  {
    id: "hostile-origin",
    title: "evil.localhost (unregistered, claiming abc) gets no answer and no token; abc keeps working",
    async run(browser) {
      const { page: abc } = await signedInOnAbc(browser, "carol");
      const evil = await browser.newPage();
      const requests = watchRequests(evil);
      await evil.goto(EVIL);
      // The SDK's handshake gets no answer at all and names the likely setup mistakes.
      await waitUntil(async () => /origin_not_allowed/.test(await text(evil, "#status")), {
        what: "evil's status to say origin_not_allowed",
        timeout: 20_000,
      });
      // The hub never ran under evil (frame-ancestors): nothing reached the token endpoint.
      const urls = await requests.urls();
      assert.deepEqual(urls.filter((u) => u.startsWith(`${XYZ}/oauth/`)), []);
      // The watch does see this page's requests to XYZ: the SDK's script came from there.
      assert.ok(urls.some((u) => u.startsWith(`${XYZ}/sdk/`)), `no request to XYZ seen at all: ${JSON.stringify(urls)}`);
      // abc's session is untouched and its hub still answers.
      assert.equal(await rung(abc), "partitioned");
      const status = await abc.evaluate(async () => (await (await window.crosspass).fetch("/api/v1/me/record")).status);
      assert.equal(status, 200);
    },
  },
  {
    id: "sso-storage-access",
    title: "Storage access granted: example2 reuses abc's XYZ session without an assertion",
    na: { webkit: WEBKIT_PROMPT },
    launch: { storageAccess: "granted" },
    async run(browser) {
      const expected = GRANTED_RUNG[browser.engine];
      const { page: abc, company } = await signedInOnAbc(browser, "cora");
      await browser.setStorageAccess(ABC, XYZ, "granted");
      await askForStorage(abc);
      await clickHubButton(abc);
      const granted = await abc.evaluate(() => window.storageRequest);
      assert.equal(granted.rung, expected, JSON.stringify(granted));

      const { page, requests } = await openExample2(browser, abc);
      await browser.setStorageAccess(EXAMPLE2, XYZ, "granted");
      await page.click("#reuse");
      await clickHubButton(page);
      await expectReusedOnExample2(page, requests, company, expected);
      return `rung \`${expected}\``;
    },
  },
  {
    id: "sso-popup",
    title: "Storage access denied: XYZ's first-party popup carries abc's session to example2",
    launch: { storageAccess: "denied" },
    async run(browser) {
      const webkit = browser.engine === "webkit";
      // WebKit offers no way to answer its prompt: the hub's own timeout stands in for
      // a refusal there. ITP prompts only for a site the user has interacted with as a
      // first party (others are refused at once): a click on an XYZ page first makes
      // this the user who has used XYZ before, whose request waits on the prompt.
      const deny = (top) => (webkit ? undefined : browser.setStorageAccess(top, XYZ, "denied"));
      const start = await browser.newPage();
      if (webkit) {
        await start.goto(`${XYZ}/healthz`);
        await start.click("body");
      }
      const { page: abc, company } = await signedInOnAbc(browser, "alice", start);
      await deny(ABC);
      await askForStorage(abc);
      await recordPopups(abc);
      const asked = Date.now();
      await clickHubButton(abc);
      if (webkit) {
        await eventually("the hub to give up on WebKit's prompt", () => hubButton(abc).then((b) => b.text), POPUP_LABEL, 20_000);
        assert.ok(Date.now() - asked >= 2000, "WebKit refused at once: its prompt (and the hub's timeout) was not exercised");
      }
      const first = await continueThroughPopup(browser, abc, async () => {
        const synced = await abc.evaluate(() => window.storageRequest);
        assert.equal(synced.rung, "first_party_popup", JSON.stringify(synced));
      });

      const { page, requests } = await openExample2(browser, abc);
      await deny(EXAMPLE2);
      await recordPopups(page);
      await page.click("#reuse");
      await clickHubButton(page);
      const second = await continueThroughPopup(browser, page, () =>
        expectReusedOnExample2(page, requests, company, "first_party_popup"),
      );
      assert.notEqual(second, first, "the popup's window name was used twice");
      return "rung `first_party_popup`";
    },
  },
];
