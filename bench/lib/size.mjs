// Bundle sizes: what a browser downloads for XYZ's hub frame, its form frame and the
// partner-page SDK, beside the minified browser bundles that penpal, oidc-client-ts and
// auth0-spa-js publish on npm.
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

/** Bytes of the precompressed variants the server sends for `files` (`.br` and `.gz`). */
async function transferred(files) {
  let br = 0;
  let gz = 0;
  for (const f of files) {
    br += (await stat(`${f}.br`).catch(() => stat(f))).size;
    gz += (await stat(`${f}.gz`).catch(() => stat(f))).size;
  }
  return { br, gz };
}

/**
 * Builds dist/ and measures what a browser downloads: the hub frame and the form frame
 * (html, wasm, glue, bootstrap, css) and the partner-page SDK, as gzip -9 of the files
 * and as the br and gzip variants the server sends for `Accept-Encoding: br, gzip`.
 */
export async function sizes() {
  await run("bash", ["scripts/build-wasm.sh"], { cwd: ROOT });
  const manifest = JSON.parse(await readFile(join(ROOT, "dist", "manifest.json"), "utf8"));
  const hub = (name) => join(ROOT, "dist", "hub", manifest.hub[name]);
  const page = (name) => join(ROOT, "www", "hub", name);
  const bundle = async (files) => ({ ...(await measure(files)), ...(await transferred(files)) });
  const hubFrame = await bundle([page("index.html"), hub("crosspass_hub_bg.wasm"), hub("crosspass_hub.js"), hub("hub.js"), hub("hub.css")]);
  const formFrame = await bundle([page("form.html"), hub("crosspass_form_bg.wasm"), hub("crosspass_form.js"), hub("hub.js"), hub("form.css")]);
  const sdk = await bundle([join(ROOT, "dist", "sdk", "v1", "crosspass.js")]);
  const anchors = [];
  for (const [name, file] of ANCHORS) {
    const pkg = file.startsWith("@") ? file.split("/").slice(0, 2).join("/") : file.split("/")[0];
    anchors.push({ name, version: await version(pkg), ...(await measure([join(ROOT, "node_modules", file)])) });
  }
  return { hubFrame, formFrame, sdk, anchors };
}
