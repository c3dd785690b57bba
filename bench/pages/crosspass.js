// Cold start of the SDK on a partner page, from the moment its script tag is inserted
// to the form rendered with the user's data, timed from the page itself (no hooks in
// the SDK): the script's load event, `window.crosspass` (the hub handshake done), the
// resource timing of the partner's assertion endpoint, and the form element's
// `data-state` reaching `ready`.
import { roundTrips } from "/timing.js";

const xyz = new URL(location.href).searchParams.get("xyz");
const form = document.querySelector("crosspass-form");
const marks = {};
const mark = (name) => (marks[name] ??= performance.now());

const rendered = new Promise((resolve, reject) => {
  new MutationObserver(() => {
    const state = form.dataset.state;
    if (state === "ready") resolve();
    if (state === "error") reject(new Error(`form state ${state}`));
  }).observe(form, { attributes: true, attributeFilter: ["data-state"] });
});

const start = performance.now();
/** The script tag's insertion on the shared clock, for the frames' timelines. */
window.coldStartAt = performance.timeOrigin + start;
const script = document.createElement("script");
script.src = `${xyz}/sdk/v1/crosspass.js`;
script.dataset.clientId = "abc";
script.dataset.assertionUrl = "/xyz-assertion";
script.addEventListener("load", () => {
  mark("script");
  window.crosspass.then(() => mark("connected"));
});
document.head.append(script);

/** Resolves with the stages of this load, in ms since the script tag was inserted. */
window.coldStart = rendered.then(() => {
  mark("rendered");
  const assertion = performance.getEntriesByType("resource").find((e) => new URL(e.name).pathname === "/xyz-assertion");
  const since = (t) => (t === undefined ? null : t - start);
  return {
    script: since(marks.script),
    connected: since(marks.connected),
    assertion: since(assertion?.responseEnd),
    rendered: since(marks.rendered),
  };
});

/** `getToken()` calls once the form is up: answered from the page's copy of the token. */
window.tokenRoundTrips = async (n) => {
  await window.coldStart;
  const xp = await window.crosspass;
  return roundTrips(() => xp.getToken({ scope: "form.read" }), n);
};

/** `getToken({ cacheMode: "off" })`: each call a round trip to the hub, which answers from its store. */
window.hubTokenRoundTrips = async (n) => {
  await window.coldStart;
  const xp = await window.crosspass;
  return roundTrips(() => xp.getToken({ scope: "form.read", cacheMode: "off" }), n);
};

/** `fetch()` round trips: the hub calls XYZ's API with the token and relays the answer. */
window.fetchRoundTrips = async (n) => {
  await window.coldStart;
  const xp = await window.crosspass;
  return roundTrips(async () => {
    const r = await xp.fetch("/api/v1/me/record");
    if (r.status !== 200) throw new Error(`fetch: HTTP ${r.status}`);
    await r.text();
  }, n);
};
