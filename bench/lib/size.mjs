// Bundle sizes: what a browser downloads for the hub and the SDK (the `crosspass` entry,
// `crosspass/form`, and the widget as their difference), beside the minified browser
// bundles that penpal, oidc-client-ts and auth0-spa-js publish on npm.
import { execFileSync } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { ROOT, run } from "./util.mjs";

/** The anchors: the file each package ships for browsers, minified. */
export const ANCHORS = [
  ["penpal", "penpal/dist/penpal.min.js"],
  ["oidc-client-ts", "oidc-client-ts/dist/browser/oidc-client-ts.min.js"],
  ["auth0-spa-js", "@auth0/auth0-spa-js/dist/auth0-spa-js.production.esm.js"],
];

/** Raw bytes and `gzip -9` bytes of each file, summed (each file is its own response). */
async function measure(files) {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    raw += (await stat(f)).size;
    gzip += execFileSync("gzip", ["-9", "-c", f], { maxBuffer: 64 * 1024 * 1024 }).length;
  }
  return { raw, gzip, files: files.map((f) => relative(ROOT, f)) };
}

async function version(pkg) {
  return JSON.parse(await readFile(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
}

/**
 * Builds dist/ and measures what a page loads: the hub (wasm, glue, bootstrap), the
 * SDK's `crosspass` entry (built without the widget) and its `crosspass/form` entry.
 */
export async function sizes() {
  await run("bash", ["scripts/build-wasm.sh"], { cwd: ROOT });
  const sdk = (...files) => files.map((f) => join(ROOT, "dist", "sdk", f));
  const hub = await measure([
    join(ROOT, "dist", "hub", "crosspass_hub_bg.wasm"),
    join(ROOT, "dist", "hub", "crosspass_hub.js"),
    join(ROOT, "dist", "hub", "hub.js"),
  ]);
  const sdkCore = await measure(sdk("crosspass_core_bg.wasm", "crosspass_core.js", "index.js", "entry.js", "frame.js"));
  const sdkFull = await measure(sdk("crosspass_sdk_bg.wasm", "crosspass_sdk.js", "form.js", "entry.js", "frame.js"));
  const widget = { raw: sdkFull.raw - sdkCore.raw, gzip: sdkFull.gzip - sdkCore.gzip };
  const anchors = [];
  for (const [name, file] of ANCHORS) {
    const pkg = file.startsWith("@") ? file.split("/").slice(0, 2).join("/") : file.split("/")[0];
    anchors.push({ name, version: await version(pkg), ...(await measure([join(ROOT, "node_modules", file)])) });
  }
  return { hub, sdkCore, sdkFull, widget, anchors };
}
