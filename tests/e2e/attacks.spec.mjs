// Attacks on the hub, in Chromium across distinct sites: origins that only look like a
// partner's, the `null` origin of a sandboxed frame, framing by strangers, messages
// before the handshake, and hostile envelopes on the private port. Each one gets no
// answer at all, or exactly the error code it must; afterwards the hub still serves
// abc. Every "no answer" is waited for on a hub that is already running.
import { test, expect } from "@playwright/test";
import { ABC, PORTS, XYZ } from "./env.mjs";
import { mintAbcAssertion } from "./assertions.mjs";
import { blankPage, hubUrl } from "./pages.mjs";

const hello = (clientId = "abc", id = "h1") =>
  JSON.stringify({ crosspass: 2, id, method: "hello", params: { client_id: clientId, sdk_version: "e2e" } });

const envelope = (id, method, params) => JSON.stringify({ crosspass: 2, id, method, params });

/** Waits until the hub document in `frameOrPage` has started (its wasm is listening). */
async function hubReady(frameOrPage) {
  await expect(frameOrPage.locator("html")).toHaveAttribute("data-hub-state", "ready");
}

/** A page on `origin` with abc's hub open in a frame, running. */
async function withHubFrame(context, origin) {
  const page = await blankPage(context, origin);
  await page.evaluate((url) => window.rawHub.open(url), hubUrl("abc"));
  const hubFrame = () => page.frames().find((f) => f.url().startsWith(`${XYZ}/hub?`));
  await expect.poll(hubFrame).toBeTruthy();
  await hubReady(hubFrame());
  return page;
}

/** A page on `origin` with abc's hub open as a window (no frame-ancestors applies), running. */
async function withHubWindow(context, origin) {
  const page = await blankPage(context, origin);
  const popup = page.waitForEvent("popup");
  await page.evaluate((url) => window.rawHub.open(url, { via: "window" }), hubUrl("abc"));
  await hubReady(await popup);
  return page;
}

const post = (page, message, opts) => page.evaluate(([m, o]) => window.rawHub.post(m, o), [message, opts]);
const send = (page, data) => page.evaluate((d) => window.rawHub.send(d), data);

test("origins that only look like abc's get no answer; abc's own does", async ({ context }) => {
  for (const origin of [
    `http://abc.localhost.evil.localhost:${PORTS.abc}`, // abc's host as a prefix
    `http://evil-abc.localhost:${PORTS.abc}`, // abc's host as a suffix
    `http://app.abc.localhost:${PORTS.abc}`, // a subdomain: the same site, another origin
    `http://abc.localhost:${PORTS.def}`, // abc's host on another port
  ]) {
    const page = await withHubWindow(context, origin);
    expect(await page.evaluate(() => location.origin)).toBe(origin);
    expect(await post(page, hello()), origin).toBe("no answer");
    await page.close();
  }
  const abc = await withHubWindow(context, ABC);
  expect(await post(abc, hello())).toMatchObject({ id: "h1", result: { protocol: 2 } });
});

test("a sandboxed frame inside abc's page has the null origin and gets no answer", async ({ context }) => {
  const page = await withHubFrame(context, ABC);
  await page.evaluate(() =>
    Promise.all(
      ["sandboxed", "same-origin"].map((name) => {
        const frame = document.createElement("iframe");
        frame.name = name;
        if (name === "sandboxed") frame.sandbox = "allow-scripts";
        frame.srcdoc = `<p>${name}</p>`;
        document.body.append(frame);
        return new Promise((resolve) => frame.addEventListener("load", resolve));
      }),
    ),
  );
  // The same frame without the sandbox has abc's origin, and is answered.
  const fromFrame = (name) =>
    page.frame({ name }).evaluate(
      ([message, hubOrigin]) =>
        new Promise((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (e) => resolve(`${self.origin}: ${JSON.parse(e.data).result?.protocol}`);
          // The hub is the page's first frame; a sandboxed frame can still post to it.
          parent.frames[0].postMessage(message, hubOrigin, [channel.port2]);
          setTimeout(() => resolve(`${self.origin}: no answer`), 1000);
        }),
      [hello(), XYZ],
    );
  expect(await fromFrame("sandboxed")).toBe("null: no answer");
  expect(await fromFrame("same-origin")).toBe(`${ABC}: 2`);
});

/** The frame `name` of `page` ends on Chromium's error page: a frame-ancestors refusal. */
async function expectBlocked(page, name) {
  await expect.poll(() => page.frame({ name })?.url()).toBe("chrome-error://chromewebdata/");
}

