// `crosspass`: the connection and the API, without the form widget (the smaller module).
// crosspass_core.js is wasm-bindgen's output for the SDK built without its widget.
import init, { Crosspass as Core } from "./crosspass_core.js";
import { entry } from "./entry.js";

export { isCrosspassError } from "./entry.js";
export const { load, Crosspass } = entry(init, Core);
