// Cold start of the SDK on a partner page, from the moment its script tag is inserted
// to the form rendered with the user's data, timed from the page itself (no hooks in
// the SDK): the script's load event, `window.crosspass` (the hub handshake done), the
// resource timing of the partner's assertion endpoint and of the first API request
// (which carries the token), and the form's `crosspass-state` event.
import { roundTrips } from "/timing.js";

const xyz = new URL(location.href).searchParams.get("xyz");
const form = document.querySelector("crosspass-form");
const marks = {};
const mark = (name) => (marks[name] ??= performance.now());

const rendered = new Promise((resolve, reject) => {
  form.addEventListener("crosspass-state", ({ detail }) => {
    if (detail.state === "ready") resolve();
    if (detail.state === "error" || detail.state === "signed-out") reject(new Error(`form state ${detail.state}`));
  });
});

const start = performance.now();
const script = document.createElement("script");
script.src = `${xyz}/sdk/crosspass.js`;
script.dataset.clientId = "abc";
script.dataset.assertionUrl = "/xyz-assertion";
script.addEventListener("load", () => {
  mark("script");
  window.crosspass.then(() => mark("connected"));
});
customElements.whenDefined("crosspass-form").then(() => mark("defined"));
document.head.append(script);

/** Resolves with the stages of this load, in ms since the script tag was inserted. */
window.coldStart = rendered.then(() => {
  mark("rendered");
  const resources = performance.getEntriesByType("resource");
  const path = (e) => new URL(e.name).pathname;
  const wasm = resources.find((e) => path(e).endsWith("/crosspass_sdk_bg.wasm"));
  const assertion = resources.find((e) => path(e) === "/xyz-assertion");
  const api = resources.filter((e) => e.name.startsWith(`${xyz}/api/`)).map((e) => e.startTime);
  const company = form.shadowRoot?.querySelector('[name="company"]')?.value ?? null;
  const since = (t) => (t === undefined ? null : t - start);
  return {
    script: since(marks.script),
    defined: since(marks.defined),
    wasm: since(wasm?.responseEnd),
    connected: since(marks.connected),
    assertion: since(assertion?.responseEnd),
    token: api.length ? since(Math.min(...api)) : null,
    rendered: since(marks.rendered),
    company,
  };
});

/** `getToken()` round trips through the hub, once this page's form is up. */
window.tokenRoundTrips = async (n) => {
  await window.coldStart;
  const xp = await window.crosspass;
  return roundTrips(() => xp.getToken({ scope: "form.read" }), n);
};