test("strangers cannot frame the hub or its popup, even through abc's page (clickjacking)", async ({ context }) => {
  const evil = await blankPage(context, `http://evil.localhost:${PORTS.evil}`);
  await evil.evaluate(
    ([hub, popup, abc]) => {
      for (const [name, src] of [["hub", hub], ["popup", popup], ["abc", abc]]) {
        const frame = document.createElement("iframe");
        frame.name = name;
        frame.src = src;
        document.body.append(frame);
      }
    },
    [hubUrl("abc"), `${XYZ}/hub/popup?client_id=abc`, `${ABC}/session`],
  );
  await expectBlocked(evil, "hub");
  await expectBlocked(evil, "popup");
  // abc's page framed by evil, framing abc's hub: one ancestor is a stranger.
  await expect.poll(() => evil.frame({ name: "abc" })?.url()).toBe(`${ABC}/session`);
  const inner = evil.frame({ name: "abc" });
  await inner.evaluate((src) => {
    const frame = document.createElement("iframe");
    frame.name = "nested-hub";
    frame.src = src;
    document.body.append(frame);
  }, hubUrl("abc"));
  await expectBlocked(evil, "nested-hub");

  // abc itself may frame the hub, but never the popup.
  const abc = await blankPage(context, ABC);
  await abc.evaluate(
    ([hub, popup]) => {
      for (const [name, src] of [["hub", hub], ["popup", popup]]) {
        const frame = document.createElement("iframe");
        frame.name = name;
        frame.src = src;
        document.body.append(frame);
      }
    },
    [hubUrl("abc"), `${XYZ}/hub/popup?client_id=abc`],
  );
  await expectBlocked(abc, "popup");
  await hubReady(abc.frame({ name: "hub" }));
});

test("before the handshake the hub's window answers nothing but a proper hello", async ({ context }) => {
  const page = await withHubFrame(context, ABC);
  const redemptions = [];
  page.on("request", (r) => r.url() === `${XYZ}/oauth/token` && redemptions.push(r.url()));
  const assertion = await mintAbcAssertion("cleo");
  for (const [name, message] of [
    ["token.get before hello", envelope("t1", "token.get", { scope: "form.read" })],
    ["fetch before hello", envelope("f1", "fetch", { path: "/api/v1/me/record" })],
    ["session.begin before hello", envelope("s1", "session.begin", { assertion })],
    ["session.end before hello", envelope("e1", "session.end", {})],
    ["hello as an object, not JSON text", JSON.parse(hello())],
    ["hello for another client", hello("def")],
    ["hello with an unknown member", JSON.stringify({ ...JSON.parse(hello()), admin: true })],
    ["hello with a __proto__ member", hello().replace('"params":{', '"params":{"__proto__":{"admin":true},')],
    ["hello of 70 KB", hello("abc", "h1").replace('"e2e"', JSON.stringify("x".repeat(70_000)))],
    ["hello of protocol version 1", hello().replace('"crosspass":2', '"crosspass":1')],
  ]) {
    expect(await post(page, message), name).toBe("no answer");
  }
  expect(redemptions).toEqual([]);
  expect(await post(page, hello())).toMatchObject({ id: "h1", result: { protocol: 2 } });
  // The same hello again (as the SDK's retries send it) opens another port, no more.
  expect(await post(page, hello())).toMatchObject({ id: "h1", result: { protocol: 2 } });
});

