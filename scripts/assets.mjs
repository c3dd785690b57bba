// Makes the browser assets in dist/hub and dist/sdk ready to serve from a CDN:
// - content-hashed names for the frames' modules and wasm (references rewritten, the
//   wasm first, then the glue that names it, then the bootstrap that imports the glue),
//   served `immutable`;
// - the partner-page SDK both at its loader URL (`sdk/v1/crosspass.js`, short cache) and
//   at a versioned URL (`sdk/v1/crosspass.<hash>.js`, immutable) with its SRI value;
// - a `.br` and a `.gz` beside every file, which the server picks by Accept-Encoding;
// - dist/manifest.json: the version, logical name → served name, and the SDK's
//   integrity value.
import { createHash } from "node:crypto";
import { copyFile, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const DIST = new URL("../dist/", import.meta.url).pathname;
const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 12);
// `version` is the server's (the workspace's Cargo.toml): a server refuses to start on
// the assets of another version.
const cargo = await readFile(new URL("../Cargo.toml", import.meta.url), "utf8");
const version = cargo.match(/^version = "([^"]+)"/m)?.[1];
if (!version) throw new Error("no version in Cargo.toml");
const manifest = { version, hub: {}, sdk: {} };

/** Renames `dir/name` to its hashed name after applying `rewrite` to its text. */
async function hashed(dir, name, rewrite = (s) => s) {
  const path = join(DIST, dir, name);
  let bytes = await readFile(path);
  if (name.endsWith(".js")) bytes = Buffer.from(rewrite(bytes.toString("utf8")));
  const dot = name.indexOf(".");
  const served = `${name.slice(0, dot)}.${hash(bytes)}${name.slice(dot)}`;
  await writeFile(path, bytes);
  await rename(path, join(DIST, dir, served));
  manifest[dir][name] = served;
  return served;
}

const replaceAll = (text, names) =>
  Object.entries(names).reduce((t, [from, to]) => t.replaceAll(from, to), text);

// The frames: wasm, then glue, then the bootstrap that imports every glue module.
const hubFiles = await readdir(join(DIST, "hub"));
for (const wasm of hubFiles.filter((f) => f.endsWith("_bg.wasm"))) await hashed("hub", wasm);
for (const glue of hubFiles.filter((f) => /^crosspass_\w+\.js$/.test(f))) {
  await hashed("hub", glue, (s) => replaceAll(s, manifest.hub));
}
await hashed("hub", "hub.js", (s) => replaceAll(s, manifest.hub));
for (const css of hubFiles.filter((f) => f.endsWith(".css"))) await hashed("hub", css);

// The partner-page SDK: the loader URL keeps its name; the versioned copy is hashed.
const sdk = join(DIST, "sdk", "v1", "crosspass.js");
const sdkBytes = await readFile(sdk);
const versioned = `crosspass.${hash(sdkBytes)}.js`;
await copyFile(sdk, join(DIST, "sdk", "v1", versioned));
manifest.sdk["v1/crosspass.js"] = `v1/${versioned}`;
manifest.sdk.integrity = `sha384-${createHash("sha384").update(sdkBytes).digest("base64")}`;

// Precompressed variants of everything served.
async function compressAll(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await compressAll(path);
    } else if (/\.(js|wasm|css|map|json)$/.test(entry.name)) {
      const bytes = await readFile(path);
      await writeFile(`${path}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      await writeFile(`${path}.gz`, gzipSync(bytes, { level: 9 }));
    }
  }
}
await compressAll(join(DIST, "hub"));
await compressAll(join(DIST, "sdk"));
await writeFile(join(DIST, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`    sdk: /sdk/${manifest.sdk["v1/crosspass.js"]} integrity="${manifest.sdk.integrity}"`);
