// Shared by the package's two entry points (`crosspass` and `crosspass/form`): loads one
// wasm-bindgen module once, on first use, and wraps its `connect`.

/** `load` and `Crosspass` for the module `init` loads and its `Core` class. */
export function entry(init, Core) {
  let loading;
  function load(wasmUrl) {
    loading ||= init(wasmUrl ? { module_or_path: wasmUrl } : undefined);
    return loading;
  }
  const Crosspass = Object.freeze({
    /** Adds the hub iframe, completes the handshake and resolves with the connection. */
    async connect(options) {
      await load();
      return Core.connect(options);
    },
  });
  return { load, Crosspass };
}

/** True for the errors Crosspass rejects with (they carry a stable `code`). */
export function isCrosspassError(error) {
  return error instanceof Error && error.name === "CrosspassError" && typeof error.code === "string";
}