test("hostile envelopes on the private port get exactly invalid_request, and abc is still served", async ({
  context,
}) => {
  const page = await withHubFrame(context, ABC);
  expect(await post(page, hello())).toMatchObject({ result: { protocol: 2 } });

  const nested = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
  const cases = [
    ["a replayed hello", hello("abc", "again"), "again"],
    ["70 KB of params", envelope("big", "token.get", { scope: "a".repeat(70_000) }), null],
    ["__proto__ in params", '{"crosspass":2,"id":"p1","method":"token.get","params":{"scope":"form.read","__proto__":{"scope":"admin"}}}', "p1"],
    ["__proto__ in the envelope", '{"__proto__":{"method":"session.end"},"crosspass":2,"id":"p2","method":"token.get","params":{"scope":"form.read"}}', "p2"],
    ["constructor and prototype in params", envelope("p3", "session.begin", { assertion: "a.b.c", constructor: { prototype: { x: 1 } } }), "p3"],
    ["an unknown method", envelope("m1", "token.steal", {}), "m1"],
    ["a method in upper case", envelope("m2", "TOKEN.GET", { scope: "form.read" }), "m2"],
    ["the method __proto__", envelope("m3", "__proto__", {}), "m3"],
    ["an object instead of JSON text", { crosspass: 2, id: "o1", method: "storage.status", params: {} }, null],
    ["10 000 nested arrays", nested, null],
    ["a duplicate id", '{"crosspass":2,"id":"d1","id":"d2","method":"storage.status","params":{}}', null],
    ["an id with a path in it", envelope("../../admin", "storage.status", {}), null],
    ["an id of 65 characters", envelope("i".repeat(65), "storage.status", {}), null],
    ["an id with a lone surrogate", envelope("\ud800", "storage.status", {}), null],
    ["the version as a string", '{"crosspass":"2","id":"v1","method":"storage.status","params":{}}', "v1"],
    ["params as an array", envelope("a1", "token.get", ["form.read"]), "a1"],
    ["session.begin with both credentials", envelope("b1", "session.begin", { assertion: "a.b.c", access_token: "a.b.c" }), "b1"],
  ];
  for (const [name, data, id] of cases) {
    const reply = await send(page, data);
    expect(reply, name).toMatchObject({ crosspass: 2, id, error: { code: "invalid_request" } });
    expect(reply, name).not.toHaveProperty("result");
  }
  expect(await send(page, envelope("v2", "storage.status", {}).replace('"crosspass":2', '"crosspass":1'))).toMatchObject({
    id: "v2",
    error: { code: "unsupported_version" },
  });
  // A reused request id is just a label: each request gets its own answer.
  for (let i = 0; i < 2; i++) {
    expect(await send(page, envelope("same", "storage.status", {}))).toMatchObject({ id: "same", result: { rung: "partitioned" } });
  }

  // Still serving abc, on the same port.
  const begun = await send(page, envelope("ok1", "session.begin", { assertion: await mintAbcAssertion("cleo") }));
  expect(begun).toMatchObject({ id: "ok1", result: { scope: "form.read form.write", expires_at: expect.any(Number) } });
  expect(begun.result).not.toHaveProperty("access_token");
  expect(await send(page, envelope("ok2", "session.get", { scope: "form.read" }))).toMatchObject({
    id: "ok2",
    result: { expires_at: begun.result.expires_at },
  });
  // abc is not registered to receive tokens: its page never gets one.
  expect(await send(page, envelope("ok3", "token.get", { scope: "form.read" }))).toMatchObject({
    id: "ok3",
    error: { code: "token_not_exposed" },
  });
});

/** An unsigned compact JWT with these claims (the hub never sees a key). */
function forgedToken(claims, typ = "at+jwt") {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "EdDSA", kid: "xyz-forged", typ })}.${b64(claims)}.${b64("sig")}`;
}

test("tokens bound elsewhere are refused by the hub with their exact code, and nothing is stored", async ({
  context,
}) => {
  const page = await withHubFrame(context, ABC);
  expect(await post(page, hello())).toMatchObject({ result: { protocol: 2 } });
  const now = Math.floor(Date.now() / 1000);
  const good = {
    iss: XYZ,
    sub: "u_forged",
    aud: `${XYZ}/api`,
    client_id: "abc",
    tenant: "abc",
    scope: "form.read form.write",
    jti: "f1",
    iat: now,
    exp: now + 600,
  };
  for (const [name, token] of [
    ["another client's token", forgedToken({ ...good, client_id: "def", tenant: "def" })],
    ["another tenant", forgedToken({ ...good, tenant: "def" })],
    ["another issuer", forgedToken({ ...good, iss: "http://evil.localhost" })],
    ["another audience", forgedToken({ ...good, aud: XYZ })],
    ["two audiences", forgedToken({ ...good, aud: [`${XYZ}/api`, "http://evil.localhost/api"] })],
    ["expired", forgedToken({ ...good, exp: now - 1 })],
    ["an assertion's typ", forgedToken(good, "oauth-id-jag+jwt")],
    ["exp as a string", forgedToken({ ...good, exp: String(now + 600) })],
    ["not a JWT", "not-a-jwt"],
  ]) {
    const reply = await send(page, envelope("f", "session.begin", { access_token: token }));
    expect(reply, name).toMatchObject({ id: "f", error: { code: "invalid_token" } });
  }
  const refused = await send(page, envelope("g", "session.begin", { assertion: forgedToken(good, "oauth-id-jag+jwt") }));
  expect(refused).toMatchObject({ id: "g", error: { code: "invalid_grant" } });
  expect(await send(page, envelope("t", "session.get", { scope: "form.read" }))).toMatchObject({
    id: "t",
    error: { code: "login_required" },
  });
});
