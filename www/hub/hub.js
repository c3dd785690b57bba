// Bootstrap of the hub page and its popup: loads the wasm module and starts the part
// this page needs. Kept out of the HTML so the page's CSP can forbid inline script.
// `data-hub-state` on <html> ("starting", "ready", "failed") and the performance marks
// `crosspass-hub-loaded` (module instantiated) and `crosspass-hub-ready` (listening) are
// for tests, benchmarks and debugging.
import init, { start, startPopup } from "./pkg/crosspass_hub.js";

const root = document.documentElement;
root.dataset.hubState = "starting";
try {
  await init();
  performance.mark("crosspass-hub-loaded");
  if (document.body.dataset.page === "popup") {
    startPopup();
  } else {
    await start();
  }
  performance.mark("crosspass-hub-ready");
  root.dataset.hubState = "ready";
} catch (error) {
  root.dataset.hubState = "failed";
  console.error("Crosspass hub:", error);
}
