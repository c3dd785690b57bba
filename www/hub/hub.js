// Bootstrap of the hub page and its popup: loads the wasm module and starts the part
// this page needs. Kept out of the HTML so the page's CSP can forbid inline script.
// `data-hub-state` on <html> ("starting", "ready", "failed") is for tests and debugging.
import init, { start, startPopup } from "./pkg/crosspass_hub.js";

const root = document.documentElement;
root.dataset.hubState = "starting";
try {
  await init();
  if (document.body.dataset.page === "popup") {
    startPopup();
  } else {
    await start();
  }
  root.dataset.hubState = "ready";
} catch (error) {
  root.dataset.hubState = "failed";
  console.error("Crosspass hub:", error);
}
