// ESM entry of the `crosspass` package: loads the wasm module once, on first use.
// Everything else lives in Rust (crosspass_sdk.js is wasm-bindgen's output).
import init, { Crosspass as Core } from "./crosspass_sdk.js";

let loading;

/** Loads the wasm module (once). Optional: connect() calls it. */
export function load(wasmUrl) {
  loading ||= init(wasmUrl ? { module_or_path: wasmUrl } : undefined);
  return loading;
}

export const Crosspass = Object.freeze({
  /** Adds the hub iframe, completes the handshake and resolves with the connection. */
  async connect(options) {
    await load();
    return Core.connect(options);
  },
});

/** True for the errors Crosspass rejects with (they carry a stable `code`). */
export function isCrosspassError(error) {
  return error instanceof Error && error.name === "CrosspassError" && typeof error.code === "string";
}

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
