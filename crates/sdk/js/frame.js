// The hub's iframe, started before the SDK's wasm module has loaded so that both load
// at once. The module adopts it: it checks where it points, styles it and shakes hands.

/**
 * Starts the hidden hub iframe for `{ hubUrl, clientId }`, or gives `undefined` when the
 * options cannot name one (`connect` then reports what is wrong with them).
 */
export function hubFrame(options) {
  try {
    const url = new URL(options.hubUrl, location.href);
    url.searchParams.set("client_id", options.clientId);
    url.hash = "";
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    const frame = document.createElement("iframe");
    frame.hidden = true;
    // Before `src`: the permission policy is fixed when the navigation starts.
    frame.allow = "storage-access";
    frame.src = url.href;
    (document.body ?? document.documentElement).append(frame);
    return frame;
  } catch {
    return undefined;
  }
}

