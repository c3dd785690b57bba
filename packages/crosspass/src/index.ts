// The `crosspass` package: XYZ's form and session inside a partner's page. XYZ's code
// and tokens stay in XYZ's own frames; this is the messenger between them and the page.
// Importing it touches no browser global, so server-side rendering and Jest are fine.
import { connect } from "./connection.js";

export const Crosspass = Object.freeze({ connect });
export { CrosspassError, isCrosspassError } from "./errors.js";
export { defineFormElement } from "./element.js";
export { APPEARANCE_VARIABLES, ERROR_CODES, FORM_STATES, MESSAGE_KEYS, STORAGE_RUNGS } from "./generated.js";
export type { AppearanceVariable, ErrorCode, FormState, MessageKey, StorageRung } from "./generated.js";
export type * from "./types.js";
