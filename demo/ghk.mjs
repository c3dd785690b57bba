// GHK's backend: a partner with no keys and no JWT library. Its server holds the client
// secret XYZ gave it at registration and, for a signed-in user, asks XYZ for a
// single-use embed session, which its page hands to the SDK (`data-session-url`).
//
//   CROSSPASS_CLIENT_SECRET=xpcs_… node demo/ghk.mjs --port 8086 \
//     --origin http://ghk.localhost:8086 --xyz-internal http://127.0.0.1:8080
//
// The user picker stands in for GHK's own login, as on the other demo sites.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cookies, json, listen, readForm, send } from "./lib.mjs";

const { values: opt } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    origin: { type: "string" },
    xyz: { type: "string" },
    "xyz-internal": { type: "string" },
    users: { type: "string", default: "gina,hugo" },
  },
});
const ROOT = new URL("..", import.meta.url).pathname;
const secret = process.env.CROSSPASS_CLIENT_SECRET;
if (!secret) throw new Error("CROSSPASS_CLIENT_SECRET is not set");

// --- the one call GHK makes to XYZ ---------------------------------------------------

/** A single-use embed session for `user` (valid for two minutes). */
async function embedSession(user) {
  const res = await fetch(`${opt["xyz-internal"]}/api/v1/embed-sessions`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`ghk:${secret}`).toString("base64")}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ user, scope: "form.read form.write" }),
  });
  if (!res.ok) throw new Error(`XYZ refused an embed session: HTTP ${res.status}`);
  return (await res.json()).session;
}

// --- the toy site around it ----------------------------------------------------------

const users = opt.users.split(",");
const sessions = new Map();
listen("ghk", { origin: opt.origin, port: opt.port, host: opt.host }, async (req, res, url) => {
  const user = sessions.get(cookies(req).ghk_session);
  if (req.method === "POST" && url.pathname === "/xyz-session") {
    // Our own pages only (the Origin check), and only for a signed-in user.
    if (req.headers.origin !== opt.origin) return json(res, 403, { error: "forbidden" });
    if (!user) return json(res, 401, { error: "login_required" });
    return json(res, 200, { session: await embedSession(user) }, { "cache-control": "no-store" });
  }
  if (req.method === "GET" && url.pathname === "/session") return json(res, 200, { user: user ?? null, users });
  if (req.method === "POST" && url.pathname === "/login") {
    const picked = (await readForm(req)).get("user");
    if (!users.includes(picked)) return send(res, 400, "unknown user");
    const id = randomUUID();
    sessions.set(id, picked);
    return send(res, 303, "", { location: "/", "set-cookie": `ghk_session=${id}; Path=/; HttpOnly; SameSite=Lax` });
  }
  if (req.method === "POST" && url.pathname === "/logout") {
    sessions.delete(cookies(req).ghk_session);
    return send(res, 303, "", { location: "/", "set-cookie": "ghk_session=; Path=/; HttpOnly; Max-Age=0" });
  }
  const files = { "/": "www/ghk/index.html", "/site.js": "demo/site.js", "/site.css": "demo/site.css" };
  if (req.method === "GET" && files[url.pathname]) {
    const body = (await readFile(join(ROOT, files[url.pathname]), "utf8")).replaceAll("{{XYZ_ORIGIN}}", opt.xyz);
    const type = url.pathname === "/" ? "text/html" : url.pathname.endsWith(".css") ? "text/css" : "text/javascript";
    return send(res, 200, body, { "content-type": `${type}; charset=utf-8` });
  }
  send(res, 404, "not found");
});
