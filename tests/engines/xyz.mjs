// XYZ's API from Node, as a partner backend reaches it: at 127.0.0.1 (Node cannot
// resolve *.localhost). tests/e2e/pages.mjs has the same calls but imports Playwright.
// Imported once the stack's ports are set (env.mjs reads them on import).
import { XYZ_INTERNAL } from "../e2e/env.mjs";
import { mintAbcAssertion } from "../e2e/assertions.mjs";

/**
 * One API call; `json` is null when the body is not JSON.
 * @param {string} path
 * @param {{ token?: string, method?: string, body?: unknown, ifMatch?: string }} [opts]
 */
export async function api(path, { token, method = "GET", body, ifMatch } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (ifMatch) headers["if-match"] = ifMatch;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${XYZ_INTERNAL}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, json };
}

/** The user's stored record (`{ data, version }`). */
export const readRecord = async (token) => (await api("/api/v1/me/record", { token })).json;

/** Writes `data` as the record of the token's user over whatever version is stored. */
export async function putRecord(token, data) {
  const current = await api("/api/v1/me/record", { token });
  return api("/api/v1/me/record", { token, method: "PUT", body: data, ifMatch: current.headers.get("etag") });
}

/** An XYZ access token for `user` of client abc, got the way abc's backend gets one. */
export async function xyzToken(user) {
  const res = await fetch(`${XYZ_INTERNAL}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: await mintAbcAssertion(user),
      client_id: "abc",
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
  return body.access_token;
}
