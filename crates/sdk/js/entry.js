// Shared by the package's two entry points (`crosspass` and `crosspass/form`): loads one
// wasm-bindgen module once, on first use, and wraps its `connect`.
import { hubFrame } from "./frame.js";

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
      // The hub page loads while this module does; the module checks and styles it.
      // (The script tag starts the frame even earlier and hands it over as `frame`.)
      const frame = options?.frame ?? hubFrame(options);
      try {
        await load();
        return await Core.connect(frame ? { ...options, frame } : options);
      } catch (error) {
        frame?.remove();
        throw error;
      }
    },
  });
  return { load, Crosspass };
}

/** True for the errors Crosspass rejects with (they carry a stable `code`). */
export function isCrosspassError(error) {
  return error instanceof Error && error.name === "CrosspassError" && typeof error.code === "string";
}
