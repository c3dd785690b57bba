// The script-tag build: <script src="https://sso.xyz/sdk/v1/crosspass.js"
// data-client-id="abc" data-assertion-url="/xyz-assertion" defer></script>.
// The hub is the script's own origin: nothing on the page can point it elsewhere.
// `await window.crosspass` gives the connection; <crosspass-form> mounts the form.
import { connect } from "./connection.js";
import { defineFormElement } from "./element.js";
import { CrosspassError } from "./errors.js";

(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  if (!script) return;
  const d = script.dataset;
  const csrf = (): Record<string, string> => {
    if (!d.csrfHeader) return {};
    const meta = d.csrfMeta && document.querySelector<HTMLMetaElement>(`meta[name="${CSS.escape(d.csrfMeta)}"]`)?.content;
    const cookie =
      d.csrfCookie &&
      document.cookie
        .split("; ")
        .find((c) => c.startsWith(`${d.csrfCookie}=`))
        ?.slice(d.csrfCookie.length + 1);
    const value = meta || (cookie && decodeURIComponent(cookie));
    return value ? { [d.csrfHeader]: value } : {};
  };
  // The partner's endpoint answers a same-origin POST, with its own session cookie,
  // by JSON ({"assertion": …} or {"session": …}) or by the bare text.
  const fromBackend = (path: string | undefined, member: string) =>
    path &&
    (async () => {
      const url = new URL(path, location.href);
      if (url.origin !== location.origin) throw new CrosspassError("invalid_request", `${path} must be on this page's origin`);
      const res = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json, text/plain", ...csrf() },
      });
      if (!res.ok) throw new Error(`${url.pathname} answered HTTP ${res.status}`);
      return (res.headers.get("content-type") ?? "").includes("json") ? (await res.json())[member] : (await res.text()).trim();
    });
  const connection = connect({
    hubUrl: new URL("/hub", script.src).href,
    clientId: d.clientId ?? "",
    scope: d.scope,
    locale: d.locale,
    getAssertion: fromBackend(d.assertionUrl, "assertion") || undefined,
    getSession: fromBackend(d.sessionUrl, "session") || undefined,
  });
  connection.catch((e) => console.error("Crosspass:", e));
  Object.defineProperty(window, "crosspass", { value: connection, enumerable: true });
  defineFormElement(connection);
})();
