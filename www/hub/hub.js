// Bootstrap of the hub page and its popup: loads the wasm module and starts the part
// this page needs. Kept out of the HTML so the page's CSP can forbid inline script.
// Served minified beside the modules it imports, as /hub/pkg/hub.js (build-wasm.sh).
// `data-hub-state` on <html> ("starting", "ready", "failed") and the performance marks
// `crosspass-hub-loaded` (module instantiated) and `crosspass-hub-ready` (listening) are
// for tests, benchmarks and debugging. The popup has a build of its own, so the hub
// page (framed by every partner page) does not download the popup's code.
const popup = document.body.dataset.page === "popup";
const root = document.documentElement;
root.dataset.hubState = "starting";
try {
  const hub = await (popup ? import("./crosspass_popup.js") : import("./crosspass_hub.js"));
  await hub.default();
  performance.mark("crosspass-hub-loaded");
  if (popup) {
    hub.startPopup();
  } else {
    await hub.start();
  }
  performance.mark("crosspass-hub-ready");
  root.dataset.hubState = "ready";
} catch (error) {
  root.dataset.hubState = "failed";
  console.error("Crosspass hub:", error);
}
