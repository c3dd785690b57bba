// XYZ's API from Node, as a partner backend reaches it: at 127.0.0.1 (Node cannot
// resolve *.localhost). No Playwright here, so the every-engine suite (tests/engines)
// shares these calls. Import it once the stack's ports are set (env.mjs reads them).
import { XYZ_INTERNAL } from "./env.mjs";

/** Calls XYZ's API from Node (as a server, or pretending to be a browser with `origin`). */
export async function api(path, { token, method = "GET", body, origin, ifMatch } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (origin) headers.origin = origin;
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

/** Writes `data` as the record of the token's user, whatever version is stored. */
export async function putRecord(token, data) {
  const current = await api("/api/v1/me/record", { token });
  return api("/api/v1/me/record", { token, method: "PUT", body: data, ifMatch: current.headers.get("etag") });
}

/**
 * An XYZ access token for `user` of client abc, got as a partner backend gets one
 * (server path): abc's assertion redeemed at the token endpoint from Node. ABC's pages
 * never hold one.
 */
export async function xyzToken(user) {
  const { mintAbcAssertion } = await import("./assertions.mjs");
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
