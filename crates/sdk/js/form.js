// `crosspass/form`: the API plus the form widget (`mountForm`, `<crosspass-form>`).
// crosspass_sdk.js is wasm-bindgen's output for the SDK with its widget.
import init, { Crosspass as Core } from "./crosspass_sdk.js";
import { entry } from "./entry.js";

export { isCrosspassError } from "./entry.js";
export const { load, Crosspass } = entry(init, Core);

/**
 * Registers the `<crosspass-form>` element, wired to a connection (or a promise of one).
 * Attributes: `path` (API path of the record), `schema-path` (API path of the form schema).
 */
export function defineFormElement(connection, name = "crosspass-form") {
  if (customElements.get(name)) return;
  const ready = Promise.resolve(connection);
  customElements.define(
    name,
    class extends HTMLElement {
      connectedCallback() {
        const generation = (this._generation = (this._generation || 0) + 1);
        ready.then(
          (xp) => {
            if (generation !== this._generation || !this.isConnected) return;
            this._form = xp.mountForm(this, {
              path: this.getAttribute("path") || undefined,
              schemaPath: this.getAttribute("schema-path") || undefined,
            });
          },
          (error) => {
            this.dispatchEvent(new CustomEvent("crosspass-error", { detail: error, bubbles: true }));
          },
        );
      }
      disconnectedCallback() {
        this._generation = (this._generation || 0) + 1;
        this._form?.destroy();
        this._form = undefined;
      }
    },
  );
}
