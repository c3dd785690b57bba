// XYZ's form in its own frame on XYZ's origin: mounted, sized to its content, themed
// through checked appearance variables, and signed in through the hub when it asks.
import type { Hub } from "./connection.js";
import { Emitter } from "./connection.js";
import { CrosspassError } from "./errors.js";
import type { FormParams } from "./generated.js";
import { Messenger } from "./messenger.js";
import type { FormEvents, FormHandle, FormOptions } from "./types.js";

/** The least time between two sign-ins the form asks for (a failing one cannot loop). */
const SIGN_IN_INTERVAL_MS = 2000;

const params = (o: Omit<FormOptions, "title">): FormParams => ({
  appearance: (o.appearance?.variables ?? {}) as Record<string, string>,
  ...(o.locale ? { locale: o.locale } : {}),
  messages: (o.messages ?? {}) as Record<string, string>,
});

export function mountForm(hub: Hub, element: Element, options: FormOptions, onDestroy: () => void): FormHandle {
  const events = new Emitter<FormEvents>();
  const host = element as HTMLElement;
  const frame = document.createElement("iframe");
  frame.title = options.title ?? (options.locale?.startsWith("de") ? "XYZ-Formular" : "XYZ form");
  frame.style.cssText = "display:block;width:100%;height:0;border:0;color-scheme:normal";
  let current: Omit<FormOptions, "title"> = options;
  let lastSignIn = 0;
  let destroyed = false;

  const fail = (e: unknown) => {
    const error = e as CrosspassError;
    host.dataset.state = "error";
    events.emit("error", { code: error.code ?? "server_error", message: String(error.message ?? e) });
  };

  const messenger = new Messenger(frame, hub.hub.origin, (event, data) => {
    switch (event) {
      case "form.state": {
        host.dataset.state = data.state;
        events.emit("state", data);
        if (data.state === "ready") {
          lastSignIn = 0;
          events.emit("ready", {});
        }
        // The form has no session: sign in through the hub (only the page can ask the
        // partner's backend), then tell the form to load again.
        if (data.state === "signed_out" && data.code === "login_required" && Date.now() - lastSignIn > SIGN_IN_INTERVAL_MS) {
          lastSignIn = Date.now();
          hub
            .ensureSession()
            .then(() => messenger.call("form.update", params(current), 10_000))
            .catch((e) => events.emit("error", { code: e.code ?? "server_error", message: String(e.message ?? e) }));
        }
        break;
      }
      case "form.change":
        return events.emit("change", { dirty: data.dirty === true });
      case "form.saved":
        return events.emit("saved", {});
      case "form.conflict":
        return events.emit("conflict", {});
      case "form.error":
        return events.emit("error", { code: data.code, message: data.message });
      case "form.resize":
        frame.style.height = `${Number(data.height) || 0}px`;
        return;
      case "session.changed":
        return events.emit("session", { signedIn: data.signed_in === true });
    }
  });

  host.dataset.state = "loading";
  // Sign in while the form's frame loads, not after it asks: by the time it wants a
  // token the hub has one. A failure here is reported when the form asks again.
  if (hub.options.getAssertion || hub.options.getSession) hub.ensureSession().catch(() => {});
  const url = new URL("/embed/form", messenger.origin);
  url.searchParams.set("client_id", hub.options.clientId);
  const mounted = messenger
    .open(url.href, host, hub.options.clientId, 10_000)
    .then(() => messenger.call("form.mount", params(options), 10_000));
  mounted.catch((e) => !destroyed && fail(e));

  const form: FormHandle = {
    on: (event, callback) => events.on(event, callback),
    async update(next) {
      await mounted;
      // The frame takes the whole set each time: what is not named stays as it was.
      const merged = { ...current, ...next };
      await messenger.call("form.update", params(merged), 10_000);
      current = merged;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      messenger.close();
      delete host.dataset.state;
      onDestroy();
    },
  };
  return form;
}
