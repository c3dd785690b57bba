// XYZ's API from Node, as a partner backend reaches it (shared with tests/e2e).
// Imported once the stack's ports are set (env.mjs reads them on import).
import { api } from "../e2e/xyz-api.mjs";

export { api, putRecord, xyzToken } from "../e2e/xyz-api.mjs";

/** The user's stored record (`{ data, version }`). */
export const readRecord = async (token) => (await api("/api/v1/me/record", { token })).json;
