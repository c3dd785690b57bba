// A tiny static server for bench/pages on one port: the partner site (abc) with its
// assertion endpoint, or the XYZ site's penpal child page. Each port is its own origin,
// and abc.localhost and sso.localhost are distinct sites, so storage partitioning and
// cross-site postMessage are the real ones.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { ROOT } from "./util.mjs";

const PAGES = join(ROOT, "bench", "pages");
const FILES = {
  "/crosspass.html": join(PAGES, "crosspass.html"),
  "/crosspass.js": join(PAGES, "crosspass.js"),
  "/timing.js": join(PAGES, "timing.js"),
  "/penpal-parent.html": join(PAGES, "penpal-parent.html"),
  "/penpal-parent.js": join(PAGES, "penpal-parent.js"),
  "/penpal-child.html": join(PAGES, "penpal-child.html"),
  "/penpal-child.js": join(PAGES, "penpal-child.js"),
  "/vendor/penpal.min.js": join(ROOT, "node_modules", "penpal", "dist", "penpal.min.js"),
};
/** A body of the API record's size, for penpal's relayed request. */
const RECORD_BODY = JSON.stringify({ company: "ABC Holdings", employees: 120, plan: "team", renewal: "2027-03-01", newsletter: true, version: 1 });
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

/**
 * Serves the bench pages on 127.0.0.1:`port` for `origin`. `mint()`, when given, answers
 * the partner's `POST /xyz-assertion` (same-origin only, as a partner backend would).
 */
export function servePages({ port, origin, mint }) {
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url, origin);
    if (mint && req.method === "POST" && pathname === "/xyz-assertion") {
      const ok = req.headers.origin === origin;
      res.writeHead(ok ? 200 : 403, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify(ok ? { assertion: mint() } : { error: "forbidden" }));
    }
    if (req.method === "GET" && pathname === "/record.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store", etag: '"bench"' });
      return res.end(RECORD_BODY);
    }
    const file = req.method === "GET" ? FILES[pathname] : undefined;
    if (!file) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)], "cache-control": "no-store" });
    res.end(await readFile(file));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject).listen(port, "127.0.0.1", () => resolve({ close: () => server.close() }));
  });
}
