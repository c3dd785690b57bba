// Bootstrap of XYZ's frame pages (hub, form, popup): loads the wasm module and starts
// the part this page needs. Kept out of the HTML so the page's CSP can forbid inline script.
// Served minified beside the modules it imports, as /hub/pkg/hub.js (build-wasm.sh).
// `data-hub-state` on <html> ("starting", "ready", "failed") and the performance marks
// `crosspass-hub-loaded` (module instantiated) and `crosspass-hub-ready` (listening) are
// for tests, benchmarks and debugging. The popup and the form have builds of their
// own, so the hub page (framed by every partner page) carries neither's code.
const page = document.body.dataset.page;
const root = document.documentElement;
root.dataset.hubState = "starting";
// The SDK says hello when the frame has loaded, which can be before the module has
// compiled: what arrives until then is kept (a few at most) and dispatched again once
// the module listens, so the first hello is answered without waiting for a retry.
// (Only XYZ's own code runs here, so only this file dispatches such copies.)
const early = [];
const keep = (e) => early.length < 8 && early.push(e);
addEventListener("message", keep);
try {
  const hub = await (page === "popup"
    ? import("./crosspass_popup.js")
    : page === "form"
      ? import("./crosspass_form.js")
      : import("./crosspass_hub.js"));
  await hub.default();
  performance.mark("crosspass-hub-loaded");
  if (page === "popup") {
    hub.startPopup();
  } else if (page === "form") {
    hub.startForm();
  } else {
    await hub.start();
  }
  removeEventListener("message", keep);
  for (const { data, origin, source, ports } of early.splice(0)) {
    dispatchEvent(new MessageEvent("message", { data, origin, source, ports: [...ports] }));
  }
  performance.mark("crosspass-hub-ready");
  root.dataset.hubState = "ready";
} catch (error) {
  removeEventListener("message", keep);
  root.dataset.hubState = "failed";
  console.error("Crosspass hub:", error);
}
