// `<crosspass-form>`: a custom element that mounts XYZ's form with the page's
// connection. Defined on demand, so importing the package never touches the DOM.
import type { Appearance, Connection, FormHandle } from "./types.js";

export function defineFormElement(connection: Promise<Connection>, name = "crosspass-form"): void {
  if (typeof customElements === "undefined" || customElements.get(name)) return;
  customElements.define(
    name,
    class extends HTMLElement {
      appearance?: Appearance;
      form?: FormHandle;
      connectedCallback() {
        if (!this.style.display) this.style.display = "block";
        connection.then(
          (xp) => {
            if (!this.isConnected || this.form) return;
            this.form = xp.mountForm(this, { appearance: this.appearance, locale: this.getAttribute("locale") ?? undefined });
          },
          () => (this.dataset.state = "error"),
        );
      }
      disconnectedCallback() {
        this.form?.destroy();
        this.form = undefined;
      }
    },
  );
}
