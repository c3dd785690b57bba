// Script-tag entry: <script src="https://sso.xyz/sdk/crosspass.js" data-client-id="abc"
// data-assertion-url="/xyz-assertion" defer></script>
// A classic script (so `defer` and document.currentScript work) that imports the ES
// module next to it, connects, and wires up every <crosspass-form> on the page.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const base = new URL(".", script.src);
  const clientId = script.dataset.clientId;
  const assertionUrl = script.dataset.assertionUrl;
  const hubUrl = script.dataset.hubUrl || new URL("/hub", script.src).href;
  const scope = script.dataset.scope || undefined;

  // The assertion endpoint is on the partner's own origin: it answers a same-origin POST,
  // with the partner's session cookie, by JSON {"assertion": "..."} or the bare assertion.
  async function getAssertion() {
    const url = new URL(assertionUrl, location.href);
    if (url.origin !== location.origin) throw new Error("data-assertion-url must be on this page's origin");
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json, text/plain" },
    });
    if (!response.ok) throw new Error(`assertion endpoint answered ${response.status}`);
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? (await response.json()).assertion : (await response.text()).trim();
  }

  const sdk = import(new URL("form.js", base).href);
  // The hub frame starts loading now, beside the SDK rather than after it.
  const frame = import(new URL("frame.js", base).href).then((m) => m.hubFrame({ hubUrl, clientId }));
  const connection = Promise.all([sdk, frame]).then(([m, frame]) =>
    m.Crosspass.connect({ hubUrl, clientId, scope, frame, getAssertion: assertionUrl ? getAssertion : undefined }),
  );
  sdk.then((m) => m.defineFormElement(connection));
  // For page scripts: `await window.crosspass` gives the connection.
  Object.defineProperty(window, "crosspass", { value: connection, configurable: true });
  connection.catch((error) => console.error("Crosspass:", error));
})();
