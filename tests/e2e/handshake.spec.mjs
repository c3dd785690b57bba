// The hub answers its client's registered origins, and nobody else.
import { test, expect } from "@playwright/test";
import { ABC, DEF, EVIL } from "./env.mjs";
import { blankPage, handshake } from "./pages.mjs";

test("a page on abc's registered origin gets `ready` from abc's hub", async ({ context }) => {
  const page = await blankPage(context, ABC);
  const reply = await handshake(page, "abc");
  expect(reply).toMatchObject({ crosspass: 2, result: { protocol: 2, expose_tokens: false } });
  expect(reply.result.methods).toEqual(expect.arrayContaining(["session.get", "session.begin", "fetch"]));
  expect(reply.result.storage.rung).toBe("partitioned");
});

test("an unregistered origin that frames the hub gets no answer", async ({ context }) => {
  const page = await blankPage(context, EVIL);
  expect(await handshake(page, "abc", { timeoutMs: 2000 })).toBe("no answer");
});

test("an unregistered origin that opens the hub as a window gets no answer; abc still does", async ({ context }) => {
  // No frame-ancestors CSP applies to a top-level window: only the hub's own origin
  // check stands between evil and the hub.
  const evil = await blankPage(context, EVIL);
  expect(await handshake(evil, "abc", { via: "window", timeoutMs: 3000 })).toBe("no answer");

  const abc = await blankPage(context, ABC);
  expect(await handshake(abc, "abc")).toMatchObject({ result: { protocol: 2 } });
});

test("another tenant's registered origin is refused by abc's hub", async ({ context }) => {
  const def = await blankPage(context, DEF);
  expect(await handshake(def, "abc", { via: "window", timeoutMs: 3000 })).toBe("no answer");
  expect(await handshake(def, "def")).toMatchObject({ result: { protocol: 2, expose_tokens: true } });
});
